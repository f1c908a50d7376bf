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
#include "mer/core/fields.h"
#include "mer/data/corpus.h"

namespace mer::data {

class DatasetLoader {
 public:
  virtual ~DatasetLoader() = default;
  // Reads this loader's keys from the `data` object (the reader rejects unknown keys afterwards).
  virtual void ReadOptions(config::FieldReader& reader) = 0;
  // This loader's keys with their resolved values, for the run folder.
  virtual nlohmann::json Options() const = 0;
  // | key | default | valid values | meaning | of its keys, or "" when it has none (docs/config.md).
  virtual std::string OptionsMarkdown() const = 0;
  // Parses the annotation files under root. Throws InputError naming file:line on malformed input.
  virtual Corpus Load(const std::filesystem::path& root) const = 0;
  // The dataset's official split names, if any ("" when it has none).
  virtual std::string OfficialSplitDescription() const { return ""; }
};

// A loader whose keys are declared once, by L::DeclareOptions(config::Fields<L>&) (public, static; section "data"):
// read, validated, written to the run folder and documented from that declaration. Rules over several keys go in
// L::CheckOptions() (public), called after the keys are read and each is valid.
template <typename L>
class DeclaredLoader : public DatasetLoader {
 public:
  static const config::Fields<L>& OptionFields() {
    static const config::Fields<L> fields = [] {
      config::Fields<L> f("data");
      L::DeclareOptions(f);
      return f;
    }();
    return fields;
  }
  void ReadOptions(config::FieldReader& reader) override {
    L& self = static_cast<L&>(*this);
    OptionFields().ReadFields(reader, &self);
    OptionFields().Validate(self);
    self.CheckOptions();
  }
  nlohmann::json Options() const override { return OptionFields().ToJson(static_cast<const L&>(*this)); }
  std::string OptionsMarkdown() const override {
    return OptionFields().Keys().empty() ? std::string() : OptionFields().Markdown();
  }
  void CheckOptions() {}
};

struct DatasetEntry {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<DatasetLoader>()> create;
};

void RegisterDataset(DatasetEntry entry);
// Registers every dataset of MER_DATASETS (CMakeLists.txt), each file's own Register() (idempotent).
void RegisterBuiltinDatasets();
std::vector<std::string> RegisteredDatasets();
const DatasetEntry& FindDataset(const std::string& name);  // ConfigError listing the registered names

}  // namespace mer::data
