// What a run learns and how it is scored (internal to the train library; no LibTorch).
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/core/task_kind.h"
#include "mer/data/corpus.h"
#include "mer/data/split.h"
#include "mer/features/frontend_config.h"
#include "mer/train/run_config.h"

namespace mer::train {

struct TaskInfo {
  std::string task;                  // a TaskKind's name: "regression", "tagging", "quadrants", "classes", "dynamic"
  std::vector<std::string> outputs;  // model output names
  double midpoint = 0.5;             // quadrant threshold, dataset scale
  std::string monitor;               // validation metric key, larger is better

  // What the task is (TaskNamed throws for a name no task has; FromJson and ResolveTask never produce one).
  const TaskKind& Kind() const { return TaskNamed(task); }
  // Single-label classification (softmax + cross-entropy; target = class index): quadrants and classes.
  bool IsClassification() const { return Has(&TaskKind::classification); }
  // Multi-label tags (sigmoid + binary cross-entropy).
  bool IsTagging() const { return Has(&TaskKind::tagging); }
  // Valence/arousal curves scored per window.
  bool IsDynamic() const { return Has(&TaskKind::dynamic); }
  // Valence/arousal values as targets: per track (regression) or per window (dynamic).
  bool IsValenceArousal() const { return Has(&TaskKind::valence_arousal); }
  // The labels are valence/arousal, so every target has a Russell quadrant (regression, dynamic, quadrants).
  bool HasQuadrants() const { return Has(&TaskKind::quadrants); }
  // The label normalisation the task trains with, fitted on the training items: z-scores of the valence/arousal
  // values (regression) or of the curves' values (dynamic); none for classes and tags.
  data::LabelNormalizer FitNormalizer(const data::Corpus& corpus, const std::vector<std::size_t>& train) const;
  // Training target of an item from its raw labels (regression: normalised; tagging: as given; quadrants: index).
  std::vector<float> Target(const std::vector<float>& raw, const data::LabelNormalizer& normalizer) const;
  nlohmann::json ToJson() const;
  // The task's flag; false for a task no TaskKind has (a TaskInfo not yet resolved).
  bool Has(bool TaskKind::*flag) const {
    const TaskKind* kind = FindTask(task);
    return kind != nullptr && kind->*flag;
  }
  static TaskInfo FromJson(const nlohmann::json& j);
};

// Per-mel-band standardisation of the log-mel input, fitted on the training items and saved with the run: the
// models see (x - mean[m]) / std[m], which keeps dB values (-100..+40) in a range the optimisers handle well.
struct FeatureNorm {
  std::vector<float> mean, std;  // [rows]; empty = identity
  template <typename GetSpectrogram>
  // Rows from `standardised` on (the chroma rows, already in [0, 1]) keep mean 0 and sd 1.
  static FeatureNorm Fit(const std::vector<std::size_t>& items, GetSpectrogram&& get, int n_mels,
                         int standardised = -1);
  nlohmann::json ToJson() const { return {{"mean", mean}, {"std", std}}; }
  // Throws nlohmann::json::exception for a wrong shape, InputError for sizes that differ or values that are not
  // finite (sd must be > 0).
  static FeatureNorm FromJson(const nlohmann::json& j);
};

template <typename GetSpectrogram>
FeatureNorm FeatureNorm::Fit(const std::vector<std::size_t>& items, GetSpectrogram&& get, int n_mels,
                             int standardised) {
  std::vector<double> sum(static_cast<std::size_t>(n_mels), 0.0), sum_sq(sum.size(), 0.0);
  double count = 0;
  for (std::size_t i : items) {
    const auto s = get(i);
    for (int m = 0; m < n_mels; ++m) {
      for (int64_t f = 0; f < s.frames; ++f) {
        const double v = s.at(m, f);
        sum[m] += v;
        sum_sq[m] += v * v;
      }
    }
    count += static_cast<double>(s.frames);
  }
  FeatureNorm n;
  for (int m = 0; m < n_mels; ++m) {
    if (standardised >= 0 && m >= standardised) {
      n.mean.push_back(0.0f);
      n.std.push_back(1.0f);
      continue;
    }
    const double mean = count > 0 ? sum[m] / count : 0.0;
    const double var = count > 0 ? sum_sq[m] / count - mean * mean : 1.0;
    n.mean.push_back(static_cast<float>(mean));
    n.std.push_back(static_cast<float>(var > 1e-12 ? std::sqrt(var) : 1.0));
  }
  return n;
}

// What eval, predict and search read from a checkpoint's meta, interpreted and checked without LibTorch: a meta that
// is malformed or inconsistent (wrong types, unknown task, a frontend config that does not validate, a crop
// outside 1 .. 10^8 columns) is an InputError naming `source`, never an internal error.
struct RunMeta {
  TaskInfo task;
  data::LabelNormalizer normalizer;
  FeatureNorm feature_norm;
  features::FrontendConfig frontend;
  bool waveform = false;
  PretrainedFrontendConfig pretrained;  // enabled: inputs are the layers' values per patch
  int64_t frames = 0;  // columns per model input
};
RunMeta InterpretRunMeta(const nlohmann::json& meta, const std::string& source);

// Dynamic task: the mean of an item's curve over [from, to) seconds of its audio file ({valence, arousal}), or
// nothing when no curve value falls inside; `nearest` then returns the closest value instead.
std::optional<std::vector<float>> CurveMean(const data::Item& item, double from, double to, bool nearest);

// Dynamic task: the curve at `steps` evenly spaced points over [from, to) seconds (each at the middle of its
// step, linearly interpolated between annotations, the first/last annotation outside them), z-scored by
// `normalizer`, as steps x {valence, arousal}; empty when the item has no curve.
std::vector<float> CurveSamples(const data::Item& item, double from, double to, int steps,
                                const data::LabelNormalizer& normalizer);
// How many 2 Hz curve points cover a window of `seconds` (at least 2).
int CurveStepsFor(double seconds);

// Dynamic task: z-score statistics of the training items' curve values.
data::LabelNormalizer FitCurveNormalizer(const data::Corpus& corpus, const std::vector<std::size_t>& train);

// ConfigError when the model task does not fit the dataset (tags for valence/arousal data, quadrants for tags).
TaskInfo ResolveTask(const std::string& model_task, const std::string& monitor, const data::LabelSchema& schema);

// Track-level metrics from raw truth labels and predictions in output space (regression: dataset scale; tagging:
// probabilities; quadrants: class probabilities).
nlohmann::json ComputeMetrics(const TaskInfo& task, const std::vector<std::vector<float>>& truth,
                              const std::vector<std::vector<double>>& predicted);
double MonitorValue(const TaskInfo& task, const nlohmann::json& metrics);

}  // namespace mer::train
