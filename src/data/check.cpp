#include "mer/data/check.h"

#include <algorithm>
#include <cmath>

#include "mer/core/error.h"
#include "mer/data/split.h"

namespace mer::data {
namespace {

nlohmann::ordered_json Stats(const Corpus& corpus, const std::vector<std::size_t>& indices, bool with_range) {
  nlohmann::ordered_json labels = nlohmann::ordered_json::object();
  for (std::size_t d = 0; d < corpus.schema.names.size(); ++d) {
    double sum = 0, sum_sq = 0, lo = INFINITY, hi = -INFINITY;
    std::size_t positives = 0;
    for (std::size_t i : indices) {
      const double v = corpus.items[i].labels[d];
      sum += v;
      sum_sq += v * v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      positives += v >= 0.5;
    }
    const double n = static_cast<double>(indices.size());
    nlohmann::ordered_json s;
    if (indices.empty()) {
      s = {{"mean", nullptr}, {"std", nullptr}};
    } else {
      const double mean = sum / n;
      s = {{"mean", mean}, {"std", std::sqrt(std::max(0.0, sum_sq / n - mean * mean))}};
      if (with_range) s["min"] = lo, s["max"] = hi;
    }
    if (corpus.schema.task != Task::kRegression) s["positives"] = positives;
    labels[corpus.schema.names[d]] = s;
  }
  return labels;
}

}  // namespace

nlohmann::ordered_json CheckCorpus(const Corpus& corpus, const SplitConfig& split_config) {
  nlohmann::ordered_json report;
  report["dataset"] = corpus.dataset;
  report["root"] = corpus.root.string();
  report["task"] = corpus.schema.task == Task::kRegression ? "regression"
                   : corpus.schema.task == Task::kTagging  ? "tagging"
                                                           : "classes";
  report["scale"] = {corpus.schema.scale_min, corpus.schema.scale_max};
  report["annotated"] = corpus.items.size();
  report["skipped_unlabeled"] = corpus.skipped_unlabeled;
  std::size_t with_audio = 0, with_dynamic = 0;
  nlohmann::ordered_json missing = nlohmann::ordered_json::array();
  std::vector<std::string> seen_audio;
  std::size_t missing_count = 0;
  std::vector<bool> has_audio;
  for (const auto& item : corpus.items) {
    std::error_code ec;
    has_audio.push_back(std::filesystem::is_regular_file(item.audio, ec));
    if (has_audio.back()) {
      ++with_audio;
    } else {
      ++missing_count;
      if (missing.size() < 5) missing.push_back(item.id);
    }
    with_dynamic += item.dynamic.has_value();
  }
  report["with_audio"] = with_audio;
  report["missing_audio"] = missing_count;
  report["missing_audio_examples"] = missing;
  report["with_dynamic"] = with_dynamic;
  std::vector<std::size_t> all(corpus.items.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  report["labels"] = Stats(corpus, all, true);
  const int v = LabelIndex(corpus.schema, "valence"), a = LabelIndex(corpus.schema, "arousal");
  if (v >= 0 && a >= 0) {
    std::size_t q[4] = {0, 0, 0, 0};
    for (const auto& item : corpus.items) ++q[Quadrant(item.labels[v], item.labels[a], corpus.schema.midpoint)];
    report["quadrants"] = {{"Q1", q[0]}, {"Q2", q[1]}, {"Q3", q[2]}, {"Q4", q[3]}};
  }
  if (corpus.schema.task == Task::kClasses) {  // items per class, and per class with audio
    nlohmann::ordered_json classes = nlohmann::ordered_json::object();
    for (std::size_t c = 0; c < corpus.schema.names.size(); ++c) {
      std::size_t n = 0, audio = 0;
      for (std::size_t i = 0; i < corpus.items.size(); ++i) {
        if (corpus.items[i].labels[c] < 0.5f) continue;
        ++n;
        audio += has_audio[i];
      }
      classes[corpus.schema.names[c]] = {{"items", n}, {"with_audio", audio}};
    }
    report["classes"] = classes;
  }
  nlohmann::ordered_json warnings = corpus.warnings;
  try {
    const Split split = MakeSplit(corpus, split_config);
    nlohmann::ordered_json splits = {{"method", split.method}};
    for (const char* part : {"train", "val", "test"}) {
      splits[part] = {{"count", split.Part(part).size()}, {"labels", Stats(corpus, split.Part(part), false)}};
    }
    report["splits"] = splits;
  } catch (const ConfigError& e) {
    report["splits"] = nullptr;
    warnings.push_back(std::string("cannot split: ") + e.what());
  }
  if (missing_count > 0) {
    warnings.push_back(std::to_string(missing_count) + " of " + std::to_string(corpus.items.size()) +
                       " items have no audio file (they are left out of training and evaluation)");
  }
  report["warnings"] = warnings;
  report["notes"] = corpus.notes;
  return report;
}

}  // namespace mer::data
