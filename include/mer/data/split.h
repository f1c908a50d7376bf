// Train / validation / test splits: the official split where the dataset has one, otherwise a seeded ratio split or
// k-fold cross-validation. Splits are stratified (valence/arousal quadrant; for tags, the item's rarest positive tag)
// and grouped (an artist, or a song duplicated under two ids, stays within one split when group_by_artist is set).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/data/corpus.h"
#include "mer/data/data_config.h"

namespace mer::data {

struct Split {
  std::string method;  // the resolved method: "official", "ratio" or "kfold"
  std::vector<std::size_t> train, val, test;  // indices into the corpus, ascending

  // {"method", "seed", "train": [ids], "val": [ids], "test": [ids]}, saved as split.json in the run folder.
  nlohmann::json ToJson(const Corpus& corpus, const SplitConfig& config) const;
  const std::vector<std::size_t>& Part(const std::string& name) const;  // "train", "val", "test"
};

// data.val_fold's parts: round(1 / val_ratio), or 0 when that is under 2 (val_fold then has no part to pick).
int ValParts(double val_ratio);

// Deterministic for a given corpus and config. Throws ConfigError when the corpus is too small to split. The test
// part does not depend on val_ratio or val_fold.
Split MakeSplit(const Corpus& corpus, const SplitConfig& config);

// Reads a split file (CSV with columns `id` and `part`; part is train, val or test) and sets each listed item's
// official_split; items it does not list are removed and counted in a note. Throws InputError naming file:line for
// an id that is not an item of the corpus, an id listed twice or an unknown part.
void ApplySplitFile(Corpus* corpus, const std::filesystem::path& path);

// The stratum used for an item (quadrant 0-3, or the rarest positive tag; -1 without any positive tag).
std::vector<int> Strata(const Corpus& corpus);

// Per-output z-score normalisation of regression labels, fitted on the training split only and saved with a run.
struct LabelNormalizer {
  std::vector<std::string> names;
  std::vector<double> mean, std;  // empty for tagging (labels are used as they are)

  static LabelNormalizer Fit(const Corpus& corpus, const std::vector<std::size_t>& train);
  std::vector<float> Normalize(const std::vector<float>& labels) const;
  std::vector<float> Denormalize(const std::vector<float>& normalized) const;
  nlohmann::json ToJson() const;
  static LabelNormalizer FromJson(const nlohmann::json& j);
};

}  // namespace mer::data
