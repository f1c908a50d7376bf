// Checkpoints: a checkpoint round-trips its model exactly, and one whose weights have other shapes than the model
// its meta describes (written by a version of mer whose model differed) is a clear error naming the file and the
// first parameter that does not fit, rather than a shape failure at the first forward. And Predict, which keeps a
// run open between calls (mer predict --list calls it once per chunk), opens a run again when its files changed.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mer/core/error.h"
#include "mer/models/model.h"
#include "mer/train/api.h"
#include "support/test_support.h"
#include "../../src/train/checkpoint.h"

namespace mer {
namespace {

namespace fs = std::filesystem;

models::ModelSpec RawSpec() {
  models::ModelSpec spec;
  spec.n_mels = 1;
  spec.frames = 4096;
  return spec;
}

nlohmann::json Meta(const models::ModelSpec& spec) {
  return {{"format_version", train::kCheckpointFormat}, {"model", "raw_cnn"}, {"spec", train::SpecToJson(spec)}};
}

TEST(Checkpoint, RoundTripsTheModel) {
  models::RegisterBuiltinModels();
  test::TempDir dir;
  torch::manual_seed(1);
  auto model = models::CreateModel("raw_cnn", RawSpec());
  model->eval();
  train::SaveCheckpoint(dir / "best.pt", *model, nullptr, Meta(RawSpec()));
  const auto loaded = train::LoadCheckpoint(dir / "best.pt", torch::kCPU);
  const torch::Tensor x = torch::randn({2, 1, 4096});
  EXPECT_TRUE(torch::equal(model->forward(x), loaded.model->forward(x)));
}

TEST(Checkpoint, WeightsOfAnotherShapeAreAClearError) {
  models::RegisterBuiltinModels();
  test::TempDir dir;
  auto model = models::CreateModel("raw_cnn", RawSpec());
  // Same model name and format, but the meta says two outputs more: the head no longer fits.
  models::ModelSpec other = RawSpec();
  other.outputs = 4;
  train::SaveCheckpoint(dir / "best.pt", *model, nullptr, Meta(other));
  try {
    train::LoadCheckpoint(dir / "best.pt", torch::kCPU);
    FAIL() << "a checkpoint that does not fit its model loaded";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find((dir / "best.pt").string() + ": its weights do not fit model 'raw_cnn'"), std::string::npos) << what;
    EXPECT_NE(what.find("head.weight is [2, 128], expected [4, 128]"), std::string::npos) << what;
    EXPECT_NE(what.find("train it again"), std::string::npos) << what;
  }
}

TEST(Checkpoint, PredictKeepsARunOpenUntilItsCheckpointChanges) {
  models::RegisterBuiltinModels();
  test::TempDir dir;
  auto r = test::RunMer("data synth --dataset emomusic --out " + test::Q(dir / "emo") + " --songs 24 --seconds 17 --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int seed : {1, 2}) {
    const std::string name = "run" + std::to_string(seed);
    const fs::path config = test::WriteDemoConfig(dir.path(), name, dir / "emo",
                                                  R"({"train": {"epochs": 1, "seed": )" + std::to_string(seed) + "}}");
    r = test::RunMer("train --config " + test::Q(config) + " --out " + test::Q(dir / name));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  fs::copy(dir / "run1", dir / "live", fs::copy_options::recursive);
  const std::vector<fs::path> songs = {dir / "emo/clips_45seconds/2.mp3"};
  const auto inputs = train::PredictInputs(train::RunInputs(dir / "live"), songs, 1);
  train::PredictOptions options;
  options.run_dir = dir / "live";
  options.files = songs;
  options.device = "cpu";
  const std::vector<double> first = train::Predict(options, inputs).at(0).track;
  EXPECT_EQ(train::Predict(options, inputs).at(0).track, first);
  // The same folder, now holding the other run: its values, not the first run's from memory.
  for (const char* file : {"best.pt", "config.json"}) {
    fs::copy_file(dir / "run2" / file, dir / "live" / file, fs::copy_options::overwrite_existing);
  }
  const std::vector<double> replaced = train::Predict(options, inputs).at(0).track;
  EXPECT_NE(replaced, first);
  options.run_dir = dir / "run2";
  EXPECT_EQ(train::Predict(options, inputs).at(0).track, replaced);
}

}  // namespace
}  // namespace mer
