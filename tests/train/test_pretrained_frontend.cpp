// frontend.pretrained (frozen embeddings in the feature cache, a head on top) from the command line: the cache holds
// exactly the layers `mer embed` writes, stacked in the config's order; train, eval, predict and export work on such
// a run; the config's mistakes and a missing weight file are one-line errors before any audio is decoded. Fine-tuned:
// the networks' weights move at their own learning rate while their batch-norm statistics stay the published ones.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mer/core/npy.h"
#include "mer/models/musicnn.h"
#include "support/test_support.h"
#include "../../src/train/checkpoint.h"

namespace mer {
namespace {

namespace fs = std::filesystem;
using test::Q;
using test::RunMer;

// configs/demo.json's frontend keys removed (JSON merge patch: null), the layers added.
const char* kLayers = R"({"frontend": {"sample_rate": null, "n_fft": null, "hop_length": null, "n_mels": null, "center": null,
                        "pretrained": {"layers": ["mtt_musicnn.taggram", "msd_vgg.taggram"]}},
  "model": {"name": "stats_head", "input_frames": 6, "hidden": 16},
  "train": {"epochs": 2, "batch_size": 4}})";

class PretrainedFrontend : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const auto r = RunMer("data synth --dataset emomusic --out " + Q(*dir_ / "emo") + " --songs 16 --seconds 18 --seed 5");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path Config(const std::string& name, const std::string& changes) {
    return test::WriteDemoConfig(dir_->path(), name, *dir_ / "emo", changes);
  }
  static test::TempDir* dir_;
};
test::TempDir* PretrainedFrontend::dir_ = nullptr;

// A feature-cache entry: magic, key, rows, columns, checksum, then the values [rows, columns].
struct Entry {
  int64_t rows = 0, columns = 0;
  std::vector<float> values;
};
Entry ReadEntry(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Entry e;
  std::memcpy(&e.rows, bytes.data() + 16, 8);
  std::memcpy(&e.columns, bytes.data() + 24, 8);
  e.values.resize(static_cast<std::size_t>(e.rows * e.columns));
  std::memcpy(e.values.data(), bytes.data() + 40, e.values.size() * sizeof(float));
  return e;
}

TEST_F(PretrainedFrontend, CacheHoldsTheEmbedLayersStackedAndTheRunTrainsEvaluatesPredictsAndExports) {
  const fs::path run = *dir_ / "run";
  const auto r = RunMer("train --config " + Q(Config("layers", kLayers)) + " --out " + Q(run));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json config = nlohmann::json::parse(test::ReadBytes(run / "config.json"));
  EXPECT_EQ(config["frontend"]["pretrained"]["layers"], nlohmann::json({"mtt_musicnn.taggram", "msd_vgg.taggram"}));
  EXPECT_EQ(config["frontend"]["sample_rate"], 16000);
  EXPECT_EQ(config["frontend"]["n_mels"], 96);

  // Every song's cache entry is its two taggrams from `mer embed`, stacked as rows: [50 + 50, patches].
  std::vector<fs::path> songs;
  for (const auto& f : fs::directory_iterator(*dir_ / "emo" / "clips_45seconds")) songs.push_back(f.path());
  ASSERT_EQ(songs.size(), 16u);
  std::string files;
  for (const fs::path& s : songs) files += " " + Q(s);
  ASSERT_EQ(RunMer("embed --model mtt_musicnn --layer taggram" + files + " --out-dir " + Q(*dir_ / "mtt")).exit_code, 0);
  ASSERT_EQ(RunMer("embed --model msd_vgg --layer taggram" + files + " --out-dir " + Q(*dir_ / "vgg")).exit_code, 0);
  std::size_t entries = 0, matched = 0;
  for (const auto& f : fs::recursive_directory_iterator(*dir_ / "cache")) {
    if (f.path().extension() != ".mel") continue;
    const Entry e = ReadEntry(f.path());
    if (e.rows != 100) continue;
    ++entries;
    for (const fs::path& s : songs) {
      const NpyArray a = LoadNpy(*dir_ / "mtt" / (s.stem().string() + ".npy"));
      const NpyArray b = LoadNpy(*dir_ / "vgg" / (s.stem().string() + ".npy"));
      if (a.shape != std::vector<int64_t>{e.columns, 50} || b.shape != a.shape) continue;
      double diff = 0;
      for (int64_t p = 0; p < e.columns; ++p) {
        for (int64_t d = 0; d < 50; ++d) {
          diff = std::max<double>(diff, std::abs(e.values[d * e.columns + p] - a.data[p * 50 + d]));
          diff = std::max<double>(diff, std::abs(e.values[(50 + d) * e.columns + p] - b.data[p * 50 + d]));
        }
      }
      if (diff <= 1e-6) {
        ++matched;
        break;
      }
    }
  }
  EXPECT_EQ(entries, songs.size());
  EXPECT_EQ(matched, entries);

  const auto eval = RunMer("eval --run " + Q(run) + " --split test");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_NE(eval.out.find("r2"), std::string::npos) << eval.out;
  const auto predict = RunMer("predict --run " + Q(run) + " " + Q(songs[0]) + " --json");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  const nlohmann::json p = nlohmann::json::parse(predict.out);
  ASSERT_TRUE(p.is_array() && p.size() == 1) << predict.out;
  EXPECT_EQ(p[0]["track"].size(), 2u) << predict.out;
  // 18 s = 6 patches: one window of input_frames 6, centred at 3 patches (8.976 s).
  ASSERT_EQ(p[0]["curve"].size(), 1u) << predict.out;
  EXPECT_NEAR(p[0]["curve"][0]["time"].get<double>(), 3 * 187 * 256 / 16000.0, 1e-6) << predict.out;

  const auto exported = RunMer("export --run " + Q(run) + " --out " + Q(*dir_ / "run.pt"));
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
}

// Largest |difference| between the run's fine-tuned mtt_vgg and the published one, over its parameters (trained) and
// over its batch-norm statistics (kept).
std::pair<double, double> DriftFromPublished(const fs::path& run) {
  const train::LoadedCheckpoint checkpoint = train::LoadCheckpoint(run / "best.pt", torch::kCPU);
  const models::PretrainedModel& vgg = models::FindPretrained("mtt_vgg");
  const models::LoadedPretrained published = models::LoadPretrainedNetwork(vgg, vgg.WeightsFile());
  std::map<std::string, torch::Tensor> tuned;
  for (const auto& p : checkpoint.model->named_parameters()) tuned[p.key()] = p.value();
  for (const auto& b : checkpoint.model->named_buffers()) tuned[b.key()] = b.value();
  double parameters = 0, statistics = 0;
  std::size_t compared = 0;
  for (const auto& p : published.network->named_parameters()) {
    parameters = std::max(parameters, (tuned.at("mtt_vgg." + p.key()) - p.value()).abs().max().item<double>());
    ++compared;
  }
  for (const auto& b : published.network->named_buffers()) {
    if (b.key().find("running_") == std::string::npos) continue;
    statistics = std::max(statistics, (tuned.at("mtt_vgg." + b.key()) - b.value()).abs().max().item<double>());
    ++compared;
  }
  EXPECT_GT(compared, 20u);
  return {parameters, statistics};
}

TEST_F(PretrainedFrontend, FineTunedNetworksMoveAtTheirOwnRateAndKeepTheirStatistics) {
  const std::string clean = R"({"frontend": {"sample_rate": null, "n_fft": null, "hop_length": null, "n_mels": null,
      "center": null, "pretrained": {"layers": ["mtt_vgg.pool5"], "fine_tune": true, "lr": LR}},
      "model": {"name": "stats_head", "input_frames": 2}, "train": {"epochs": 1, "batch_size": 4, "max_steps": 3}})";
  const auto config = [&](const std::string& name, const std::string& lr) {
    std::string c = clean;
    c.replace(c.find("LR"), 2, lr);
    return Config(name, c);
  };
  const fs::path fast = *dir_ / "tuned_fast", slow = *dir_ / "tuned_slow";
  const auto a = RunMer("train --config " + Q(config("tuned_fast", "0.001")) + " --out " + Q(fast));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const auto b = RunMer("train --config " + Q(config("tuned_slow", "1e-9")) + " --out " + Q(slow));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const nlohmann::json resolved = nlohmann::json::parse(test::ReadBytes(fast / "config.json"));
  EXPECT_EQ(resolved["frontend"]["pretrained"], nlohmann::json::parse(R"({"layers": ["mtt_vgg.pool5"], "fine_tune": true, "lr": 0.001})"));
  const auto [fast_weights, fast_statistics] = DriftFromPublished(fast);
  const auto [slow_weights, slow_statistics] = DriftFromPublished(slow);
  EXPECT_GT(fast_weights, 1e-4);   // Adam moves each weight by about lr per step: 3 steps at 1e-3
  EXPECT_LT(slow_weights, 1e-7);   // ... and at 1e-9, not at train.lr
  EXPECT_EQ(fast_statistics, 0.0);  // batch norm stays in inference mode
  EXPECT_EQ(slow_statistics, 0.0);

  const auto eval = RunMer("eval --run " + Q(fast) + " --split test");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  std::vector<fs::path> songs;
  for (const auto& f : fs::directory_iterator(*dir_ / "emo" / "clips_45seconds")) songs.push_back(f.path());
  const auto predict = RunMer("predict --run " + Q(fast) + " --json " + Q(songs.at(0)));
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  // 18 s = 1,126 log-mel frames; windows of 2 patches (374 frames) every patch (187): 6 windows (a decoder's few
  // extra samples may make 7).
  const std::size_t windows = nlohmann::json::parse(predict.out)[0]["curve"].size();
  EXPECT_GE(windows, 6u) << predict.out;
  EXPECT_LE(windows, 7u) << predict.out;

  const auto frozen_lr = RunMer("train --config " + Q(Config("frozen_lr", R"({"frontend": {"sample_rate": null,
      "n_fft": null, "hop_length": null, "n_mels": null, "center": null, "pretrained": {"layers": ["mtt_vgg.pool5"],
      "lr": 0.001}}, "model": {"name": "stats_head", "input_frames": 2}})")) + " --out " + Q(*dir_ / "frozen_lr"));
  EXPECT_EQ(frozen_lr.exit_code, 2);
  EXPECT_NE(frozen_lr.err.find("frontend.pretrained.lr = 0.001 is invalid: expected no value: it needs \"fine_tune\": true"),
            std::string::npos) << frozen_lr.err;
  const auto emb = RunMer("train --config " + Q(Config("tuned_emb", R"({"frontend": {"sample_rate": null,
      "n_fft": null, "hop_length": null, "n_mels": null, "center": null, "pretrained": {"layers": ["mtt_vgg.pool5"],
      "fine_tune": true}}, "model": {"name": "emb_cl", "input_frames": 40, "embedding_dim": 8}})")) + " --out " + Q(*dir_ / "tuned_emb"));
  EXPECT_EQ(emb.exit_code, 2);
  EXPECT_NE(emb.err.find("not available for embedding models"), std::string::npos) << emb.err;
}

TEST_F(PretrainedFrontend, MistakesAreOneLineErrorsBeforeAnyAudioIsDecoded) {
  const auto expect_error = [&](const std::string& name, const std::string& changes, const std::string& names) {
    const fs::path run = *dir_ / ("bad_" + name);
    const auto r = RunMer("train --config " + Q(Config(name, changes)) + " --out " + Q(run));
    EXPECT_NE(r.exit_code, 0) << name;
    EXPECT_NE(r.err.find(names), std::string::npos) << name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << name << ": " << r.err;
  };
  const std::string stats = R"("model": {"name": "stats_head", "input_frames": 4})";
  expect_error("layer", R"({"frontend": {"pretrained": {"layers": ["msd_musicnn.pool5"]}}, )" + stats + "}",
               "frontend.pretrained.layers = \"msd_musicnn.pool5\" is invalid: expected one of mtt_musicnn.taggram");
  expect_error("empty", R"({"frontend": {"pretrained": {"layers": []}}, )" + stats + "}", "at least one MODEL.LAYER");
  expect_error("twice", R"({"frontend": {"pretrained": {"layers": ["mtt_vgg.pool5", "mtt_vgg.pool5"]}}, )" + stats + "}",
               "each layer once");
  expect_error("key", R"({"frontend": {"pretrained": {"layer": ["mtt_vgg.pool5"]}}, )" + stats + "}", "layer");
  // configs/demo.json sets the frontend's keys: with pretrained layers they are refused, naming the first.
  expect_error("frontend", R"({"frontend": {"pretrained": {"layers": ["mtt_vgg.pool5"]}}, )" + stats + "}",
               "is invalid with frontend.pretrained: the networks read their own log-mel");
  const std::string clean = R"({"frontend": {"sample_rate": null, "n_fft": null, "hop_length": null, "n_mels": null,
      "center": null, "pretrained": {"layers": ["mtt_vgg.pool5"]}}, )";
  expect_error("raw", clean + R"("model": {"name": "raw_cnn", "input_frames": 22050}})", "reads the waveform");
  expect_error("masks", clean + stats + R"(, "augment": {"time_masks": 1}})", "computed once per file");
  expect_error("learnable", R"({"frontend": {"sample_rate": null, "n_fft": null, "hop_length": null, "n_mels": null,
      "center": null, "learnable": true, "pretrained": {"layers": ["mtt_vgg.pool5"]}}, )" + stats + "}",
               "frontend.learnable is invalid with frontend.pretrained");

  // A missing weight file: named, before the corpus's audio is decoded (no cache entry is written).
  test::TempDir empty;
  const fs::path config = Config("noweights", clean + stats + "}");
  const auto r = RunMer("train --config " + Q(config) + " --out " + Q(*dir_ / "noweights_run"),
                        "MER_PRETRAINED_DIR=" + Q(empty.path()));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find((empty.path() / "mtt_vgg.safetensors").string()), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace mer
