#include "mer/data/data_config.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "mer/core/error.h"
#include "mer/core/fields.h"
#include "mer/core/strings.h"
#include "mer/data/split.h"

namespace mer::data {

// The rules over several split keys (each key's own range is in DataFields()).
void SplitConfig::Validate() const {
  using config::ThrowInvalid;
  if (method == "file" && file.empty()) ThrowInvalid("data.split", method, "a split_file to go with \"file\"");
  if (!file.empty() && method != "file") {
    ThrowInvalid("data.split_file", file.string(), "no split file unless data.split is \"file\" or \"auto\" (it is \"" + method + "\")");
  }
  if (method == "ratio" && val_ratio + test_ratio >= 1) {
    ThrowInvalid("data.val_ratio", val_ratio, "val_ratio + test_ratio < 1 (test_ratio = " + std::to_string(test_ratio) + ")");
  }
}

const config::Fields<DataConfig>& DataFields() {
  static const config::Fields<DataConfig> fields = [] {
    RegisterBuiltinDatasets();
    using D = DataConfig;
    using config::Within;
    config::Fields<D> f("data");
    f.Text("dataset", &D::dataset, "a registered dataset name",
           "the dataset: " + Joined(RegisteredDatasets()) + " (each one's own keys: below); or data.datasets");
    f.Path("root", [](auto& c) -> auto& { return c.root; }, "a folder",
           "the folder holding the dataset; the loader's paths are relative to it");
    f.NestedChoice("split", [](auto& c) -> auto& { return c.split.method; }, {"auto", "official", "ratio", "kfold", "file"},
                   "auto = file when split_file is set, else the dataset's official split when it has one, else ratio");
    f.Path("split_file", [](auto& c) -> auto& { return c.split.file; },
           "a file of id,part rows (part train, val or test), relative to root",
           "an official or private split; items it does not list are left out");
    f.Nested<double>("val_ratio", [](auto& c) -> auto& { return c.split.val_ratio; },
                     [](const double& v) { return v >= 0 && v < 1; }, "a number in [0, 1)",
                     "share of the non-test items held out for validation (artist-disjoint)");
    f.Nested<int>("val_fold", [](auto& c) -> auto& { return c.split.val_fold; },
                  [](const int& v) { return v >= -1; }, "-1 (off) or an integer in [0, round(1 / val_ratio) - 1]",
                  "the non-test items dealt into round(1 / val_ratio) artist-disjoint, stratified parts, this one the "
                  "validation set (one run per part, averaged: cross-validation bagging; no item left unlearned)")
        .Where([](const D& c) { return c.split.val_fold < ValParts(c.split.val_ratio); },
               [](const D& c) {
                 const int parts = ValParts(c.split.val_ratio);
                 if (parts == 0) {
                   return "-1 (off): val_ratio = " + nlohmann::json(c.split.val_ratio).dump() + " makes under 2 parts";
                 }
                 return "-1 (off) or an integer in [0, round(1 / val_ratio) - 1 = " + std::to_string(parts - 1) + "]";
               })
        .OnlyWhenSet();
    f.Nested<double>("test_ratio", [](auto& c) -> auto& { return c.split.test_ratio; },
                     [](const double& v) { return v >= 0 && v < 1; }, "a number in [0, 1)",
                     "split ratio: share of all items held out for testing");
    f.Nested<int>("folds", [](auto& c) -> auto& { return c.split.folds; }, Within(2, 100), "an integer in [2, 100]",
                  "split kfold: number of folds (stratified for classes)");
    f.Nested<int>("fold", [](auto& c) -> auto& { return c.split.fold; }, [](const int&) { return true; },
                  "an integer in [0, folds - 1]", "split kfold: the fold that is the test set")
        .Where([](const D& c) { return c.split.fold >= 0 && c.split.fold < c.split.folds; },
               [](const D& c) { return "an integer in [0, folds - 1 = " + std::to_string(c.split.folds - 1) + "]"; });
    f.Nested<uint64_t>("seed", [](auto& c) -> auto& { return c.split.seed; }, [](const uint64_t&) { return true; },
                       "an integer >= 0", "seed of the split (independent of train.seed)");
    f.Nested<bool>("group_by_artist", [](auto& c) -> auto& { return c.split.group_by_artist; },
                   [](const bool&) { return true; }, "true or false",
                   "keep each artist (and repeated songs) within one part");
    f.Nested<bool>("stratify", [](auto& c) -> auto& { return c.split.stratify; }, [](const bool&) { return true; },
                   "true or false",
                   "deal the parts by class (quadrant for valence/arousal); false: a plain seeded shuffle, as "
                   "train_test_split(shuffle=True) (EMER-CL's authors)")
        .OnlyWhenSet();  // runs made before the key existed resolve to the same config
    f.Path("cache_dir", [](auto& c) -> auto& { return c.cache_dir; }, "a folder (created when missing) or \"\"",
           "feature cache; \"\" = $MER_CACHE_DIR, else $XDG_CACHE_HOME/mer, else ~/.cache/mer");
    return f;
  }();
  return fields;
}

std::string DataReferenceMarkdown() {
  RegisterBuiltinDatasets();
  std::string out = DataFields().Markdown();
  for (const std::string& name : RegisteredDatasets()) {
    const DatasetEntry& entry = FindDataset(name);
    const std::string options = entry.create()->OptionsMarkdown();
    out += "\n### `" + name + "`: " + entry.description + "\n\n" +
           (options.empty() ? std::string("No keys of its own.\n") : options);
  }
  return out;
}

std::filesystem::path DataConfig::EffectiveCacheDir() const {
  if (!cache_dir.empty()) return cache_dir;
  if (const char* env = std::getenv("MER_CACHE_DIR"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "mer";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".cache" / "mer";
  return std::filesystem::temp_directory_path() / "mer-cache";
}

nlohmann::json DataConfig::ToJson() const {
  nlohmann::json j = DataFields().ToJson(*this);
  if (!parts.empty()) {
    nlohmann::json pooled = nlohmann::json::array();
    for (const DataConfig& part : parts) {
      nlohmann::json p = {{"dataset", part.dataset}, {"root", part.root.string()}};
      if (part.loader) p.update(part.loader->Options());
      pooled.push_back(std::move(p));
    }
    j.erase("root");
    j["datasets"] = pooled;
    return j;
  }
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
const char* const kSplitKeys[] = {"split", "split_file", "val_ratio", "val_fold", "test_ratio", "folds", "fold",
                                  "seed", "group_by_artist", "stratify", "cache_dir", "datasets"};

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
  DataFields().ReadFields(r, &c);
  if (c.dataset.empty()) config::ThrowInvalid("data.dataset", data.value("dataset", nlohmann::json()), "a dataset name");
  c.loader = FindDataset(c.dataset).create();
  c.loader->ReadOptions(r);
  r.RejectUnknownKeys();
  DataFields().Validate(c);
  const std::string root = c.root.string(), split_file = c.split.file.string();
  if (!c.split.file.empty()) {
    if (c.split.file.is_relative()) c.split.file = c.root / c.split.file;
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
