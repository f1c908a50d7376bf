#include "mer/data/registry.h"

#include <map>
#include <mutex>

#include "loader_util.h"
#include "mer/core/error.h"

namespace mer::data {
namespace {

std::mutex& RegistryMutex() {
  static std::mutex mutex;
  return mutex;
}

std::map<std::string, DatasetEntry>& Registry() {
  static std::map<std::string, DatasetEntry> registry;
  return registry;
}

}  // namespace

void RegisterDataset(DatasetEntry entry) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  Registry()[entry.name] = std::move(entry);
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

std::vector<std::string> RegisteredDatasets() {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  std::vector<std::string> names;
  for (const auto& [name, entry] : Registry()) names.push_back(name);
  return names;
}

const DatasetEntry& FindDataset(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    const auto it = Registry().find(name);
    if (it != Registry().end()) return it->second;
  }
  std::string names;
  for (const auto& n : RegisteredDatasets()) names += (names.empty() ? "" : ", ") + n;
  throw ConfigError("unknown dataset '" + name + "'; registered: " + names);
}

}  // namespace mer::data
