// Metrics against scikit-learn on fixed predictions (tests/reference/make_metrics_golden.py).
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>

#include "mer/core/error.h"
#include "mer/metrics/metrics.h"
#include "support/test_support.h"

namespace mer::metrics {
namespace {

nlohmann::json Golden() {
  std::ifstream in(mer::test::TestData("reference/metrics/golden.json"));
  return nlohmann::json::parse(in);
}

void ExpectVector(const std::vector<double>& ours, const nlohmann::json& theirs, const char* what) {
  ASSERT_EQ(ours.size(), theirs.size()) << what;
  for (std::size_t i = 0; i < ours.size(); ++i) EXPECT_NEAR(ours[i], theirs[i].get<double>(), 1e-12) << what << "[" << i << "]";
}

TEST(Metrics, RegressionEqualsSklearn) {
  const auto g = Golden()["regression"];
  const RegressionMetrics m = Regression(g["truth"].get<Matrix>(), g["predicted"].get<Matrix>(), {"valence", "arousal"});
  ExpectVector(m.r2, g["r2"], "r2");
  ExpectVector(m.rmse, g["rmse"], "rmse");
  ExpectVector(m.mae, g["mae"], "mae");
  ExpectVector(m.pearson, g["pearson"], "pearson");
  ExpectVector(m.ccc, g["ccc"], "ccc");
  EXPECT_NEAR(m.mean_r2, (g["r2"][0].get<double>() + g["r2"][1].get<double>()) / 2, 1e-12);
  EXPECT_NEAR(m.ToJson()["arousal"]["r2"].get<double>(), g["r2"][1].get<double>(), 1e-12);
}

TEST(Metrics, TaggingEqualsSklearn) {
  const auto g = Golden()["tagging"];
  const TaggingMetrics m = Tagging(g["truth"].get<Matrix>(), g["scores"].get<Matrix>());
  for (const char* key : {"f1_micro", "f1_macro", "f1_samples", "precision_micro", "recall_micro", "roc_auc_macro",
                          "average_precision_macro"}) {
    EXPECT_NEAR(m.ToJson()[key].get<double>(), g[key].get<double>(), 1e-12) << key;
  }
  EXPECT_EQ(m.auc_labels, g["auc_labels"].get<std::size_t>());
}

TEST(Metrics, ClassificationEqualsSklearn) {
  const auto g = Golden()["classification"];
  const ClassificationMetrics m = Classification(g["truth"].get<std::vector<int>>(), g["predicted"].get<std::vector<int>>(), 4);
  EXPECT_NEAR(m.accuracy, g["accuracy"].get<double>(), 1e-12);
  EXPECT_NEAR(m.f1_macro, g["f1_macro"].get<double>(), 1e-12);
  EXPECT_EQ(nlohmann::json(m.confusion), g["confusion"]);
  // Per class, as precision_recall_fscore_support(labels=[0..3], zero_division=0).
  ASSERT_EQ(m.precision.size(), 4u);
  for (std::size_t c = 0; c < 4; ++c) {
    EXPECT_NEAR(m.precision[c], g["precision"][c].get<double>(), 1e-12) << c;
    EXPECT_NEAR(m.recall[c], g["recall"][c].get<double>(), 1e-12) << c;
    EXPECT_NEAR(m.f1[c], g["f1"][c].get<double>(), 1e-12) << c;
    EXPECT_EQ(m.support[c], g["support"][c].get<std::size_t>()) << c;
  }
  const auto named = Classification(g["truth"].get<std::vector<int>>(), g["predicted"].get<std::vector<int>>(), 4,
                                    {"Q1", "Q2", "Q3", "Q4"}).ToJson();
  EXPECT_NEAR(named["per_class"]["Q2"]["f1"].get<double>(), g["f1"][1].get<double>(), 1e-12);
  EXPECT_THROW(Classification({0, 1}, {0, 1}, 2, {"only one"}), mer::Error);
}

TEST(Metrics, EdgeCases) {
  // A constant truth predicted exactly gives R2 = 1, otherwise 0 (sklearn's rule).
  EXPECT_EQ(Regression({{1}, {1}, {1}}, {{1}, {1}, {1}}, {"x"}).r2[0], 1.0);
  EXPECT_EQ(Regression({{1}, {1}, {1}}, {{1}, {2}, {1}}, {"x"}).r2[0], 0.0);
  EXPECT_THROW(Regression({{1}}, {}, {"x"}), mer::Error);
  EXPECT_TRUE(std::isnan(Tagging({{0}, {0}}, {{0.2}, {0.7}}).roc_auc_macro));
}

}  // namespace
}  // namespace mer::metrics
