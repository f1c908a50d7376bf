#include "task.h"

#include <algorithm>
#include <cmath>

#include "mer/core/error.h"
#include "mer/core/strings.h"
#include "mer/metrics/metrics.h"
#include "mer/train/run_config.h"

namespace mer::train {

TaskInfo ResolveTask(const std::string& model_task, const std::string& monitor, const data::LabelSchema& schema) {
  TaskInfo t;
  const bool va = data::LabelIndex(schema, "valence") >= 0 && data::LabelIndex(schema, "arousal") >= 0;
  const std::string labels = schema.task == data::Task::kTagging   ? "tags"
                             : schema.task == data::Task::kClasses ? "classes"
                                                                   : "valence/arousal labels";
  // The dataset's own task for "auto": its tags, its classes, else its valence/arousal values per track.
  const TaskKind* own = FindTask(schema.task == data::Task::kTagging   ? "tagging"
                                 : schema.task == data::Task::kClasses ? "classes"
                                                                       : "regression");
  const TaskKind* kind = model_task == "auto" ? own : FindTask(model_task);
  if (kind == nullptr) throw ConfigError("model.task = \"" + model_task + "\" is invalid: expected auto or one of " + TaskNames());
  t.task = kind->name;
  if (kind->tagging && schema.task != data::Task::kTagging) {
    throw ConfigError("model.task = \"" + t.task + "\" is invalid: this dataset has " + labels + ", not tags");
  }
  if (kind->classification && !kind->quadrants && schema.task != data::Task::kClasses) {
    throw ConfigError("model.task = \"" + t.task + "\" is invalid: this dataset has " + labels +
                      ", not one class per item (\"quadrants\" classifies valence/arousal)");
  }
  if (kind->needs_valence_arousal && !va) {
    throw ConfigError("model.task = \"" + t.task + "\" is invalid: this dataset has " + labels +
                      ", not valence/arousal" + (schema.task == data::Task::kClasses ? " (use \"classes\")" : ""));
  }
  // Outputs: the quadrants, valence and arousal of the curves, else the dataset's own label names.
  t.outputs = kind->classification && kind->quadrants ? std::vector<std::string>{"Q1", "Q2", "Q3", "Q4"}
              : kind->dynamic                         ? std::vector<std::string>{"valence", "arousal"}
                                                      : schema.names;
  t.midpoint = schema.midpoint;
  t.monitor = monitor == "auto" ? kind->default_monitor : monitor;
  const auto& valid = kind->monitors;
  if (std::find(valid.begin(), valid.end(), t.monitor) == valid.end()) {
    const std::string list = Joined(valid);
    throw ConfigError("train.monitor = \"" + t.monitor + "\" is invalid for " + t.task + ": expected auto or one of " + list);
  }
  return t;
}

std::vector<float> TaskInfo::Target(const std::vector<float>& raw, const data::LabelNormalizer& normalizer) const {
  const TaskKind& kind = Kind();
  if (kind.valence_arousal && !kind.dynamic) return normalizer.Normalize(raw);  // the curves normalise their own
  if (kind.classification && kind.quadrants) return {static_cast<float>(data::Quadrant(raw[0], raw[1], midpoint))};
  if (kind.classification) return {static_cast<float>(std::max_element(raw.begin(), raw.end()) - raw.begin())};
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
  if (FindTask(t.task) == nullptr) throw InputError("unknown task '" + t.task.substr(0, 40) + "'");
  if (t.outputs.empty() || t.outputs.size() > 100000) {
    throw InputError("task with " + std::to_string(t.outputs.size()) + " outputs");
  }
  if (!std::isfinite(t.midpoint)) throw InputError("task midpoint is not finite");
  return t;
}

FeatureNorm FeatureNorm::FromJson(const nlohmann::json& j) {
  FeatureNorm n;
  n.mean = j.at("mean").get<std::vector<float>>();
  n.std = j.at("std").get<std::vector<float>>();
  if (n.mean.size() != n.std.size()) throw InputError("feature normalisation: mean and sd sizes differ");
  for (std::size_t i = 0; i < n.mean.size(); ++i) {
    if (!std::isfinite(n.mean[i]) || !std::isfinite(n.std[i]) || !(n.std[i] > 0)) {
      throw InputError("feature normalisation: band " + std::to_string(i) + " has mean " + std::to_string(n.mean[i]) +
                       " and sd " + std::to_string(n.std[i]) + " (must be finite, sd > 0)");
    }
  }
  return n;
}

RunMeta InterpretRunMeta(const nlohmann::json& meta, const std::string& source) {
  try {
    RunMeta m;
    m.task = TaskInfo::FromJson(meta.at("task"));
    m.normalizer = data::LabelNormalizer::FromJson(meta.at("normalizer"));
    m.feature_norm = FeatureNorm::FromJson(meta.at("feature_norm"));
    const RunInputSpec input = RunInputSpecFromConfig(meta.at("config"));
    m.frontend = input.frontend;
    m.waveform = input.waveform;
    m.pretrained = input.pretrained;
    const nlohmann::json& frames = meta.contains("crop") ? meta.at("crop") : meta.at("spec").at("frames");
    m.frames = frames.get<int64_t>();
    if (m.frames < 1 || m.frames > 100000000) throw InputError("a model input of " + std::to_string(m.frames) + " columns");
    const int rows = m.pretrained.enabled() ? m.pretrained.Rows() : m.frontend.NumRows();
    if (!m.feature_norm.mean.empty() && !m.waveform &&
        m.feature_norm.mean.size() != static_cast<std::size_t>(rows)) {
      throw InputError("feature normalisation for " + std::to_string(m.feature_norm.mean.size()) + " bands, the frontend has " +
                       std::to_string(rows));
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    if (what.size() > 160) what = what.substr(0, 160) + "...";
    throw InputError(source + ": checkpoint meta is malformed (" + what + ")");
  } catch (const Error& e) {
    throw InputError(source + ": checkpoint meta does not check out (" + std::string(e.what()) + ")");
  }
}

std::optional<std::vector<float>> CurveMean(const data::Item& item, double from, double to, bool nearest) {
  if (!item.dynamic || item.dynamic->valence.empty()) return std::nullopt;
  const data::Curve& c = *item.dynamic;
  double v = 0, a = 0;
  int n = 0;
  for (std::size_t k = 0; k < c.valence.size(); ++k) {
    const double t = c.start_seconds + c.hop_seconds * static_cast<double>(k);
    if (t >= from && t < to) v += c.valence[k], a += c.arousal[k], ++n;
  }
  if (n > 0) return std::vector<float>{static_cast<float>(v / n), static_cast<float>(a / n)};
  if (!nearest) return std::nullopt;
  const double middle = 0.5 * (from + to);
  const double position = std::round((middle - c.start_seconds) / c.hop_seconds);
  const std::size_t k = static_cast<std::size_t>(std::clamp(position, 0.0, static_cast<double>(c.valence.size() - 1)));
  return std::vector<float>{c.valence[k], c.arousal[k]};
}

std::vector<float> CurveSamples(const data::Item& item, double from, double to, int steps,
                                const data::LabelNormalizer& normalizer) {
  if (!item.dynamic || item.dynamic->valence.empty()) return {};
  const data::Curve& c = *item.dynamic;
  const double last = static_cast<double>(c.valence.size() - 1);
  std::vector<float> out;
  out.reserve(static_cast<std::size_t>(steps) * 2);
  for (int k = 0; k < steps; ++k) {
    const double t = from + (to - from) * (k + 0.5) / steps;
    const double x = std::clamp((t - c.start_seconds) / c.hop_seconds, 0.0, last);
    const std::size_t i = static_cast<std::size_t>(x);
    const std::size_t j = std::min(i + 1, c.valence.size() - 1);
    const double w = x - static_cast<double>(i);
    const std::vector<float> z = normalizer.Normalize({static_cast<float>(c.valence[i] * (1 - w) + c.valence[j] * w),
                                                       static_cast<float>(c.arousal[i] * (1 - w) + c.arousal[j] * w)});
    out.insert(out.end(), z.begin(), z.end());
  }
  return out;
}

int CurveStepsFor(double seconds) { return std::max(2, static_cast<int>(std::lround(seconds * 2.0))); }

data::LabelNormalizer FitCurveNormalizer(const data::Corpus& corpus, const std::vector<std::size_t>& train) {
  data::LabelNormalizer n;
  n.names = {"valence", "arousal"};
  double sum[2] = {0, 0}, sum_sq[2] = {0, 0}, count = 0;
  for (std::size_t i : train) {
    const auto& d = corpus.items[i].dynamic;
    if (!d) continue;
    for (std::size_t k = 0; k < d->valence.size(); ++k) {
      const double x[2] = {d->valence[k], d->arousal[k]};
      for (int j = 0; j < 2; ++j) sum[j] += x[j], sum_sq[j] += x[j] * x[j];
      ++count;
    }
  }
  for (int j = 0; j < 2; ++j) {
    const double mean = count ? sum[j] / count : 0.0, var = count ? sum_sq[j] / count - mean * mean : 1.0;
    n.mean.push_back(mean);
    n.std.push_back(var > 1e-12 ? std::sqrt(var) : 1.0);
  }
  return n;
}

data::LabelNormalizer TaskInfo::FitNormalizer(const data::Corpus& corpus, const std::vector<std::size_t>& train) const {
  if (IsValenceArousal() && !IsDynamic()) return data::LabelNormalizer::Fit(corpus, train);
  if (IsDynamic()) return FitCurveNormalizer(corpus, train);
  return data::LabelNormalizer{};
}

nlohmann::json ComputeMetrics(const TaskInfo& task, const std::vector<std::vector<float>>& truth,
                              const std::vector<std::vector<double>>& predicted) {
  if (truth.empty()) return nlohmann::json::object();
  if (task.IsValenceArousal()) {
    metrics::Matrix y, p;
    for (std::size_t i = 0; i < truth.size(); ++i) {
      y.emplace_back(truth[i].begin(), truth[i].end());
      p.push_back(predicted[i]);
    }
    return metrics::Regression(y, p, task.outputs).ToJson();
  }
  if (task.IsTagging()) {
    metrics::Matrix y, p;
    for (std::size_t i = 0; i < truth.size(); ++i) {
      y.emplace_back(truth[i].begin(), truth[i].end());
      p.push_back(predicted[i]);
    }
    return metrics::Tagging(y, p).ToJson();
  }
  std::vector<int> y, p;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    y.push_back(task.HasQuadrants() ? data::Quadrant(truth[i][0], truth[i][1], task.midpoint)
                                    : static_cast<int>(std::max_element(truth[i].begin(), truth[i].end()) - truth[i].begin()));
    p.push_back(static_cast<int>(std::max_element(predicted[i].begin(), predicted[i].end()) - predicted[i].begin()));
  }
  return metrics::Classification(y, p, static_cast<int>(task.outputs.size()), task.outputs).ToJson();
}

double MonitorValue(const TaskInfo& task, const nlohmann::json& m) {
  const auto it = m.find(task.monitor);
  if (it == m.end() || !it->is_number()) return -INFINITY;
  return it->get<double>();
}

}  // namespace mer::train
