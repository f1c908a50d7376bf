// The emb_cl retrieval evaluation against the authors' own code (ccilab-doshisha/emer-cl: linear_cca.py, the line
// fitting of train.py, evaluation.py), computed on ../shared/reference/retrieval_eval_cases.json (five cases) and a
// committed excerpt of two of them: training correlations, ranks both ways exactly, MRR and average rank to 1e-9.
#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "mer/core/error.h"
#include "mer/metrics/metrics.h"
#include "mer/models/losses.h"
#include "mer/models/retrieval.h"
#include "support/json_tensor.h"
#include "support/test_support.h"

namespace mer {
namespace {

using test::JsonMatrix;

metrics::Matrix Rows(const torch::Tensor& t) {
  metrics::Matrix out(static_cast<std::size_t>(t.size(0)));
  const torch::Tensor c = t.contiguous();
  for (int64_t i = 0; i < t.size(0); ++i) out[i].assign(c[i].data_ptr<double>(), c[i].data_ptr<double>() + t.size(1));
  return out;
}

// Ranks as evaluation.py takes them: the 1-based position of column i in row i sorted by increasing distance.
std::vector<double> Ranks(const metrics::Matrix& d) {
  std::vector<double> ranks;
  for (std::size_t i = 0; i < d.size(); ++i) {
    std::size_t closer = 0;
    for (double v : d[i]) closer += v < d[i][i];
    ranks.push_back(static_cast<double>(closer + 1));
  }
  return ranks;
}

void CheckCases(const nlohmann::json& reference) {
  ASSERT_FALSE(reference.at("cases").empty());
  for (const auto& c : reference.at("cases")) {
    const auto& in = c.at("inputs");
    const double lambda = c.at("lambda").get<double>();
    SCOPED_TRACE("lambda " + std::to_string(lambda) + ", dim " + std::to_string(c.at("dim").get<int>()));
    const models::LinearCca cca = models::LinearCca::Fit(JsonMatrix(in["train_music_emb"]), JsonMatrix(in["train_emotion_emb"]));
    const auto& corrs = c.at("train_corrs");
    ASSERT_EQ(cca.train_corrs.size(0), static_cast<int64_t>(corrs.size()));
    for (std::size_t d = 0; d < corrs.size(); ++d) {
      EXPECT_NEAR(cca.train_corrs[static_cast<int64_t>(d)].item<double>(), corrs[d].get<double>(), 1e-9) << "dim " << d;
    }
    const models::CompositeDistances distances = models::CompositeRetrievalDistances(
        &cca, JsonMatrix(in["test_music_emb"]), JsonMatrix(in["test_emotion_emb"]), JsonMatrix(in["test_music_mu"]),
        JsonMatrix(in["test_music_log_sigma"]), JsonMatrix(in["test_emotion_mu"]), JsonMatrix(in["test_emotion_log_sigma"]), lambda,
        c.at("corr_p").get<double>());
    for (const auto& [name, matrix] : {std::pair{"m2e", distances.m2e}, std::pair{"e2m", distances.e2m}}) {
      const auto& expected = c.at(name);
      const metrics::Matrix rows = Rows(matrix);
      EXPECT_EQ(Ranks(rows), expected.at("ranks").get<std::vector<double>>()) << name;
      const metrics::RetrievalMetrics m = metrics::Retrieval(rows);
      EXPECT_NEAR(m.mrr, expected.at("MRR").get<double>(), 1e-9) << name;
      EXPECT_NEAR(m.mean_rank, expected.at("AR").get<double>(), 1e-9) << name;
    }
  }
}

TEST(RetrievalEval, EqualsTheAuthorsCodeOnTheCommittedExcerpt) {
  CheckCases(nlohmann::json::parse(test::ReadBytes(test::TestData("fixtures/reference/retrieval_eval_excerpt.json"))));
}

TEST(RetrievalEval, EqualsTheAuthorsCodeOnEveryReferenceCase) {
  MER_REQUIRE_SHARED(path, "reference/retrieval_eval_cases.json");
  const auto reference = nlohmann::json::parse(test::ReadBytes(path));
  EXPECT_EQ(reference["cases"].size(), 5u);
  CheckCases(reference);
}

TEST(RetrievalEval, LinearCcaWhitensTheTrainingProjections) {
  // On the training set the projections are uncorrelated with (almost) unit variance within each view, and the
  // per-dimension correlations are the canonical correlations, in decreasing order.
  torch::manual_seed(7);
  const torch::Tensor z = torch::randn({400, 3}, torch::kDouble);
  const torch::Tensor music = torch::cat({z, torch::randn({400, 2}, torch::kDouble)}, 1);
  const torch::Tensor emotion = torch::cat({z.narrow(1, 0, 2) + 0.5 * torch::randn({400, 2}, torch::kDouble),
                                            torch::randn({400, 2}, torch::kDouble)}, 1);
  const models::LinearCca cca = models::LinearCca::Fit(music, emotion);
  ASSERT_EQ(cca.train_corrs.size(0), 4);
  const torch::Tensor m = cca.ProjectMusic(music);
  const torch::Tensor cov = m.transpose(0, 1).matmul(m) / 399.0;
  EXPECT_LE((cov - torch::eye(4, torch::kDouble)).abs().max().item<double>(), 1e-3);
  for (int d = 0; d + 1 < 4; ++d) EXPECT_GE(cca.train_corrs[d].item<double>(), cca.train_corrs[d + 1].item<double>());
  EXPECT_GT(cca.train_corrs[1].item<double>(), 0.8);
  EXPECT_LT(cca.train_corrs[2].item<double>(), 0.2);
}

TEST(RetrievalEval, LambdaZeroIsTheKlAloneAndNeedsNoCca) {
  torch::manual_seed(1);
  const torch::Tensor mu = torch::randn({5, 3}, torch::kDouble), ls = torch::randn({5, 3}, torch::kDouble);
  const torch::Tensor mu2 = torch::randn({5, 3}, torch::kDouble), ls2 = torch::randn({5, 3}, torch::kDouble);
  const models::CompositeDistances d = models::CompositeRetrievalDistances(nullptr, mu, mu2, mu, ls, mu2, ls2, 0.0);
  EXPECT_TRUE(torch::allclose(d.m2e, models::KlMatrix(mu, ls, mu2, ls2)));
  EXPECT_TRUE(torch::allclose(d.e2m, models::KlMatrix(mu2, ls2, mu, ls)));
  EXPECT_THROW(models::CompositeRetrievalDistances(nullptr, mu, mu2, mu, ls, mu2, ls2, 0.5), ConfigError);
}

}  // namespace
}  // namespace mer
