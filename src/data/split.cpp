#include "mer/data/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "mer/core/error.h"

namespace mer::data {

std::vector<int> Strata(const Corpus& corpus) {
  std::vector<int> strata(corpus.items.size(), -1);
  if (corpus.schema.task == Task::kRegression) {
    const int v = LabelIndex(corpus.schema, "valence"), a = LabelIndex(corpus.schema, "arousal");
    if (v < 0 || a < 0) return strata;
    for (std::size_t i = 0; i < corpus.items.size(); ++i) {
      strata[i] = Quadrant(corpus.items[i].labels[v], corpus.items[i].labels[a], corpus.schema.midpoint);
    }
    return strata;
  }
  std::vector<std::size_t> frequency(corpus.schema.names.size(), 0);
  for (const auto& item : corpus.items) {
    for (std::size_t t = 0; t < item.labels.size(); ++t) frequency[t] += item.labels[t] >= 0.5f;
  }
  for (std::size_t i = 0; i < corpus.items.size(); ++i) {
    std::size_t best = SIZE_MAX;
    for (std::size_t t = 0; t < corpus.items[i].labels.size(); ++t) {
      if (corpus.items[i].labels[t] >= 0.5f && (best == SIZE_MAX || frequency[t] < frequency[best])) best = t;
    }
    if (best != SIZE_MAX) strata[i] = static_cast<int>(best);
  }
  return strata;
}

namespace {

struct Group {
  std::vector<std::size_t> items;
  int stratum = -1;
};

// Groups in a seeded random order, then sorted by stratum (stable), so dealing them out stratifies.
std::vector<Group> OrderedGroups(const Corpus& corpus, const std::vector<std::size_t>& indices, const SplitConfig& c,
                                 uint64_t salt) {
  const std::vector<int> strata = c.stratify ? Strata(corpus) : std::vector<int>(corpus.items.size(), 0);
  std::map<std::string, Group> by_key;
  for (std::size_t i : indices) {
    const Item& item = corpus.items[i];
    const std::string key = c.group_by_artist && !item.group.empty() ? item.group : "item:" + item.id;
    by_key[key].items.push_back(i);
  }
  std::vector<Group> groups;
  for (auto& [key, group] : by_key) {
    std::map<int, int> votes;
    for (std::size_t i : group.items) ++votes[strata[i]];
    group.stratum = std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) {
                      return a.second < b.second;
                    })->first;
    groups.push_back(std::move(group));
  }
  std::mt19937_64 rng(c.seed * 0x9E3779B97F4A7C15ull + salt);
  std::shuffle(groups.begin(), groups.end(), rng);
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) { return a.stratum < b.stratum; });
  return groups;
}

// Deals groups into buckets with target shares: each group goes to the bucket furthest below its share, counting
// both within the group's stratum (stratification) and over all groups (so small strata still meet the ratios).
std::vector<std::vector<std::size_t>> Deal(const std::vector<Group>& groups, const std::vector<double>& shares) {
  std::vector<std::vector<std::size_t>> buckets(shares.size());
  std::map<int, std::vector<double>> filled;  // stratum -> items per bucket
  std::map<int, double> total;
  std::vector<double> filled_all(shares.size(), 0.0);
  double seen_all = 0;
  for (const Group& g : groups) {
    auto& counts = filled.try_emplace(g.stratum, std::vector<double>(shares.size(), 0.0)).first->second;
    double& seen = total[g.stratum];
    const double size = static_cast<double>(g.items.size());
    seen += size;
    seen_all += size;
    std::size_t best = 0;
    double best_deficit = -1e300;
    for (std::size_t b = 0; b < shares.size(); ++b) {
      if (shares[b] <= 0) continue;
      const double deficit = (shares[b] * seen - counts[b]) + (shares[b] * seen_all - filled_all[b]);
      if (deficit > best_deficit + 1e-12) best_deficit = deficit, best = b;
    }
    counts[best] += size;
    filled_all[best] += size;
    buckets[best].insert(buckets[best].end(), g.items.begin(), g.items.end());
  }
  for (auto& b : buckets) std::sort(b.begin(), b.end());
  return buckets;
}

}  // namespace

int ValParts(double val_ratio) {
  if (val_ratio <= 0) return 0;
  const long parts = std::lround(1.0 / val_ratio);
  return parts >= 2 ? static_cast<int>(parts) : 0;
}

Split MakeSplit(const Corpus& corpus, const SplitConfig& c) {
  Split split;
  const bool has_official =
      std::any_of(corpus.items.begin(), corpus.items.end(), [](const Item& i) { return !i.official_split.empty(); });
  split.method = c.method == "auto" ? (has_official ? "official" : "ratio") : c.method;
  if (split.method == "file" && !has_official) {
    throw ConfigError("data.split_file: " + c.file.string() + " puts no item of " + corpus.dataset + " in a part");
  }
  if (split.method == "official" && !has_official) {
    throw ConfigError("data.split = \"official\": " + corpus.dataset + " has no official split");
  }
  if (corpus.items.size() < 3) {
    throw ConfigError(corpus.dataset + ": " + std::to_string(corpus.items.size()) + " items are too few to split");
  }
  std::vector<std::size_t> all(corpus.items.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  std::vector<std::size_t> rest;  // train + val, before carving val
  if (split.method == "official" || split.method == "file") {
    std::vector<std::size_t> official_val;
    for (std::size_t i : all) {
      const std::string& s = corpus.items[i].official_split;
      (s == "test" ? split.test : s == "val" ? official_val : rest).push_back(i);
    }
    if (!official_val.empty()) {
      if (c.val_fold >= 0) {
        throw ConfigError("data.val_fold = " + std::to_string(c.val_fold) + " is invalid: the " + split.method +
                          " split of " + corpus.dataset + " names its validation items already");
      }
      split.train = rest;
      split.val = official_val;
      if (split.train.empty()) {  // every item validation or test: nothing to learn from (issue 32, item 9)
        throw ConfigError((split.method == "file" ? "data.split_file: " + c.file.string() : "the official split of " + corpus.dataset) +
                          " leaves no training items (every item is in val or test)");
      }
      return split;
    }
  } else if (split.method == "ratio") {
    auto buckets = Deal(OrderedGroups(corpus, all, c, 1), {1.0 - c.test_ratio, c.test_ratio});
    rest = std::move(buckets[0]);
    split.test = std::move(buckets[1]);
  } else {  // kfold
    std::vector<double> shares(static_cast<std::size_t>(c.folds), 1.0 / c.folds);
    auto folds = Deal(OrderedGroups(corpus, all, c, 2), shares);
    for (int f = 0; f < c.folds; ++f) {
      auto& target = f == c.fold ? split.test : rest;
      target.insert(target.end(), folds[f].begin(), folds[f].end());
    }
    std::sort(rest.begin(), rest.end());
  }
  if (c.val_fold >= 0) {  // cross-validation bagging: one of round(1 / val_ratio) parts is validation
    const int parts = ValParts(c.val_ratio);
    if (c.val_fold >= parts) {
      throw ConfigError("data.val_fold = " + std::to_string(c.val_fold) + " is invalid: expected -1 (off) or an "
                        "integer in [0, round(1 / val_ratio) - 1 = " + std::to_string(parts - 1) + "]");
    }
    auto dealt = Deal(OrderedGroups(corpus, rest, c, 3), std::vector<double>(parts, 1.0 / parts));
    for (int p = 0; p < parts; ++p) {
      auto& target = p == c.val_fold ? split.val : split.train;
      target.insert(target.end(), dealt[p].begin(), dealt[p].end());
    }
    std::sort(split.train.begin(), split.train.end());
  } else {
    auto carved = Deal(OrderedGroups(corpus, rest, c, 3), {1.0 - c.val_ratio, c.val_ratio});
    split.train = std::move(carved[0]);
    split.val = std::move(carved[1]);
  }
  if (split.train.empty()) throw ConfigError(corpus.dataset + ": the split leaves no training items");
  return split;
}

const std::vector<std::size_t>& Split::Part(const std::string& name) const {
  if (name == "train") return train;
  if (name == "val") return val;
  if (name == "test") return test;
  throw ConfigError("unknown split part '" + name + "'; valid: train, val, test");
}

nlohmann::json Split::ToJson(const Corpus& corpus, const SplitConfig& c) const {
  const auto ids = [&](const std::vector<std::size_t>& part) {
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i : part) list.push_back(corpus.items[i].id);
    return list;
  };
  nlohmann::json j = {{"dataset", corpus.dataset}, {"method", method}, {"seed", c.seed},
                      {"train", ids(train)},     {"val", ids(val)},   {"test", ids(test)}};
  if (method == "kfold") j["folds"] = c.folds, j["fold"] = c.fold;
  if (c.val_fold >= 0) j["val_fold"] = c.val_fold;
  if (method == "file") j["file"] = c.file.string();
  return j;
}

LabelNormalizer LabelNormalizer::Fit(const Corpus& corpus, const std::vector<std::size_t>& train) {
  LabelNormalizer n;
  n.names = corpus.schema.names;
  if (corpus.schema.task != Task::kRegression || train.empty()) return n;
  const std::size_t k = n.names.size();
  n.mean.assign(k, 0.0);
  n.std.assign(k, 0.0);
  for (std::size_t i : train) {
    for (std::size_t d = 0; d < k; ++d) n.mean[d] += corpus.items[i].labels[d];
  }
  for (auto& m : n.mean) m /= static_cast<double>(train.size());
  for (std::size_t i : train) {
    for (std::size_t d = 0; d < k; ++d) n.std[d] += std::pow(corpus.items[i].labels[d] - n.mean[d], 2);
  }
  for (auto& s : n.std) s = std::sqrt(s / static_cast<double>(train.size()));
  for (auto& s : n.std) {
    if (!(s > 1e-12)) s = 1.0;  // a constant label: centre only
  }
  return n;
}

std::vector<float> LabelNormalizer::Normalize(const std::vector<float>& labels) const {
  if (mean.empty()) return labels;
  std::vector<float> out(labels.size());
  for (std::size_t d = 0; d < labels.size(); ++d) out[d] = static_cast<float>((labels[d] - mean[d]) / std[d]);
  return out;
}

std::vector<float> LabelNormalizer::Denormalize(const std::vector<float>& normalized) const {
  if (mean.empty()) return normalized;
  std::vector<float> out(normalized.size());
  for (std::size_t d = 0; d < normalized.size(); ++d) out[d] = static_cast<float>(normalized[d] * std[d] + mean[d]);
  return out;
}

nlohmann::json LabelNormalizer::ToJson() const { return {{"names", names}, {"mean", mean}, {"std", std}}; }

LabelNormalizer LabelNormalizer::FromJson(const nlohmann::json& j) {
  LabelNormalizer n;
  try {
    n.names = j.at("names").get<std::vector<std::string>>();
    n.mean = j.at("mean").get<std::vector<double>>();
    n.std = j.at("std").get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("label normalisation: ") + e.what());
  }
  if (!n.mean.empty() && (n.mean.size() != n.names.size() || n.std.size() != n.names.size())) {
    throw InputError("label normalisation: mean/std sizes do not match the label names");
  }
  for (std::size_t i = 0; i < n.mean.size(); ++i) {
    if (!std::isfinite(n.mean[i]) || !std::isfinite(n.std[i]) || n.std[i] <= 0) {
      throw InputError("label normalisation: '" + n.names[i] + "' has mean " + std::to_string(n.mean[i]) +
                       " and standard deviation " + std::to_string(n.std[i]) + " (must be finite, sd > 0)");
    }
  }
  return n;
}

}  // namespace mer::data
