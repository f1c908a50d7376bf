// mer export + python/mer_torch: every model family (and the learnable frontend, raw_cnn behind it, emb_cl's
// encoders, stats_head on pretrained embeddings) trained one step on the demo corpus, exported, loaded in PyTorch with strict=True, and PyTorch's output on
// the export's example input equal to mer's within 1e-5.
#include <algorithm>
#include <cstdio>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mer {
namespace {

using test::Q;
using test::RunMer;
namespace fs = std::filesystem;

class Export : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const auto r = RunMer("data synth --dataset emomusic --out " + Q(*dir_ / "emo") + " --songs 24 --seconds 20 --seed 3");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static test::TempDir* dir_;
};
test::TempDir* Export::dir_ = nullptr;

TEST_F(Export, EveryModelFamilyLoadsInPyTorchWithEqualOutputs) {
  const nlohmann::json learnable = {{"frontend", {{"learnable", true}}}};
  const std::vector<std::pair<std::string, nlohmann::json>> cases = {
      {"quan_cnn", {{"model", {{"name", "quan_cnn"}}}}},
      {"quan_cnn_deep", {{"model", {{"name", "quan_cnn_deep"}, {"input_frames", 400}}}}},
      {"liu_cnn", {{"model", {{"name", "liu_cnn"}, {"task", "quadrants"}}}}},
      {"clip_stats", {{"model", {{"name", "clip_stats"}, {"dropout", 0.5}}}}},
      {"clip_stats_chroma", {{"frontend", {{"chroma", 12}}}, {"model", {{"name", "clip_stats"}, {"dropout", 0.5}}}}},
      {"adff", {{"model", {{"name", "adff"}, {"quadrant_weight", 0.3}}}}},
      {"raw_cnn", {{"model", {{"name", "raw_cnn"}, {"input_frames", 22050}}}}},
      {"raw_cnn_learnable", {{"frontend", {{"learnable", true}, {"center", true}}}, {"model", {{"name", "raw_cnn"}, {"input_frames", 44100}}}}},
      {"quan_cnn_learnable", learnable},
      {"stats_head", {{"model", {{"name", "stats_head"}, {"input_frames", 100}, {"dropout", 0.2}}}}},
      // frontend.pretrained: the head reads the layer's values per patch (demo.json's frontend keys removed)
      {"stats_head_pretrained", {{"frontend", {{"sample_rate", nullptr}, {"n_fft", nullptr}, {"hop_length", nullptr},
                                               {"n_mels", nullptr}, {"center", nullptr},
                                               {"pretrained", {{"layers", {"mtt_vgg.taggram"}}}}}},
                                 {"model", {{"name", "stats_head"}, {"input_frames", 4}, {"hidden", 8}}}}},
      {"stats_head_fine_tuned", {{"frontend", {{"sample_rate", nullptr}, {"n_fft", nullptr}, {"hop_length", nullptr},
                                               {"n_mels", nullptr}, {"center", nullptr},
                                               {"pretrained", {{"layers", {"mtt_musicnn.penultimate", "mtt_vgg.taggram",
                                                                           "mtt_musicnn.max_pool"}},
                                                               {"fine_tune", true}}}}},
                                 {"model", {{"name", "stats_head"}, {"input_frames", 2}}}}},
      {"emb_cl", {{"model", {{"name", "emb_cl"}, {"embedding_dim", 8}, {"input_frames", 64}}}}},
      {"emb_cl_gru", {{"model", {{"name", "emb_cl"}, {"embedding_dim", 8}, {"input_frames", 64}, {"music_encoder", "gru"},
                                 {"emotion_encoder", "gru"}, {"task", "dynamic"}}}}},
      {"emb_cl_authors_mlp", {{"model", {{"name", "emb_cl"}, {"embedding_dim", 8}, {"input_frames", 64}, {"music_encoder", "mlp"},
                                         {"emotion_encoder", "bigru"}, {"task", "dynamic"}, {"dropout", 0.5}}}}},
      {"emb_cl_authors_bigru", {{"model", {{"name", "emb_cl"}, {"embedding_dim", 8}, {"input_frames", 64}, {"music_encoder", "bigru"},
                                           {"emotion_encoder", "bigru"}, {"task", "dynamic"}}}}},
  };
  std::string files;
  for (const auto& [name, changes] : cases) {
    const fs::path run = *dir_ / name;
    const fs::path config = test::WriteDemoConfig(dir_->path(), name, *dir_ / "emo", changes.dump());
    const auto r = RunMer("train --config " + Q(config) + " --set train.max_steps=1 --set train.epochs=1 --set train.batch_size=4 --out " + Q(run));
    ASSERT_EQ(r.exit_code, 0) << name << "\n" << r.err;
    const auto e = RunMer("export --run " + Q(run) + " --out " + Q(*dir_ / (name + ".pt")));
    ASSERT_EQ(e.exit_code, 0) << name << "\n" << e.err;
    EXPECT_NE(e.err.find("mer export: "), std::string::npos) << e.err;
    files += " " + Q(*dir_ / (name + ".pt"));
  }
  const std::string script = test::TestData("python/check_export.py").string();
  FILE* pipe = popen((std::string(MER_PYTHON) + " " + Q(script) + files + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) out += buffer;
  ASSERT_EQ(pclose(pipe), 0) << out;
  std::size_t checked = 0;
  std::size_t start = 0;
  while (start < out.size()) {
    const std::size_t end = out.find('\n', start);
    const auto line = nlohmann::json::parse(out.substr(start, end - start));
    EXPECT_LE(line["max_abs_diff"].get<double>(), 1e-5) << line.dump();
    if (line["file"].get<std::string>().find("stats_head_pretrained.pt") != std::string::npos) {
      EXPECT_EQ(line["pretrained"]["layers"], nlohmann::json({"mtt_vgg.taggram"})) << line.dump();
      EXPECT_EQ(line["inputs"], nlohmann::json({2, 50, 4})) << line.dump();  // the taggram's 50 values x 4 patches
    } else if (line["file"].get<std::string>().find("stats_head_fine_tuned.pt") != std::string::npos) {
      EXPECT_EQ(line["pretrained"]["fine_tune"], true) << line.dump();
      EXPECT_EQ(line["inputs"], nlohmann::json({2, 96, 2 * 187})) << line.dump();  // the networks' log-mel
    } else {
      EXPECT_TRUE(line["pretrained"].is_null()) << line.dump();
    }
    ++checked;
    start = end == std::string::npos ? out.size() : end + 1;
  }
  EXPECT_EQ(checked, cases.size()) << out;
}

TEST_F(Export, BadRunsAndOutputsAreClearErrors) {
  const auto none = RunMer("export --run " + Q(*dir_ / "nowhere") + " --out " + Q(*dir_ / "x.pt"));
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("nowhere"), std::string::npos) << none.err;
  EXPECT_EQ(std::count(none.err.begin(), none.err.end(), '\n'), 1) << none.err;
  const fs::path run = *dir_ / "small";
  const fs::path config = test::WriteDemoConfig(dir_->path(), "small", *dir_ / "emo", "{}");
  ASSERT_EQ(RunMer("train --config " + Q(config) + " --set train.max_steps=1 --set train.epochs=1 --out " + Q(run)).exit_code, 0);
  const auto folder = RunMer("export --run " + Q(run) + " --out " + Q(*dir_ / "no" / "such" / "m.pt"));
  EXPECT_EQ(folder.exit_code, 1);
  EXPECT_NE(folder.err.find("m.pt"), std::string::npos) << folder.err;
  EXPECT_FALSE(fs::exists(*dir_ / "no"));
  const auto device = RunMer("export --run " + Q(run) + " --out /dev/null");
  EXPECT_NE(device.exit_code, 0);
  EXPECT_NE(device.err.find("/dev/null"), std::string::npos) << device.err;
}

}  // namespace
}  // namespace mer
