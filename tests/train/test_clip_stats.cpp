// clip_stats with the frontend's chroma rows: its tonal summary is key-invariant (a transposed song gives the same
// output), tells major from minor, and is used at all (changing the chroma alone changes the output); without
// chroma the model is the one it was (its parameter count).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mer/models/model.h"

namespace mer::models {
namespace {

constexpr int kMels = 16, kFrames = 64;

std::shared_ptr<EmotionModel> Model(int chroma) {
  torch::manual_seed(3);
  ModelSpec spec;
  spec.frontend.chroma = chroma;
  spec.n_mels = kMels + chroma;
  spec.frames = kFrames;
  spec.outputs = 4;
  spec.task = "classes";
  auto model = CreateModel("clip_stats", spec);
  model->eval();
  return model;
}

int64_t Parameters(const std::shared_ptr<EmotionModel>& m) {
  int64_t n = 0;
  for (const auto& p : m->parameters()) n += p.numel();
  return n;
}

// [2, 12, frames]: chords built on `tonic` (triad with a major or minor third, a passing fifth-less frame every
// fourth frame), noise on top; batch item 1 is a different voicing.
torch::Tensor Chroma(int tonic, bool major) {
  torch::manual_seed(7);
  torch::Tensor c = 0.05 * torch::rand({2, 12, kFrames});
  for (int64_t t = 0; t < kFrames; ++t) {
    c.index_put_({torch::indexing::Slice(), tonic % 12, t}, 1.0);
    c.index_put_({torch::indexing::Slice(), (tonic + (major ? 4 : 3)) % 12, t}, 0.8);
    if (t % 4 != 3) c.index_put_({torch::indexing::Slice(), (tonic + 7) % 12, t}, 0.7);
  }
  c.index_put_({1}, c[1] * 0.9);
  return c;
}

torch::Tensor Output(const std::shared_ptr<EmotionModel>& model, const torch::Tensor& mel, const torch::Tensor& chroma) {
  torch::NoGradGuard no_grad;
  return model->forward(torch::cat({mel, chroma}, 1));
}

TEST(ClipStatsChroma, TransposingTheSongLeavesTheOutput) {
  const auto model = Model(12);
  torch::manual_seed(11);
  const torch::Tensor mel = torch::randn({2, kMels, kFrames});
  const torch::Tensor in_c = Output(model, mel, Chroma(0, true));
  for (int shift : {1, 5, 7, 11}) {
    // The same chroma (noise included) moved up `shift` semitones.
    const torch::Tensor transposed = Output(model, mel, torch::roll(Chroma(0, true), shift, 1));
    EXPECT_LT((in_c - transposed).abs().max().item<float>(), 1e-5) << "shift " << shift;
  }
}

TEST(ClipStatsChroma, MajorAndMinorDifferAndChromaIsUsed) {
  const auto model = Model(12);
  torch::manual_seed(11);
  const torch::Tensor mel = torch::randn({2, kMels, kFrames});
  const torch::Tensor major = Output(model, mel, Chroma(2, true)), minor = Output(model, mel, Chroma(2, false));
  EXPECT_GT((major - minor).abs().max().item<float>(), 1e-3);
  // The mel statistics are from the mel rows only: the same chroma with other mels differs, and flat chroma differs.
  const torch::Tensor flat = Output(model, mel, torch::full({2, 12, kFrames}, 0.5));
  EXPECT_GT((major - flat).abs().max().item<float>(), 1e-3);
}

TEST(ClipStatsChroma, WithoutChromaTheModelIsUnchanged) {
  // 3 x 16 mel statistics + 2 x 16 cepstra + 4 = 84 features: batch norm 2 x 84, dense 84 x 128 + 128, head 129 x 4.
  EXPECT_EQ(Parameters(Model(0)), 2 * 84 + 84 * 128 + 128 + 129 * 4);
  // Chroma adds 28 features.
  EXPECT_EQ(Parameters(Model(12)), 2 * 112 + 112 * 128 + 128 + 129 * 4);
}

}  // namespace
}  // namespace mer::models
