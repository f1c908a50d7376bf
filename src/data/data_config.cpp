#include "mer/data/data_config.h"

#include <algorithm>
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
  if (!parts.empty()) {
    nlohmann::json pooled = nlohmann::json::array();
    for (const DataConfig& part : parts) {
      nlohmann::json p = {{"dataset", part.dataset}, {"root", part.root.string()}};
      if (part.loader) p.update(part.loader->Options());
      pooled.push_back(std::move(p));
    }
    return {{"dataset", dataset},           {"datasets", pooled},         {"split", split.method},
            {"val_ratio", split.val_ratio}, {"test_ratio", split.test_ratio}, {"folds", split.folds},
            {"fold", split.fold},           {"seed", split.seed},         {"group_by_artist", split.group_by_artist},
            {"cache_dir", cache_dir.string()}, {"split_file", split.file.string()}};
  }
  nlohmann::json j = {{"dataset", dataset},       {"root", root.string()},          {"split", split.method},
                      {"val_ratio", split.val_ratio}, {"test_ratio", split.test_ratio}, {"folds", split.folds},
                      {"fold", split.fold},       {"seed", split.seed},             {"group_by_artist", split.group_by_artist},
                      {"cache_dir", cache_dir.string()}, {"split_file", split.file.string()}};
  if (loader) j.update(loader->Options());
  return j;
}

Corpus PoolCorpora(std::vector<Corpus> corpora) {
  Corpus pooled;
  pooled.schema.task = Task::kRegression;
  pooled.schema.names = {"valence", "arousal"};
  pooled.schema.scale_min = -1.0;
  pooled.schema.scale_max = 1.0;
  pooled.schema.midpoint = 0.0;
  for (Corpus& corpus : corpora) {
    const LabelSchema& s = corpus.schema;
    if (s.task != Task::kRegression || s.names != pooled.schema.names) {
      throw ConfigError("data.datasets: pooling needs valence/arousal datasets; " + corpus.dataset + " has " +
                        (s.task == Task::kRegression ? "other regression labels" : "tags or classes"));
    }
    const double half = std::max(s.scale_max - s.midpoint, s.midpoint - s.scale_min);
    pooled.dataset += (pooled.dataset.empty() ? "" : "+") + corpus.dataset;
    if (pooled.root.empty()) pooled.root = corpus.root;
    pooled.skipped_unlabeled += corpus.skipped_unlabeled;
    for (const auto& w : corpus.warnings) pooled.warnings.push_back(corpus.dataset + ": " + w);
    for (const auto& n : corpus.notes) pooled.notes.push_back(corpus.dataset + ": " + n);
    for (Item& item : corpus.items) {
      item.id = corpus.dataset + ":" + item.id;
      item.group = corpus.dataset + ":" + item.group;
      for (float& v : item.labels) v = static_cast<float>((v - s.midpoint) / half);
      item.dynamic.reset();
      pooled.items.push_back(std::move(item));
    }
  }
  return pooled;
}

Corpus DataConfig::LoadCorpus() const {
  if (!parts.empty()) {
    std::vector<Corpus> corpora;
    for (const DataConfig& part : parts) corpora.push_back(part.LoadCorpus());
    Corpus pooled = PoolCorpora(std::move(corpora));
    if (!split.file.empty()) ApplySplitFile(&pooled, split.file);
    return pooled;
  }
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

namespace {

// The split keys a pooled config owns; a part naming one is refused.
const char* const kSplitKeys[] = {"split", "split_file", "val_ratio", "test_ratio", "folds", "fold", "seed",
                                  "group_by_artist", "cache_dir", "datasets"};

DataConfig ParsePooled(const nlohmann::json& data) {
  const nlohmann::json& list = data.at("datasets");
  if (!list.is_array() || list.size() < 2) {
    config::ThrowInvalid("data.datasets", list, "a list of at least two {\"dataset\": ..., \"root\": ...} objects");
  }
  nlohmann::json rest = data;
  rest.erase("datasets");
  DataConfig c;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = "data.datasets[" + std::to_string(i) + "]";
    if (!list[i].is_object()) config::ThrowInvalid(where, list[i], "an object with dataset, root and the loader's keys");
    for (const char* key : kSplitKeys) {
      if (list[i].contains(key)) {
        throw ConfigError(where + "." + key + " is invalid: split and cache keys belong to data, not to one dataset");
      }
    }
    try {
      c.parts.push_back(ParseDataConfig(list[i]));
    } catch (const ConfigError& e) {
      throw ConfigError(where + ": " + e.what());
    }
    c.dataset += (i ? "+" : "") + c.parts.back().dataset;
  }
  c.root = c.parts.front().root;
  // The resolved config names the pooled dataset and no root; both are accepted back, and only so.
  if (rest.contains("dataset") && rest.at("dataset") != c.dataset) {
    config::ThrowInvalid("data.dataset", rest.at("dataset"), "absent with data.datasets (or \"" + c.dataset + "\")");
  }
  if (rest.contains("root")) {
    throw ConfigError("data.root is invalid with data.datasets: each dataset has its own root");
  }
  for (const auto& [key, value] : rest.items()) {
    const bool split_key = std::find(std::begin(kSplitKeys), std::end(kSplitKeys), key) != std::end(kSplitKeys);
    if (!split_key && key != "dataset") {
      throw ConfigError("data." + key + " is invalid with data.datasets: loader keys go inside each dataset's object");
    }
  }
  rest["dataset"] = c.parts.front().dataset;  // any registered name: the split keys are read below with it
  rest["root"] = c.parts.front().root.string();
  DataConfig split = ParseDataConfig(rest);
  if (split.split.method == "official") {
    throw ConfigError("data.split = \"official\" is invalid with data.datasets: use \"ratio\", \"kfold\" or \"file\"");
  }
  c.split = split.split;
  if (c.split.method == "auto") c.split.method = "ratio";  // the parts' official splits do not pool
  c.cache_dir = split.cache_dir;
  return c;
}

}  // namespace

DataConfig ParseDataConfig(const nlohmann::json& data) {
  RegisterBuiltinDatasets();
  if (data.is_object() && data.contains("datasets")) return ParsePooled(data);
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
