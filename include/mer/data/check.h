// The report behind `mer data check`: counts, audio presence, label statistics per split, warnings.
#pragma once

#include <nlohmann/json.hpp>

#include "mer/data/corpus.h"
#include "mer/data/data_config.h"

namespace mer::data {

// {"dataset", "root", "annotated", "skipped_unlabeled", "with_audio", "missing_audio", "missing_audio_examples",
//  "with_dynamic", "labels": {name: {min, max, mean, std[, positives]}}, "quadrants": {Q1..Q4} (valence/arousal),
//  "splits": {"method", "train"|"val"|"test": {"count", "labels": {name: {mean, std}}}}, "warnings": [...],
//  "notes": [...]}, keys and labels in schema order.
nlohmann::ordered_json CheckCorpus(const Corpus& corpus, const SplitConfig& split);

}  // namespace mer::data
