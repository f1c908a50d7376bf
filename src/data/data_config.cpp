#include "mer/data/data_config.h"

#include <cstdlib>
#include <map>

#include "mer/core/error.h"
#include "mer/data/split.h"

namespace mer::data {

void SplitConfig::Validate() const {
  using config::ThrowInvalid;
  if (method != "auto" && method != "official" && method != "ratio" && method != "kfold" && method != "file") {
    ThrowInvalid("data.split", method, "one of \"auto\", \"official\", \"ratio\", \"kfold\", \"file\"");
  }
  if (method == "file" && file.empty()) ThrowInvalid("data.split", method, "a split_file to go with \"file\"");
  if (!file.empty() && method != "file") {
    ThrowInvalid("data.split_file", file.string(), "no split file unless data.split is \"file\" or \"auto\" (it is \"" + method + "\")");
  }
  if (!(val_ratio >= 0 && val_ratio < 1)) ThrowInvalid("data.val_ratio", val_ratio, "a number in [0, 1)");
  if (!(test_ratio >= 0 && test_ratio < 1)) ThrowInvalid("data.test_ratio", test_ratio, "a number in [0, 1)");
  if (method == "ratio" && val_ratio + test_ratio >= 1) {
    ThrowInvalid("data.val_ratio", val_ratio, "val_ratio + test_ratio < 1 (test_ratio = " + std::to_string(test_ratio) + ")");
  }
  if (folds < 2 || folds > 100) ThrowInvalid("data.folds", folds, "an integer in [2, 100]");
  if (fold < 0 || fold >= folds) ThrowInvalid("data.fold", fold, "an integer in [0, folds - 1 = " + std::to_string(folds - 1) + "]");
}

std::filesystem::path DataConfig::EffectiveCacheDir() const {
  if (!cache_dir.empty()) return cache_dir;
  if (const char* env = std::getenv("MER_CACHE_DIR"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "mer";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".cache" / "mer";
  return std::filesystem::temp_directory_path() / "mer-cache";
}

nlohmann::json DataConfig::ToJson() const {
  nlohmann::json j = {{"dataset", dataset},       {"root", root.string()},          {"split", split.method},
                      {"val_ratio", split.val_ratio}, {"test_ratio", split.test_ratio}, {"folds", split.folds},
                      {"fold", split.fold},       {"seed", split.seed},             {"group_by_artist", split.group_by_artist},
                      {"cache_dir", cache_dir.string()}, {"split_file", split.file.string()}};
  if (loader) j.update(loader->Options());
  return j;
}

Corpus DataConfig::LoadCorpus() const {
  Corpus corpus = loader->Load(root);
  if (corpus.items.empty()) {
    throw InputError(root.string() + ": the " + dataset + " annotations there list no labelled items");
  }
  // An id listed twice: identical rows are kept once (with a warning); rows that disagree on the labels are an
  // error, since training on both would teach the model two answers for one clip.
  std::map<std::string, std::size_t> first;
  std::vector<Item> unique;
  std::size_t repeated = 0;
  for (Item& item : corpus.items) {
    const auto [it, inserted] = first.emplace(item.id, unique.size());
    if (inserted) {
      unique.push_back(std::move(item));
      continue;
    }
    const Item& kept = unique[it->second];
    if (kept.labels != item.labels || kept.audio != item.audio || kept.start_seconds != item.start_seconds) {
      throw InputError(root.string() + ": the " + dataset + " annotations list id '" + item.id +
                       "' twice, with different labels or audio");
    }
    ++repeated;
  }
  corpus.items = std::move(unique);
  if (repeated > 0) {
    corpus.warnings.push_back(std::to_string(repeated) + " repeated annotation rows (same id, same labels) counted once");
  }
  if (!split.file.empty()) ApplySplitFile(&corpus, split.file);
  return corpus;
}

DataConfig ParseDataConfig(const nlohmann::json& data) {
  RegisterBuiltinDatasets();
  config::FieldReader r(data, "data");
  DataConfig c;
  r.Read("dataset", &c.dataset);
  if (c.dataset.empty()) config::ThrowInvalid("data.dataset", data.value("dataset", nlohmann::json()), "a dataset name");
  c.loader = FindDataset(c.dataset).create();
  std::string root;
  r.Read("root", &root);
  c.root = root;
  r.ReadChoice("split", {"auto", "official", "ratio", "kfold", "file"}, &c.split.method);
  std::string split_file;
  r.Read("split_file", &split_file);
  r.Read("val_ratio", &c.split.val_ratio);
  r.Read("test_ratio", &c.split.test_ratio);
  r.Read("folds", &c.split.folds);
  r.Read("fold", &c.split.fold);
  double seed = static_cast<double>(c.split.seed);
  r.Read("seed", &seed);
  if (seed < 0 || seed != static_cast<double>(static_cast<uint64_t>(seed))) {
    config::ThrowInvalid("data.seed", seed, "a non-negative integer");
  }
  c.split.seed = static_cast<uint64_t>(seed);
  r.Read("group_by_artist", &c.split.group_by_artist);
  std::string cache;
  r.Read("cache_dir", &cache);
  c.cache_dir = cache;
  c.loader->ReadOptions(r);
  r.RejectUnknownKeys();
  if (!split_file.empty()) {
    c.split.file = std::filesystem::path(split_file).is_absolute() ? std::filesystem::path(split_file)
                                                                   : std::filesystem::path(root) / split_file;
    if (c.split.method == "auto") c.split.method = "file";
  }
  c.split.Validate();
  std::error_code ec;
  if (root.empty()) config::ThrowInvalid("data.root", root, "the folder holding the dataset");
  if (!std::filesystem::is_directory(c.root, ec)) {
    throw ConfigError("data.root = \"" + root + "\" is invalid: not a folder");
  }
  if (!c.split.file.empty() && !std::filesystem::is_regular_file(c.split.file, ec)) {
    throw ConfigError("data.split_file = \"" + split_file + "\" is invalid: " + c.split.file.string() + " is not a file");
  }
  if (c.split.method == "official" && c.loader->OfficialSplitDescription().empty()) {
    throw ConfigError("data.split = \"official\" is invalid: " + c.dataset +
                      " has no official split (use \"ratio\" or \"kfold\")");
  }
  return c;
}

}  // namespace mer::data
