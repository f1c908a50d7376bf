#include "task.h"

#include <algorithm>
#include <cmath>

#include "mer/core/error.h"
#include "mer/metrics/metrics.h"

namespace mer::train {

TaskInfo ResolveTask(const std::string& model_task, const std::string& monitor, const data::LabelSchema& schema) {
  TaskInfo t;
  const bool va = data::LabelIndex(schema, "valence") >= 0 && data::LabelIndex(schema, "arousal") >= 0;
  t.task = model_task == "auto" ? (schema.task == data::Task::kTagging ? "tagging" : "regression") : model_task;
  if (t.task == "tagging" && schema.task != data::Task::kTagging) {
    throw ConfigError("model.task = \"tagging\" is invalid: this dataset has valence/arousal labels, not tags");
  }
  if ((t.task == "regression" || t.task == "quadrants") && !va) {
    throw ConfigError("model.task = \"" + t.task + "\" is invalid: this dataset has tags, not valence/arousal");
  }
  t.outputs = t.task == "quadrants" ? std::vector<std::string>{"Q1", "Q2", "Q3", "Q4"} : schema.names;
  t.midpoint = schema.midpoint;
  const std::string fallback = t.task == "regression" ? "r2" : t.task == "tagging" ? "f1_micro" : "accuracy";
  t.monitor = monitor == "auto" ? fallback : monitor;
  static const std::vector<std::string> valid_regression = {"r2", "pearson", "ccc"},
                                        valid_tagging = {"f1_micro", "f1_macro", "f1_samples", "roc_auc_macro",
                                                         "average_precision_macro"},
                                        valid_quadrants = {"accuracy", "f1_macro"};
  const auto& valid = t.task == "regression" ? valid_regression : t.task == "tagging" ? valid_tagging : valid_quadrants;
  if (std::find(valid.begin(), valid.end(), t.monitor) == valid.end()) {
    std::string list;
    for (const auto& v : valid) list += (list.empty() ? "" : ", ") + v;
    throw ConfigError("train.monitor = \"" + t.monitor + "\" is invalid for " + t.task + ": expected auto or one of " + list);
  }
  return t;
}

std::vector<float> TaskInfo::Target(const std::vector<float>& raw, const data::LabelNormalizer& normalizer) const {
  if (task == "regression") return normalizer.Normalize(raw);
  if (task == "quadrants") return {static_cast<float>(data::Quadrant(raw[0], raw[1], midpoint))};
  return raw;
}

nlohmann::json TaskInfo::ToJson() const {
  return {{"task", task}, {"outputs", outputs}, {"midpoint", midpoint}, {"monitor", monitor}};
}

TaskInfo TaskInfo::FromJson(const nlohmann::json& j) {
  TaskInfo t;
  t.task = j.at("task").get<std::string>();
  t.outputs = j.at("outputs").get<std::vector<std::string>>();
  t.midpoint = j.at("midpoint").get<double>();
  t.monitor = j.at("monitor").get<std::string>();
  return t;
}

nlohmann::json ComputeMetrics(const TaskInfo& task, const std::vector<std::vector<float>>& truth,
                              const std::vector<std::vector<double>>& predicted) {
  if (truth.empty()) return nlohmann::json::object();
  if (task.task == "regression") {
    metrics::Matrix y, p;
    for (std::size_t i = 0; i < truth.size(); ++i) {
      y.emplace_back(truth[i].begin(), truth[i].end());
      p.push_back(predicted[i]);
    }
    return metrics::Regression(y, p, task.outputs).ToJson();
  }
  if (task.task == "tagging") {
    metrics::Matrix y, p;
    for (std::size_t i = 0; i < truth.size(); ++i) {
      y.emplace_back(truth[i].begin(), truth[i].end());
      p.push_back(predicted[i]);
    }
    return metrics::Tagging(y, p).ToJson();
  }
  std::vector<int> y, p;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    y.push_back(data::Quadrant(truth[i][0], truth[i][1], task.midpoint));
    p.push_back(static_cast<int>(std::max_element(predicted[i].begin(), predicted[i].end()) - predicted[i].begin()));
  }
  return metrics::Classification(y, p, 4).ToJson();
}

double MonitorValue(const TaskInfo& task, const nlohmann::json& m) {
  const auto it = m.find(task.monitor);
  if (it == m.end() || !it->is_number()) return -INFINITY;
  return it->get<double>();
}

}  // namespace mer::train
