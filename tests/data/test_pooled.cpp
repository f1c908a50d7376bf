// Pooling datasets (`data.datasets`) and 1000 Songs' curve-mean labels, on the committed excerpts (always) and the
// full annotation files (skipped with the reason when ../shared is absent).
#include <cmath>

#include <gtest/gtest.h>

#include "data_test_util.h"
#include "support/test_support.h"

namespace mer::data {
namespace {

using test::ById;
using test::ErrorOf;
using test::Fixture;
using test::Load;

nlohmann::json Pooled(const std::filesystem::path& deezer, const std::filesystem::path& emomusic,
                      nlohmann::json emomusic_keys = nlohmann::json::object()) {
  nlohmann::json second = {{"dataset", "emomusic"}, {"root", emomusic.string()}};
  second.update(emomusic_keys);
  return {{"datasets", {{{"dataset", "deezer"}, {"root", deezer.string()}}, second}}, {"split", "ratio"}};
}

TEST(EmoMusicLoader, CurveMeanLabelsAreTheMeansOfTheCurves) {
  const Corpus ratings = Load("emomusic", Fixture("emoMusic"));
  const Corpus means = Load("emomusic", Fixture("emoMusic"), {{"labels", "curve_mean"}});
  ASSERT_EQ(means.items.size(), ratings.items.size());
  EXPECT_EQ(means.schema.scale_min, -1.0);
  EXPECT_EQ(means.schema.scale_max, 1.0);
  EXPECT_EQ(means.schema.midpoint, 0.0);
  for (const Item& item : ratings.items) {
    ASSERT_TRUE(item.dynamic.has_value()) << item.id;
    double v = 0, a = 0;
    for (std::size_t i = 0; i < item.dynamic->valence.size(); ++i) v += item.dynamic->valence[i], a += item.dynamic->arousal[i];
    const double n = static_cast<double>(item.dynamic->valence.size());
    EXPECT_NEAR(ById(means, item.id).labels[0], v / n, 1e-6) << item.id;
    EXPECT_NEAR(ById(means, item.id).labels[1], a / n, 1e-6) << item.id;
  }
  EXPECT_NE(ById(means, "2").labels, ById(ratings, "2").labels);
}

TEST(PooledData, ItemsOfBothDatasetsOnOneScale) {
  const Corpus deezer = Load("deezer", Fixture("deezer"));
  const Corpus emomusic = Load("emomusic", Fixture("emoMusic"));
  const DataConfig config = ParseDataConfig(Pooled(Fixture("deezer"), Fixture("emoMusic")));
  EXPECT_EQ(config.dataset, "deezer+emomusic");
  const Corpus pooled = config.LoadCorpus();
  EXPECT_EQ(pooled.dataset, "deezer+emomusic");
  ASSERT_EQ(pooled.items.size(), deezer.items.size() + emomusic.items.size());
  EXPECT_EQ(pooled.schema.names, (std::vector<std::string>{"valence", "arousal"}));
  EXPECT_EQ(pooled.schema.midpoint, 0.0);
  // Deezer's [-3, 3] around 0 -> x / 3; 1000 Songs' 1-9 around 5 -> (x - 5) / 4.
  const Item& d = ById(pooled, "deezer:213754");
  EXPECT_FLOAT_EQ(d.labels[0], static_cast<float>(ById(deezer, "213754").labels[0] / 3.0));
  EXPECT_EQ(d.audio, ById(deezer, "213754").audio);
  EXPECT_EQ(d.group, "deezer:" + ById(deezer, "213754").group);
  const Item& e = ById(pooled, "emomusic:2");
  EXPECT_FLOAT_EQ(e.labels[0], (3.0f - 5.0f) / 4.0f);
  EXPECT_FLOAT_EQ(e.labels[1], (3.1f - 5.0f) / 4.0f);
  EXPECT_FALSE(e.dynamic.has_value());  // curves are on another scale than the static labels: dropped
  EXPECT_EQ(e.official_split, "train");
  // The resolved config reads back to the same pooled config.
  const DataConfig again = ParseDataConfig(config.ToJson());
  EXPECT_EQ(again.ToJson(), config.ToJson());
  EXPECT_EQ(config.split.method, "ratio");
  // With curve-mean labels the 1000 Songs part is on [-1, 1] already and stays as it is.
  const Corpus means = ParseDataConfig(Pooled(Fixture("deezer"), Fixture("emoMusic"), {{"labels", "curve_mean"}})).LoadCorpus();
  EXPECT_FLOAT_EQ(ById(means, "emomusic:2").labels[0],
                  Load("emomusic", Fixture("emoMusic"), {{"labels", "curve_mean"}}).items[0].labels[0]);
}

TEST(PooledData, BadPoolsAreConfigErrorsNamingTheKey) {
  const auto error = [](const nlohmann::json& data) { return ErrorOf<ConfigError>([&] { ParseDataConfig(data).LoadCorpus(); }); };
  nlohmann::json one = Pooled(Fixture("deezer"), Fixture("emoMusic"));
  one["datasets"].erase(1);
  EXPECT_NE(error(one).find("data.datasets"), std::string::npos);
  nlohmann::json part_split = Pooled(Fixture("deezer"), Fixture("emoMusic"));
  part_split["datasets"][1]["folds"] = 3;
  EXPECT_NE(error(part_split).find("data.datasets[1].folds is invalid"), std::string::npos) << error(part_split);
  nlohmann::json loader_key = Pooled(Fixture("deezer"), Fixture("emoMusic"));
  loader_key["audio_pattern"] = "x/{dzr_sng_id}.mp3";
  EXPECT_NE(error(loader_key).find("data.audio_pattern is invalid with data.datasets"), std::string::npos);
  nlohmann::json root = Pooled(Fixture("deezer"), Fixture("emoMusic"));
  root["root"] = Fixture("deezer").string();
  EXPECT_NE(error(root).find("data.root is invalid with data.datasets"), std::string::npos);
  nlohmann::json official = Pooled(Fixture("deezer"), Fixture("emoMusic"));
  official["split"] = "official";
  EXPECT_NE(error(official).find("data.split = \"official\" is invalid with data.datasets"), std::string::npos);
  nlohmann::json missing = Pooled(Fixture("deezer"), Fixture("nowhere"));
  EXPECT_NE(error(missing).find("data.datasets[1]: data.root"), std::string::npos) << error(missing);
  nlohmann::json tags = Pooled(Fixture("deezer"), Fixture("emoMusic"));
  tags["datasets"][1] = {{"dataset", "cal500"}, {"root", Fixture("CAL500").string()}};
  EXPECT_NE(error(tags).find("pooling needs valence/arousal datasets; cal500 has tags"), std::string::npos) << error(tags);
}

TEST(FullFiles, DeezerAndEmoMusicPooled) {
  MER_REQUIRE_SHARED(deezer, "datasets/deezer");
  MER_REQUIRE_SHARED(emomusic, "datasets/emoMusic");
  const Corpus pooled = ParseDataConfig(Pooled(deezer, emomusic, {{"labels", "curve_mean"}})).LoadCorpus();
  EXPECT_EQ(pooled.items.size(), Load("deezer", deezer).items.size() + 744u);
  for (const Item& item : pooled.items) {
    ASSERT_LE(std::abs(item.labels[0]), 1.0f) << item.id;
    ASSERT_LE(std::abs(item.labels[1]), 1.0f) << item.id;
  }
}

}  // namespace
}  // namespace mer::data
