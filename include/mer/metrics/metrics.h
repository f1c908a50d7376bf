// Evaluation metrics, equal to scikit-learn's (tests/reference/make_metrics_golden.py checks them):
//   regression      r2_score, mean_squared_error (RMSE), mean_absolute_error per output and their mean; Pearson r;
//                   concordance correlation coefficient (Lin 1989, population moments)
//   multi-label     f1_score micro / macro / samples, precision_score / recall_score micro (threshold 0.5),
//                   roc_auc_score and average_precision_score macro over the labels with both classes present
//   classification  accuracy_score, f1_score macro (labels present in truth or prediction), confusion_matrix
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mer::metrics {

// Row-major [n, k] matrices as vectors of rows.
using Matrix = std::vector<std::vector<double>>;

struct RegressionMetrics {
  std::vector<std::string> names;
  std::vector<double> r2, rmse, mae, pearson, ccc;  // per output
  double mean_r2 = 0, mean_rmse = 0, mean_mae = 0, mean_pearson = 0, mean_ccc = 0;
  nlohmann::json ToJson() const;
};
RegressionMetrics Regression(const Matrix& truth, const Matrix& predicted, const std::vector<std::string>& names);

struct TaggingMetrics {
  double f1_micro = 0, f1_macro = 0, f1_samples = 0, precision_micro = 0, recall_micro = 0;
  double roc_auc_macro = 0, average_precision_macro = 0;  // NaN when no label has both classes
  std::size_t auc_labels = 0;                               // labels that entered the two averages
  nlohmann::json ToJson() const;
};
// truth: 0/1 (soft labels are thresholded at 0.5); scores: probabilities.
TaggingMetrics Tagging(const Matrix& truth, const Matrix& scores, double threshold = 0.5);

struct ClassificationMetrics {
  double accuracy = 0, f1_macro = 0;
  std::vector<std::vector<std::size_t>> confusion;  // [true class][predicted class]
  // Per class (sklearn.metrics.precision_recall_fscore_support(labels=range(classes), zero_division=0)).
  std::vector<std::string> names;                   // class names ("0", "1", ... when none are given)
  std::vector<double> precision, recall, f1;
  std::vector<std::size_t> support;                 // items of the class in the truth
  // {"accuracy", "f1_macro", "confusion", "classes": [names], "per_class": {name: {precision, recall, f1, support}}}
  nlohmann::json ToJson() const;
};
ClassificationMetrics Classification(const std::vector<int>& truth, const std::vector<int>& predicted, int classes,
                                     const std::vector<std::string>& names = {});

// Cross-modal retrieval where query i's one relevant candidate is candidate i. distance[i][j]: smaller = better.
// Rank of the relevant candidate is 1 + the number of candidates strictly closer (ties favour it).
struct RetrievalMetrics {
  double mrr = 0;          // mean reciprocal rank
  double mean_rank = 0;    // average rank, 1 = best
  double median_rank = 0;
  double recall_at_1 = 0, recall_at_5 = 0, recall_at_10 = 0;
  double chance_mrr = 0;   // the MRR of a random ranking of the same number of candidates: H_n / n
  std::size_t candidates = 0;
  nlohmann::json ToJson() const;
};
RetrievalMetrics Retrieval(const Matrix& distance);

}  // namespace mer::metrics
