// Datasets are built by name from a registry filled by RegisterBuiltinDatasets(); an unknown name lists the
// registered ones. Each loader reads its own keys of the `data` config object.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/core/config.h"
#include "mer/data/corpus.h"

namespace mer::data {

class DatasetLoader {
 public:
  virtual ~DatasetLoader() = default;
  // Reads this loader's keys from the `data` object (the reader rejects unknown keys afterwards).
  virtual void ReadOptions(config::FieldReader& reader) = 0;
  // This loader's keys with their resolved values, for the run folder.
  virtual nlohmann::json Options() const = 0;
  // Parses the annotation files under root. Throws InputError naming file:line on malformed input.
  virtual Corpus Load(const std::filesystem::path& root) const = 0;
  // The dataset's official split names, if any ("" when it has none).
  virtual std::string OfficialSplitDescription() const { return ""; }
};

struct DatasetEntry {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<DatasetLoader>()> create;
};

void RegisterDataset(DatasetEntry entry);
// Registers cal500, cal500exp, pmemo, pmemo2018, deam, emomusic and deezer (idempotent).
void RegisterBuiltinDatasets();
std::vector<std::string> RegisteredDatasets();
const DatasetEntry& FindDataset(const std::string& name);  // ConfigError listing the registered names

}  // namespace mer::data
