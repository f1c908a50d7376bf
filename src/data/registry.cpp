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
  RegisterDataset({"cal500", "CAL500: 502 songs x 174 tags (18 emotions), hard or soft", MakeCal500Loader});
  RegisterDataset({"cal500exp", "CAL500exp: 3,223 time-stamped segments x 67 tags", MakeCal500ExpLoader});
  RegisterDataset({"pmemo", "PMEmo 2019: 767 chorus clips, static + dynamic valence/arousal [0, 1]", MakePmemoLoader});
  RegisterDataset({"pmemo2018", "PMEmo 2018 release layout", MakePmemo2018Loader});
  RegisterDataset({"deam", "DEAM: 1,802 songs, static + dynamic valence/arousal [1, 9]", MakeDeamLoader});
  RegisterDataset({"emomusic", "1000 Songs (MediaEval 2013): 744 clips, valence/arousal [1, 9]", MakeEmoMusicLoader});
  RegisterDataset({"fourq", "4Q (Panda et al. 2018): 900 AllMusic clips, classes Q1..Q4 (or AllMusic mood tags)", MakeFourQLoader});
  RegisterDataset({"csv", "your own data: one CSV/TSV row per clip, label columns declared in the config", MakeCsvLoader});
  RegisterDataset({"deezer", "Deezer mood detection: 18,644 tracks, standardised valence/arousal", MakeDeezerLoader});
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
