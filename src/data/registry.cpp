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

void RegisterBuiltinDatasets() {
  RegisterCal500();
  RegisterCal500Exp();
  RegisterPmemo();
  RegisterPmemo2018();
  RegisterDeam();
  RegisterEmoMusic();
  RegisterFourQ();
  RegisterCsv();
  RegisterDeezer();
}

std::vector<std::string> RegisteredDatasets() { return Registry().Names(); }

const DatasetEntry& FindDataset(const std::string& name) { return Registry().Find(name); }

}  // namespace mer::data
