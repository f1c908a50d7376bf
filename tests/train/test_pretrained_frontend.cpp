// frontend.pretrained (frozen embeddings in the feature cache, a head on top) from the command line: the cache holds
// exactly the layers `mer embed` writes, stacked in the config's order; train, eval, predict and export work on such
// a run; the config's mistakes and a missing weight file are one-line errors before any audio is decoded.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mer/core/npy.h"
#include "support/test_support.h"

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
