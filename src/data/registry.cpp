#include "mer/data/registry.h"


#include "loader_util.h"
#include "mer/core/error.h"
#include "mer/core/registry.h"

namespace mer::data {
namespace {

NamedRegistry<DatasetEntry>& Registry() {
  static NamedRegistry<DatasetEntry> registry("dataset");
  return registry;
}

}  // namespace

void RegisterDataset(DatasetEntry entry) {
  const std::string name = entry.name;
  Registry().Register(name, std::move(entry));
}

// Each dataset file's Register() (the list is generated from MER_DATASETS in CMakeLists.txt).
#define MER_DATASET(file) \
  namespace file {         \
  void Register();         \
  }
#include "mer_datasets.inc"
#undef MER_DATASET

void RegisterBuiltinDatasets() {
#define MER_DATASET(file) file::Register();
#include "mer_datasets.inc"
#undef MER_DATASET
}

std::vector<std::string> RegisteredDatasets() { return Registry().Names(); }

const DatasetEntry& FindDataset(const std::string& name) { return Registry().Find(name); }

}  // namespace mer::data
