#include "mer/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "mer/core/error.h"

namespace mer::metrics {
namespace {

std::vector<double> Column(const Matrix& m, std::size_t k) {
  std::vector<double> c(m.size());
  for (std::size_t i = 0; i < m.size(); ++i) c[i] = m[i][k];
  return c;
}

double Mean(const std::vector<double>& x) { return std::accumulate(x.begin(), x.end(), 0.0) / x.size(); }

void CheckShapes(const Matrix& a, const Matrix& b) {
  if (a.empty() || a.size() != b.size()) throw Error("metrics: truth and predictions differ in length or are empty");
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != a[0].size() || b[i].size() != a[0].size()) throw Error("metrics: ragged rows");
  }
}

double F1(double tp, double fp, double fn) {
  const double denominator = 2 * tp + fp + fn;
  return denominator == 0 ? 0.0 : 2 * tp / denominator;  // zero_division=0
}

// sklearn.metrics.roc_auc_score for one binary label (ties count one half).
double RocAuc(const std::vector<double>& y, const std::vector<double>& s) {
  std::vector<std::size_t> order(y.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return s[a] < s[b]; });
  // Average ranks with ties (Mann-Whitney U).
  std::vector<double> rank(y.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && s[order[j + 1]] == s[order[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = 0.5 * (i + j) + 1;
    i = j + 1;
  }
  double positives = 0, rank_sum = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (y[i] > 0.5) positives += 1, rank_sum += rank[i];
  }
  const double negatives = y.size() - positives;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

// sklearn.metrics.average_precision_score for one binary label: sum over thresholds of (R_n - R_{n-1}) P_n.
double AveragePrecision(const std::vector<double>& y, const std::vector<double>& s) {
  std::vector<std::size_t> order(y.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return s[a] > s[b]; });
  double positives = 0;
  for (double v : y) positives += v > 0.5;
  double tp = 0, fp = 0, previous_recall = 0, ap = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    (y[order[i]] > 0.5 ? tp : fp) += 1;
    // Only at the last of tied scores does a threshold exist.
    if (i + 1 < order.size() && s[order[i + 1]] == s[order[i]]) continue;
    const double recall = tp / positives, precision = tp / (tp + fp);
    ap += (recall - previous_recall) * precision;
    previous_recall = recall;
  }
  return ap;
}

}  // namespace

RegressionMetrics Regression(const Matrix& truth, const Matrix& predicted, const std::vector<std::string>& names) {
  CheckShapes(truth, predicted);
  RegressionMetrics m;
  m.names = names;
  const std::size_t k = truth[0].size();
  for (std::size_t d = 0; d < k; ++d) {
    const std::vector<double> y = Column(truth, d), p = Column(predicted, d);
    const double my = Mean(y), mp = Mean(p);
    double ss_res = 0, ss_tot = 0, abs_err = 0, cov = 0, var_y = 0, var_p = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      ss_res += (y[i] - p[i]) * (y[i] - p[i]);
      ss_tot += (y[i] - my) * (y[i] - my);
      abs_err += std::abs(y[i] - p[i]);
      cov += (y[i] - my) * (p[i] - mp);
      var_y += (y[i] - my) * (y[i] - my);
      var_p += (p[i] - mp) * (p[i] - mp);
    }
    const double n = static_cast<double>(y.size());
    // sklearn: a constant truth gives 1 for a perfect prediction and 0 otherwise.
    m.r2.push_back(ss_tot == 0 ? (ss_res == 0 ? 1.0 : 0.0) : 1.0 - ss_res / ss_tot);
    m.rmse.push_back(std::sqrt(ss_res / n));
    m.mae.push_back(abs_err / n);
    m.pearson.push_back(var_y > 0 && var_p > 0 ? cov / std::sqrt(var_y * var_p) : NAN);
    m.ccc.push_back(2 * (cov / n) / (var_y / n + var_p / n + (my - mp) * (my - mp)));
  }
  m.mean_r2 = Mean(m.r2);
  m.mean_rmse = Mean(m.rmse);
  m.mean_mae = Mean(m.mae);
  m.mean_pearson = Mean(m.pearson);
  m.mean_ccc = Mean(m.ccc);
  return m;
}

TaggingMetrics Tagging(const Matrix& truth, const Matrix& scores, double threshold) {
  CheckShapes(truth, scores);
  TaggingMetrics m;
  const std::size_t n = truth.size(), k = truth[0].size();
  double tp_all = 0, fp_all = 0, fn_all = 0, f1_sum = 0, samples_sum = 0, auc_sum = 0, ap_sum = 0;
  for (std::size_t d = 0; d < k; ++d) {
    double tp = 0, fp = 0, fn = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const bool y = truth[i][d] >= 0.5, p = scores[i][d] >= threshold;
      tp += y && p, fp += !y && p, fn += y && !p;
    }
    tp_all += tp, fp_all += fp, fn_all += fn;
    f1_sum += F1(tp, fp, fn);
    const std::vector<double> y = Column(truth, d);
    const double positives = std::count_if(y.begin(), y.end(), [](double v) { return v >= 0.5; });
    if (positives > 0 && positives < n) {
      std::vector<double> binary(n);
      for (std::size_t i = 0; i < n; ++i) binary[i] = y[i] >= 0.5;
      const std::vector<double> s = Column(scores, d);
      auc_sum += RocAuc(binary, s);
      ap_sum += AveragePrecision(binary, s);
      ++m.auc_labels;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    double tp = 0, fp = 0, fn = 0;
    for (std::size_t d = 0; d < k; ++d) {
      const bool y = truth[i][d] >= 0.5, p = scores[i][d] >= threshold;
      tp += y && p, fp += !y && p, fn += y && !p;
    }
    samples_sum += F1(tp, fp, fn);
  }
  m.f1_micro = F1(tp_all, fp_all, fn_all);
  m.f1_macro = f1_sum / k;
  m.f1_samples = samples_sum / n;
  m.precision_micro = tp_all + fp_all == 0 ? 0.0 : tp_all / (tp_all + fp_all);
  m.recall_micro = tp_all + fn_all == 0 ? 0.0 : tp_all / (tp_all + fn_all);
  m.roc_auc_macro = m.auc_labels ? auc_sum / m.auc_labels : NAN;
  m.average_precision_macro = m.auc_labels ? ap_sum / m.auc_labels : NAN;
  return m;
}

ClassificationMetrics Classification(const std::vector<int>& truth, const std::vector<int>& predicted, int classes,
                                     const std::vector<std::string>& names) {
  if (!names.empty() && names.size() != static_cast<std::size_t>(classes)) {
    throw Error("metrics: " + std::to_string(names.size()) + " class names for " + std::to_string(classes) + " classes");
  }
  if (truth.empty() || truth.size() != predicted.size()) throw Error("metrics: truth and predictions differ in length");
  ClassificationMetrics m;
  m.confusion.assign(static_cast<std::size_t>(classes), std::vector<std::size_t>(static_cast<std::size_t>(classes), 0));
  std::set<int> present;
  std::size_t correct = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] < 0 || truth[i] >= classes || predicted[i] < 0 || predicted[i] >= classes) {
      throw Error("metrics: class index outside [0, " + std::to_string(classes) + ")");
    }
    ++m.confusion[truth[i]][predicted[i]];
    correct += truth[i] == predicted[i];
    present.insert(truth[i]);
    present.insert(predicted[i]);
  }
  m.accuracy = static_cast<double>(correct) / truth.size();
  double f1_sum = 0;
  for (int c : present) {
    double tp = m.confusion[c][c], fp = 0, fn = 0;
    for (int o = 0; o < classes; ++o) {
      if (o == c) continue;
      fp += m.confusion[o][c];
      fn += m.confusion[c][o];
    }
    f1_sum += F1(tp, fp, fn);
  }
  m.f1_macro = f1_sum / present.size();
  for (int c = 0; c < classes; ++c) {
    double tp = m.confusion[c][c], predicted_c = 0, true_c = 0;
    for (int o = 0; o < classes; ++o) predicted_c += m.confusion[o][c], true_c += m.confusion[c][o];
    m.names.push_back(names.empty() ? std::to_string(c) : names[c]);
    m.precision.push_back(predicted_c > 0 ? tp / predicted_c : 0.0);  // zero_division=0
    m.recall.push_back(true_c > 0 ? tp / true_c : 0.0);
    m.f1.push_back(F1(tp, predicted_c - tp, true_c - tp));
    m.support.push_back(static_cast<std::size_t>(true_c));
  }
  return m;
}

namespace {
nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
}  // namespace

nlohmann::json RegressionMetrics::ToJson() const {
  nlohmann::json j = {{"r2", Number(mean_r2)},       {"rmse", Number(mean_rmse)}, {"mae", Number(mean_mae)},
                      {"pearson", Number(mean_pearson)}, {"ccc", Number(mean_ccc)}};
  for (std::size_t d = 0; d < names.size(); ++d) {
    j[names[d]] = {{"r2", Number(r2[d])},         {"rmse", Number(rmse[d])}, {"mae", Number(mae[d])},
                   {"pearson", Number(pearson[d])}, {"ccc", Number(ccc[d])}};
  }
  return j;
}

nlohmann::json TaggingMetrics::ToJson() const {
  return {{"f1_micro", Number(f1_micro)},
          {"f1_macro", Number(f1_macro)},
          {"f1_samples", Number(f1_samples)},
          {"precision_micro", Number(precision_micro)},
          {"recall_micro", Number(recall_micro)},
          {"roc_auc_macro", Number(roc_auc_macro)},
          {"average_precision_macro", Number(average_precision_macro)},
          {"auc_labels", auc_labels}};
}

nlohmann::json ClassificationMetrics::ToJson() const {
  nlohmann::json per_class = nlohmann::json::object();
  for (std::size_t c = 0; c < names.size(); ++c) {
    per_class[names[c]] = {{"precision", precision[c]}, {"recall", recall[c]}, {"f1", f1[c]}, {"support", support[c]}};
  }
  return {{"accuracy", accuracy}, {"f1_macro", f1_macro}, {"confusion", confusion}, {"classes", names},
          {"per_class", per_class}};
}

}  // namespace mer::metrics

namespace mer::metrics {

RetrievalMetrics Retrieval(const Matrix& distance) {
  RetrievalMetrics m;
  const std::size_t n = distance.size();
  m.candidates = n;
  if (n == 0) return m;
  std::vector<double> ranks;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t closer = 0;
    for (std::size_t j = 0; j < distance[i].size(); ++j) closer += distance[i][j] < distance[i][i];
    ranks.push_back(static_cast<double>(closer + 1));
  }
  for (double r : ranks) {
    m.mrr += 1.0 / r / static_cast<double>(n);
    m.mean_rank += r / static_cast<double>(n);
    m.recall_at_1 += (r <= 1) / static_cast<double>(n);
    m.recall_at_5 += (r <= 5) / static_cast<double>(n);
    m.recall_at_10 += (r <= 10) / static_cast<double>(n);
  }
  std::sort(ranks.begin(), ranks.end());
  m.median_rank = n % 2 ? ranks[n / 2] : 0.5 * (ranks[n / 2 - 1] + ranks[n / 2]);
  for (std::size_t k = 1; k <= n; ++k) m.chance_mrr += 1.0 / static_cast<double>(k) / static_cast<double>(n);
  return m;
}

nlohmann::json RetrievalMetrics::ToJson() const {
  return {{"mrr", mrr},
          {"mean_rank", mean_rank},
          {"median_rank", median_rank},
          {"recall_at_1", recall_at_1},
          {"recall_at_5", recall_at_5},
          {"recall_at_10", recall_at_10},
          {"chance_mrr", chance_mrr},
          {"candidates", candidates}};
}

}  // namespace mer::metrics
