// emb_cl's recurrent emotion encoder (model.emotion_encoder = "gru", the dynamic setting of Takashima et al.): it
// reads the order of a valence/arousal curve, a static pair is the constant curve, its gradients reach the GRU,
// the LibTorch-free copy used by `mer search` equals torch::nn::GRU, and the curve points the trainer feeds it
// are the annotations interpolated over the window.
#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mer/core/error.h"
#include "mer/models/model.h"
#include "mer/train/search.h"
#include "../../src/train/task.h"

namespace mer {
namespace {

models::ModelSpec DynamicSpec() {
  models::ModelSpec spec;
  spec.n_mels = 16;
  spec.frames = 64;
  spec.task = "dynamic";
  spec.embedding_dim = 8;
  spec.emotion_encoder = "gru";
  spec.curve_steps = 6;
  return spec;
}

std::shared_ptr<models::EmbeddingModel> MakeEmbCl(const models::ModelSpec& spec) {
  models::RegisterBuiltinModels();
  torch::manual_seed(3);
  auto model = std::dynamic_pointer_cast<models::EmbeddingModel>(models::CreateModel("emb_cl", spec));
  EXPECT_TRUE(model != nullptr);
  return model;
}

TEST(EmbClEmotionGru, ReadsTheCurveInOrderAndAStaticPairAsAConstantCurve) {
  const auto model = MakeEmbCl(DynamicSpec());
  ASSERT_EQ(model->CurveSteps(), 6);
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor va = torch::tensor({0.5f, -1.0f, -1.5f, 2.0f}).reshape({2, 2});
  const torch::Tensor constant = va.unsqueeze(1).expand({2, 6, 2}).contiguous();
  EXPECT_TRUE(torch::allclose(model->EmbedEmotion(va), model->EmbedEmotionCurve(constant), 0.0, 0.0));
  // A rising curve and the same values falling: the same mean, different embeddings.
  const torch::Tensor rising = torch::linspace(-1.5, 1.5, 6).unsqueeze(1).repeat({1, 2}).unsqueeze(0);
  const torch::Tensor falling = rising.flip(1);
  const double difference = (model->EmbedEmotionCurve(rising) - model->EmbedEmotionCurve(falling)).abs().max().item<double>();
  EXPECT_GT(difference, 1e-3);
  // The static encoder reads a curve as its mean.
  models::ModelSpec mlp = DynamicSpec();
  mlp.emotion_encoder = "mlp";
  const auto static_model = MakeEmbCl(mlp);
  static_model->eval();
  EXPECT_EQ(static_model->CurveSteps(), 0);
  EXPECT_TRUE(torch::allclose(static_model->EmbedEmotionCurve(rising), static_model->EmbedEmotion(rising.mean(1)), 1e-6, 1e-6));
}

TEST(EmbClEmotionGru, TrainsOnCurvesAndNeedsThem) {
  const auto model = MakeEmbCl(DynamicSpec());
  model->train();
  models::TrainingBatch batch;
  batch.x = torch::randn({4, 16, 64});
  batch.curve = torch::randn({4, 6, 2});
  batch.target = batch.curve.mean(1);
  model->TrainingLoss(batch).backward();
  bool reached = false;
  for (const auto& p : model->named_parameters()) {
    if (p.key().rfind("emotion_gru.", 0) == 0) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
      reached = reached || p.value().grad().abs().sum().item<double>() > 0;
    }
  }
  EXPECT_TRUE(reached);
  batch.curve = torch::Tensor();
  EXPECT_THROW(model->TrainingLoss(batch), Error);
  models::ModelSpec static_task = DynamicSpec();
  static_task.task = "regression";
  static_task.curve_steps = 0;
  models::RegisterBuiltinModels();
  EXPECT_THROW(models::CreateModel("emb_cl", static_task), ConfigError);
}

// The plain C++ GRU that answers cached `mer search` queries, against torch::nn::GRU with the same weights.
TEST(EmbClEmotionGru, SearchCopyEqualsTorchGru) {
  torch::manual_seed(11);
  torch::nn::GRU gru(torch::nn::GRUOptions(2, 5).batch_first(true));
  gru->to(torch::kDouble);
  const auto flat = [](const torch::Tensor& t) {
    const torch::Tensor c = t.detach().contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  };
  train::EmotionEncoder::Gru copy;
  copy.in = 2;
  copy.hidden = 5;
  copy.w_ih = flat(gru->named_parameters()["weight_ih_l0"]);
  copy.w_hh = flat(gru->named_parameters()["weight_hh_l0"]);
  copy.b_ih = flat(gru->named_parameters()["bias_ih_l0"]);
  copy.b_hh = flat(gru->named_parameters()["bias_hh_l0"]);
  for (const auto& [v, a] : std::vector<std::pair<double, double>>{{0.0, 0.0}, {1.2, -0.7}, {-2.5, 2.5}}) {
    const torch::Tensor input = torch::tensor({v, a}, torch::kDouble).view({1, 1, 2}).expand({1, 7, 2}).contiguous();
    const torch::Tensor out = std::get<0>(gru->forward(input))[0];  // [7, 5]
    const std::vector<double> expected = flat(torch::cat({out.mean(0), out[6]}));
    const std::vector<double> got = copy.MeanAndLast({v, a}, 7);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], expected[k], 1e-12) << k;
  }
}

TEST(CurveSamples, InterpolatesTheAnnotationsOverTheWindow) {
  data::Item item;
  item.dynamic = data::Curve{15.0, 0.5, {0.0f, 1.0f, 2.0f, 3.0f}, {10.0f, 20.0f, 30.0f, 40.0f}};
  data::LabelNormalizer n;
  n.names = {"valence", "arousal"};
  n.mean = {1.0, 20.0};
  n.std = {2.0, 10.0};
  // Window 15.0-16.0 s in 4 steps: points at 15.125, 15.375, 15.625, 15.875 s.
  const std::vector<float> s = train::CurveSamples(item, 15.0, 16.0, 4, n);
  ASSERT_EQ(s.size(), 8u);
  const double valence[4] = {0.25, 0.75, 1.25, 1.75};
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(s[2 * k], (valence[k] - 1.0) / 2.0, 1e-6) << k;
    EXPECT_NEAR(s[2 * k + 1], (10.0 + 10.0 * valence[k] - 20.0) / 10.0, 1e-6) << k;
  }
  // Before the first and after the last annotation: the nearest value.
  const std::vector<float> outside = train::CurveSamples(item, 0.0, 30.0, 2, n);
  EXPECT_NEAR(outside[0], (0.0 - 1.0) / 2.0, 1e-6);
  EXPECT_NEAR(outside[2], (3.0 - 1.0) / 2.0, 1e-6);
  EXPECT_TRUE(train::CurveSamples(data::Item{}, 0.0, 1.0, 2, n).empty());
  EXPECT_EQ(train::CurveStepsFor(10.0), 20);
  EXPECT_EQ(train::CurveStepsFor(0.2), 2);
}

}  // namespace
}  // namespace mer
