// The emb_cl losses against references we did not write: the KL rank loss against the authors' own loss code
// (../shared/reference/kl_rank_loss_cases.json, and a committed excerpt), the deep CCA correlation against an
// independent numpy computation (tests/reference/make_cca_golden.py), plus invariants.
#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "mer/models/losses.h"
#include "support/json_tensor.h"
#include "support/test_support.h"

namespace mer {
namespace {

using test::JsonMatrix;

// Every case: the KL matrix element-wise and the rank loss, float64, relative error <= 1e-6.
void CheckKlCases(const nlohmann::json& reference) {
  ASSERT_FALSE(reference.at("cases").empty());
  for (const auto& c : reference.at("cases")) {
    const torch::Tensor mm = JsonMatrix(c["music_mu"]), ml = JsonMatrix(c["music_log_sigma"]);
    const torch::Tensor em = JsonMatrix(c["emotion_mu"]), el = JsonMatrix(c["emotion_log_sigma"]);
    const torch::Tensor kl = models::KlMatrix(mm, ml, em, el);
    const torch::Tensor expected_kl = JsonMatrix(c["kl_music_to_emotion"]);
    EXPECT_LE(((kl - expected_kl).abs() / expected_kl.abs()).max().item<double>(), 1e-6) << "batch " << c["batch"];
    const double loss = models::KlRankLoss(mm, ml, em, el, c["margin"].get<double>()).item<double>();
    const double expected = c["rank_loss"].get<double>();
    EXPECT_LE(std::abs(loss - expected) / std::abs(expected), 1e-6)
        << "batch " << c["batch"] << " dim " << c["dim"] << ": " << loss << " vs " << expected;
  }
}

TEST(KlRankLoss, EqualsTheAuthorsCodeOnTheCommittedExcerpt) {
  CheckKlCases(nlohmann::json::parse(test::ReadBytes(test::TestData("fixtures/reference/kl_rank_loss_excerpt.json"))));
}

TEST(KlRankLoss, EqualsTheAuthorsCodeOnEveryReferenceCase) {
  MER_REQUIRE_SHARED(path, "reference/kl_rank_loss_cases.json");
  const auto reference = nlohmann::json::parse(test::ReadBytes(path));
  EXPECT_EQ(reference["cases"].size(), 5u);
  CheckKlCases(reference);
}

TEST(KlRankLoss, IsZeroDistanceForIdenticalGaussiansAndHingesOnTheMargin) {
  const torch::Tensor mu = torch::tensor({0.0, 0.0, 10.0, 10.0}, torch::kDouble).reshape({2, 2});
  const torch::Tensor log_sigma = torch::zeros({2, 2}, torch::kDouble);
  const torch::Tensor kl = models::KlMatrix(mu, log_sigma, mu, log_sigma);
  EXPECT_NEAR(kl[0][0].item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(kl[0][1].item<double>(), 0.5 * 200 / (1 + 1e-6), 1e-4);  // 0.5 * |dmu|^2 / var
  // Positives at distance ~0, negatives at 100: no hinge cost; only the 1e-3 * |KL(positive)| terms (~0) remain.
  EXPECT_NEAR(models::KlRankLoss(mu, log_sigma, mu, log_sigma, 1.0).item<double>(), 0.0, 1e-9);
  // Swapped pairs: each positive is the far one; 2 directions x 2 rows x (100 + 1) hinge + 2 * 2 * 2 * 1e-3 * 100.
  const torch::Tensor swapped = mu.flip(0);
  EXPECT_NEAR(models::KlRankLoss(mu, log_sigma, swapped, log_sigma, 1.0).item<double>(), 4 * 101.0 + 0.8, 1e-3);
}

TEST(CcaCorrelation, EqualsAnIndependentNumpyComputation) {
  const auto golden = nlohmann::json::parse(test::ReadBytes(test::TestData("reference/cca/golden.json")));
  ASSERT_EQ(golden["cases"].size(), 5u);
  for (const auto& c : golden["cases"]) {
    const double got = models::CcaCorrelation(JsonMatrix(c["h1"]), JsonMatrix(c["h2"]), c["regulariser"].get<double>()).item<double>();
    const double expected = c["total_correlation"].get<double>();
    EXPECT_LE(std::abs(got - expected) / expected, 1e-8) << got << " vs " << expected;
  }
}

TEST(CcaCorrelation, OneDimensionIsTheAbsolutePearsonCorrelation) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({200, 1}, torch::kDouble);
  const torch::Tensor y = -0.5 * x + torch::randn({200, 1}, torch::kDouble);
  const torch::Tensor xc = x - x.mean(), yc = y - y.mean();
  const double r = ((xc * yc).sum() / (xc.norm() * yc.norm())).item<double>();
  EXPECT_NEAR(models::CcaCorrelation(x, y, 0.0).item<double>(), std::abs(r), 1e-9);
}

TEST(CcaCorrelation, AnInvertibleLinearMapIsFullyCorrelatedAndGradientsStayFinite) {
  torch::manual_seed(4);
  const torch::Tensor h1 = torch::randn({64, 6}, torch::kDouble);
  const torch::Tensor h2 = h1.matmul(torch::randn({6, 6}, torch::kDouble)) + 3.0;
  EXPECT_NEAR(models::CcaCorrelation(h1, h2, 1e-9).item<double>(), 6.0, 1e-5);
  // A batch smaller than the dimension: repeated covariance eigenvalues, still finite gradients.
  const torch::Tensor a = torch::randn({8, 32}, torch::requires_grad());
  const torch::Tensor b = torch::randn({8, 32}, torch::requires_grad());
  const torch::Tensor correlation = models::CcaCorrelation(a, b);
  correlation.backward();
  EXPECT_TRUE(std::isfinite(correlation.item<double>()));
  EXPECT_TRUE(torch::isfinite(a.grad()).all().item<bool>());
  EXPECT_TRUE(torch::isfinite(b.grad()).all().item<bool>());
  EXPECT_LE(correlation.item<double>(), 7.1);  // rank 7 of centred 8-row views (float32 rounding above)
}

}  // namespace
}  // namespace mer
