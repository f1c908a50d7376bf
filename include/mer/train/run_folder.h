// A run folder (`mer train --out`): the names of its files in one place, and the run's config read back as the
// typed RunConfig for eval, predict and search, and its identity for report. LibTorch-free.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "mer/train/run_config.h"

namespace mer::train {

// What names a run in a report: read from its config.json with the sections' field declarations (types checked),
// without validating the config as a whole, so a run whose data root is elsewhere still reports.
struct RunIdentity {
  std::string model, dataset;
  uint64_t seed = 0;
  std::optional<int> fold;  // k-fold runs only
};

// The JSON pointer of the first place where two configs differ ("/train/lr"), or "the top" when they differ as a
// whole (errors that refuse a checkpoint trained with another config name it).
std::string FirstDifference(const nlohmann::json& trained, const nlohmann::json& now);

class RunFolder {
 public:
  explicit RunFolder(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const std::filesystem::path& dir() const { return dir_; }

  std::filesystem::path ConfigFile() const { return dir_ / "config.json"; }      // the resolved config
  std::filesystem::path SplitFile() const { return dir_ / "split.json"; }        // ids per part
  std::filesystem::path LabelsFile() const { return dir_ / "labels.json"; }      // task, outputs, normalisation
  std::filesystem::path LogFile() const { return dir_ / "train_log.jsonl"; }     // one line per epoch
  std::filesystem::path BestCheckpoint() const { return dir_ / "best.pt"; }
  std::filesystem::path LastCheckpoint() const { return dir_ / "last.pt"; }
  std::filesystem::path MetricsFile() const { return dir_ / "metrics.json"; }    // the final report
  std::filesystem::path SweepFile() const { return dir_ / "sweep.json"; }        // scripts/sweep.sh's group
  std::filesystem::path LockFile() const { return dir_ / "mer.lock"; }           // held by the training process

  // Every name mer and scripts/sweep.sh write into a run folder: the only files a reused --out may hold.
  static const std::set<std::string>& OwnFileNames();

  // InputError "<dir>: not a run folder" unless the folder exists.
  void RequireFolder() const;
  // config.json as JSON: InputError naming the file when it is missing or not valid JSON.
  nlohmann::json ConfigJson() const;
  // A run's config (config.json, or the copy a checkpoint carries) parsed and validated as a RunConfig; a config
  // that does not validate (e.g. its data.root is gone) is a ConfigError naming `source`.
  static RunConfig ParseConfig(const nlohmann::json& config, const std::string& source);
  // The run's model, dataset, seed and fold; InputError naming config.json when a key has the wrong type.
  RunIdentity Identity() const;

 private:
  std::filesystem::path dir_;
};

}  // namespace mer::train
