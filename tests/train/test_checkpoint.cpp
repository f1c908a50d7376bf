// Checkpoints: a checkpoint round-trips its model exactly, and one whose weights have other shapes than the model
// its meta describes (written by a version of mer whose model differed) is a clear error naming the file and the
// first parameter that does not fit, rather than a shape failure at the first forward.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mer/core/error.h"
#include "mer/models/model.h"
#include "support/test_support.h"
#include "../../src/train/checkpoint.h"

namespace mer {
namespace {

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

}  // namespace
}  // namespace mer
