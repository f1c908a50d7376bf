// Splits are disjoint, complete, deterministic, grouped by artist and stratified; k-fold partitions the corpus.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "data_test_util.h"
#include "mer/data/split.h"
#include "support/test_support.h"

namespace mer::data {
namespace {

// 400 items by 100 artists, valence/arousal spread over the four quadrants (unevenly).
Corpus MakeCorpus() {
  Corpus c;
  c.dataset = "test";
  c.schema.task = Task::kRegression;
  c.schema.names = {"valence", "arousal"};
  c.schema.midpoint = 0.5;
  for (int i = 0; i < 400; ++i) {
    Item item;
    item.id = std::to_string(i);
    item.group = "artist:" + std::to_string(i / 4);
    const int q = (i / 4) % 10 < 4 ? 0 : (i / 4) % 10 < 7 ? 1 : (i / 4) % 10 < 9 ? 2 : 3;  // 40/30/20/10 %
    item.labels = {q == 0 || q == 3 ? 0.8f : 0.2f, q <= 1 ? 0.8f : 0.2f};
    c.items.push_back(item);
  }
  return c;
}

std::map<int, double> QuadrantShares(const Corpus& c, const std::vector<std::size_t>& part) {
  std::map<int, double> shares;
  for (std::size_t i : part) shares[Quadrant(c.items[i].labels[0], c.items[i].labels[1], 0.5)] += 1.0 / part.size();
  return shares;
}

void ExpectPartition(const Corpus& c, const Split& s) {
  std::vector<std::size_t> all;
  for (const auto* part : {&s.train, &s.val, &s.test}) all.insert(all.end(), part->begin(), part->end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), c.items.size());
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i) << "an item is missing or in two parts";
  std::map<std::string, std::set<int>> parts_of_group;
  int p = 0;
  for (const auto* part : {&s.train, &s.val, &s.test}) {
    for (std::size_t i : *part) parts_of_group[c.items[i].group].insert(p);
    ++p;
  }
  for (const auto& [group, parts] : parts_of_group) EXPECT_EQ(parts.size(), 1u) << group << " straddles splits";
}

TEST(Split, RatioIsDisjointGroupedStratifiedAndDeterministic) {
  const Corpus c = MakeCorpus();
  SplitConfig config;
  config.method = "ratio";
  config.test_ratio = 0.2;
  config.val_ratio = 0.1;
  const Split s = MakeSplit(c, config);
  ExpectPartition(c, s);
  EXPECT_NEAR(s.test.size(), 80.0, 8.0);
  EXPECT_NEAR(s.val.size(), 32.0, 8.0);
  std::vector<std::size_t> everything(c.items.size());
  for (std::size_t i = 0; i < everything.size(); ++i) everything[i] = i;
  const auto overall = QuadrantShares(c, everything);
  for (const auto* part : {&s.train, &s.test}) {
    for (const auto& [q, share] : QuadrantShares(c, *part)) EXPECT_NEAR(share, overall.at(q), 0.05) << "quadrant " << q;
  }
  EXPECT_EQ(MakeSplit(c, config).test, s.test);
  config.seed += 1;
  EXPECT_NE(MakeSplit(c, config).test, s.test);
}

TEST(Split, KFoldTestFoldsPartitionTheCorpus) {
  const Corpus c = MakeCorpus();
  SplitConfig config;
  config.method = "kfold";
  config.folds = 5;
  std::vector<int> times_tested(c.items.size(), 0);
  for (int f = 0; f < 5; ++f) {
    config.fold = f;
    const Split s = MakeSplit(c, config);
    ExpectPartition(c, s);
    EXPECT_NEAR(s.test.size(), 80.0, 8.0);
    for (std::size_t i : s.test) ++times_tested[i];
  }
  for (int t : times_tested) ASSERT_EQ(t, 1);
}

// data.val_fold: the training part of a test fold dealt into round(1 / val_ratio) artist-disjoint parts; over the
// parts every non-test item is validation exactly once, the test fold never moves, and -1 is the usual carve.
TEST(Split, ValFoldsPartitionTheTrainingPartAndLeaveTheTestFoldAlone) {
  const Corpus c = MakeCorpus();
  SplitConfig config;
  config.method = "kfold";
  config.folds = 5;
  config.fold = 2;
  config.val_ratio = 0.25;
  const Split usual = MakeSplit(c, config);
  std::vector<int> times_val(c.items.size(), 0);
  for (int k = 0; k < 4; ++k) {
    config.val_fold = k;
    const Split s = MakeSplit(c, config);
    ExpectPartition(c, s);  // disjoint, complete, no artist in two parts
    EXPECT_EQ(s.test, usual.test);
    EXPECT_NEAR(s.val.size(), 80.0, 8.0);  // a quarter of the 320 non-test items
    for (const auto& [q, share] : QuadrantShares(c, s.val)) {
      EXPECT_NEAR(share, QuadrantShares(c, usual.test).at(q), 0.06) << "val_fold " << k << ", quadrant " << q;
    }
    for (std::size_t i : s.val) ++times_val[i];
    EXPECT_EQ(MakeSplit(c, config).val, s.val);
    EXPECT_EQ(s.ToJson(c, config).at("val_fold"), k);
  }
  for (std::size_t i = 0; i < c.items.size(); ++i) {
    const bool tested = std::binary_search(usual.test.begin(), usual.test.end(), i);
    ASSERT_EQ(times_val[i], tested ? 0 : 1) << "item " << i;
  }
  config.val_fold = -1;
  EXPECT_EQ(MakeSplit(c, config).val, usual.val);
  EXPECT_FALSE(usual.ToJson(c, config).contains("val_fold"));
  config.val_fold = 4;
  EXPECT_THROW(MakeSplit(c, config), ConfigError);
}

TEST(Split, OfficialSplitIsKeptAndValidationCarvedFromTraining) {
  Corpus c = MakeCorpus();
  for (std::size_t i = 0; i < c.items.size(); ++i) c.items[i].official_split = i % 5 == 0 ? "test" : "train";
  SplitConfig config;  // auto -> official
  const Split s = MakeSplit(c, config);
  EXPECT_EQ(s.method, "official");
  EXPECT_EQ(s.test.size(), 80u);
  for (std::size_t i : s.test) EXPECT_EQ(c.items[i].official_split, "test");
  for (std::size_t i : s.val) EXPECT_EQ(c.items[i].official_split, "train");
  EXPECT_FALSE(s.val.empty());
  for (std::size_t i = 0; i < c.items.size(); ++i) {
    c.items[i].official_split = i % 5 == 0 ? "test" : i % 5 == 1 ? "val" : "train";
  }
  config.val_fold = 0;  // an official validation part is not dealt again
  try {
    MakeSplit(c, config);
    ADD_FAILURE() << "val_fold with an official validation part was accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "data.val_fold = 0 is invalid: the official split of test names its validation items already");
  }
}

TEST(Split, WithoutGroupingItemsAreIndependent) {
  Corpus c = MakeCorpus();
  for (auto& item : c.items) item.group = "artist:same";  // one artist: grouping would put everything together
  SplitConfig config;
  config.method = "ratio";
  config.group_by_artist = false;
  const Split s = MakeSplit(c, config);
  EXPECT_NEAR(s.test.size(), 80.0, 8.0);
  config.group_by_artist = true;  // one artist cannot be divided: it all lands in training
  EXPECT_TRUE(MakeSplit(c, config).test.empty());
}

TEST(Split, TaggingStrataSpreadRareTags) {
  Corpus c;
  c.dataset = "tags";
  c.schema.task = Task::kTagging;
  c.schema.names = {"common", "rare"};
  for (int i = 0; i < 200; ++i) {
    Item item;
    item.id = std::to_string(i);
    item.labels = {1.0f, i % 10 == 0 ? 1.0f : 0.0f};
    c.items.push_back(item);
  }
  SplitConfig config;
  config.method = "ratio";
  config.test_ratio = 0.5;
  config.val_ratio = 0.0;
  const Split s = MakeSplit(c, config);
  int rare_in_test = 0;
  for (std::size_t i : s.test) rare_in_test += c.items[i].labels[1] > 0.5f;
  EXPECT_EQ(rare_in_test, 10);  // exactly half of the 20 rare items
}

TEST(LabelNormalizer, FitsOnTrainingOnlyAndRoundTrips) {
  const Corpus c = MakeCorpus();
  const std::vector<std::size_t> train = {0, 1, 2, 3, 16, 17};  // valence 0.8 x4 and 0.2 x2
  const LabelNormalizer n = LabelNormalizer::Fit(c, train);
  ASSERT_EQ(n.mean.size(), 2u);
  double mean_v = 0;
  for (std::size_t i : train) mean_v += c.items[i].labels[0] / train.size();
  EXPECT_NEAR(n.mean[0], mean_v, 1e-6);
  EXPECT_NEAR(n.mean[0], 0.6, 1e-6);
  EXPECT_NEAR(n.std[0], std::sqrt(0.08), 1e-6);
  const std::vector<float> x = {0.3f, 0.9f};
  const std::vector<float> back = LabelNormalizer::FromJson(n.ToJson()).Denormalize(n.Normalize(x));
  EXPECT_NEAR(back[0], x[0], 1e-6);
  EXPECT_NEAR(back[1], x[1], 1e-6);
}

TEST(DataConfig, ValidationNamesKeysAndListsChoices) {
  const auto error = [](nlohmann::json data) -> std::string {
    try {
      ParseDataConfig(data);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  const std::string root = mer::test::TestData("fixtures/datasets/emoMusic").string();
  EXPECT_NE(error({{"dataset", "emomusic"}, {"root", root}, {"colour", 1}})
                .find("unknown key 'data.colour'; valid keys of 'data': dataset, root, split"),
            std::string::npos);
  EXPECT_EQ(error({{"dataset", "emo"}, {"root", root}}),
            "unknown dataset 'emo'; registered: cal500, cal500exp, csv, deam, deezer, emomusic, fourq, pmemo, pmemo2018");
  EXPECT_NE(error({{"dataset", "emomusic"}, {"root", "/no/such/dir"}}).find("data.root"), std::string::npos);
  EXPECT_NE(error({{"dataset", "emomusic"}, {"root", root}, {"fold", 5}}).find("data.fold = 5"), std::string::npos);
  EXPECT_NE(error({{"dataset", "emomusic"}, {"root", root}, {"val_fold", 10}})
                .find("data.val_fold = 10 is invalid: expected -1 (off) or an integer in "
                      "[0, round(1 / val_ratio) - 1 = 9]"),
            std::string::npos);
  EXPECT_NE(error({{"dataset", "emomusic"}, {"root", root}, {"val_ratio", 0}, {"val_fold", 0}})
                .find("val_ratio = 0.0 makes under 2 parts"),
            std::string::npos);
  EXPECT_EQ(error({{"dataset", "emomusic"}, {"root", root}, {"val_ratio", 0.2}, {"val_fold", 4}}), "");
  EXPECT_NE(error({{"dataset", "emomusic"}, {"root", root}, {"va_columns", "x"}}).find("\"as_named\", \"swapped\""),
            std::string::npos);
  EXPECT_NE(error({{"dataset", "cal500"}, {"root", root}, {"split", "official"}}).find("no official split"),
            std::string::npos);
  EXPECT_NE(error({{"dataset", "deezer"}, {"root", root}, {"audio_pattern", "a.mp3"}}).find("{dzr_sng_id}"),
            std::string::npos);
}

}  // namespace
}  // namespace mer::data
