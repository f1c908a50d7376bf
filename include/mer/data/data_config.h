// The `data` section of a run config: which dataset, where it is, how to split it, where to cache features.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/core/fields.h"
#include "mer/data/corpus.h"
#include "mer/data/registry.h"

namespace mer::data {

struct SplitConfig {
  std::string method = "auto";  // "auto" (file if split_file is set, else official if the dataset has one, else
                                //   "ratio"), "official", "ratio", "kfold", "file"
  std::filesystem::path file;   // split_file: `id,part` rows (part train / val / test); empty = none
  double val_ratio = 0.1;       // share of the non-test items held out for validation
  int val_fold = -1;            // >= 0: the non-test items dealt into round(1 / val_ratio) parts, this one is val
  double test_ratio = 0.2;      // share of all items held out for testing ("ratio" only)
  int folds = 5;                // "kfold": number of folds
  int fold = 0;                 // "kfold": which fold is the test set, 0 .. folds - 1
  bool stratify = true;         // deal items by class / quadrant stratum; false: a plain seeded shuffle
  uint64_t seed = 1234;
  bool group_by_artist = true;  // keep each artist (and duplicate songs) within one split

  void Validate() const;
};

struct DataConfig {
  std::string dataset;              // a registered name; pooled: the parts' names joined by '+'
  std::filesystem::path root;       // pooled: the first part's root
  // Pooled (`data.datasets: [{dataset, root, loader keys}, ...]`): the corpus is the parts' valence/arousal items
  // together, each part's labels mapped onto one scale (PoolCorpora); the split keys are the pooled config's.
  std::vector<DataConfig> parts;
  SplitConfig split;
  std::filesystem::path cache_dir;  // empty: $MER_CACHE_DIR, else $XDG_CACHE_HOME/mer, else ~/.cache/mer
  std::shared_ptr<DatasetLoader> loader;

  std::filesystem::path EffectiveCacheDir() const;
  // The loader's corpus with the split file (if any) applied: each listed item takes its part as its official
  // split, items the file does not list are left out (counted in a note). Throws InputError naming file:line.
  Corpus LoadCorpus() const;
  nlohmann::json ToJson() const;
};

// Reads and validates a `data` object: `dataset` must be registered, `root` must be a folder; the loader's own
// keys are read by the loader; unknown keys are rejected listing every valid one. Throws ConfigError.
DataConfig ParseDataConfig(const nlohmann::json& data);
// The section's own keys, declared once (mer/core/fields.h): reading, validation, resolved JSON, docs/config.md.
// Each dataset's keys are its loader's (DeclaredLoader in mer/data/registry.h).
const config::Fields<DataConfig>& DataFields();
// docs/config.md's `data` part: the section's keys, then every dataset's own.
std::string DataReferenceMarkdown();

// The items of several valence/arousal corpora as one: ids and groups prefixed with "<dataset>:", labels mapped
// to [-1, 1] by x -> (x - midpoint) / max(scale_max - midpoint, midpoint - scale_min) (the quadrant midpoint goes
// to 0), curves dropped (their scale can differ from the static labels'), warnings and notes prefixed with the
// dataset. Throws ConfigError for a corpus that is not valence/arousal regression.
Corpus PoolCorpora(std::vector<Corpus> corpora);

}  // namespace mer::data
