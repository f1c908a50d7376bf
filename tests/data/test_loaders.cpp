// Every loader against real files: the committed byte-exact excerpts (tests/fixtures/datasets, always) and the full
// files in ../shared/datasets (counts, skipped with the reason when ../shared is absent).
#include <algorithm>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "data_test_util.h"
#include "mer/data/csv.h"
#include "support/test_support.h"

namespace mer::data {
namespace {

using test::ById;
using test::InputErrorOf;
using test::Fixture;
using test::Load;
namespace fs = std::filesystem;

// Copies a fixture dataset into a temp folder so a test can add or damage files.
fs::path CopyFixture(const mer::test::TempDir& dir, const std::string& relative) {
  fs::copy(Fixture(relative), dir.path() / "root", fs::copy_options::recursive);
  return dir.path() / "root";
}

TEST(Cal500Loader, ExcerptEmotionsHardSoftAndHyphenatedArtists) {
  const Corpus hard = Load("cal500", Fixture("CAL500"));
  ASSERT_EQ(hard.items.size(), 6u);
  ASSERT_EQ(hard.schema.names.size(), 18u);
  EXPECT_EQ(hard.schema.names[0], "Emotion-Angry_/_Agressive");
  EXPECT_EQ(hard.schema.names[17], "Emotion-Touching_/_Loving");
  const Item& first = hard.items[0];
  EXPECT_EQ(first.id, "10cc-for_you_and_i");
  EXPECT_EQ(first.artist, "10cc");
  EXPECT_EQ(first.audio, Fixture("CAL500") / "CAL500_32kps" / "10cc-for_you_and_i.mp3");
  // Row 1 of hardAnnotations.txt, even columns (the positive emotions).
  const std::vector<float> expected = {0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1};
  EXPECT_EQ(first.labels, expected);
  EXPECT_EQ(hard.items[5].artist, "chi-lites");
  EXPECT_EQ(hard.items[5].title, "stoned_out_of_my_mind");
  const Corpus soft = Load("cal500", Fixture("CAL500"), {{"labels", "soft"}});
  EXPECT_FLOAT_EQ(soft.items[0].labels[11], 0.5f);
  EXPECT_FLOAT_EQ(soft.items[0].labels[12], 0.75f);
  EXPECT_EQ(Load("cal500", Fixture("CAL500"), {{"tags", "all"}}).schema.names.size(), 174u);
  EXPECT_EQ(Load("cal500", Fixture("CAL500"), {{"tags", "emotion_pairs"}}).schema.names[1],
            "NOT-Emotion-Angry_/_Agressive");
}

// Issue 17 case 9: an annotation table cut to its header is an input error naming the file, not an internal error
// from the statistics of nothing.
TEST(Loaders, HeaderOnlyAnnotationFilesAreInputErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"emomusic:emoMusic", "annotations/static_annotations.csv"},
      {"fourq:4Q", "panda_dataset_taffc_annotations.csv"}};
  for (const auto& [dataset_and_fixture, table] : cases) {
    const std::string dataset = dataset_and_fixture.substr(0, dataset_and_fixture.find(':'));
    mer::test::TempDir dir;
    const fs::path root = CopyFixture(dir, dataset_and_fixture.substr(dataset.size() + 1));
    ASSERT_FALSE(Load(dataset, root).items.empty()) << dataset;
    const std::string text = mer::test::ReadBytes(root / table);
    mer::test::WriteBytes(root / table, text.substr(0, text.find('\n') + 1));
    EXPECT_EQ(InputErrorOf([&] { Load(dataset, root); }), (root / table).string() + ": header only, no data rows")
        << dataset;
  }
  // Datasets in several tables (Deezer's three parts, DEAM's two files): one may be empty (a user's subset; a
  // warning), all of them is an error.
  const std::vector<std::pair<std::string, std::vector<std::string>>> multi = {
      {"deezer:deezer", {"train.csv", "validation.csv", "test.csv"}},
      {"deam:DEAM", {"annotations/annotations averaged per song/song_level/static_annotations_averaged_songs_1_2000.csv",
                     "annotations/annotations averaged per song/song_level/static_annotations_averaged_songs_2000_2058.csv"}}};
  for (const auto& [dataset_and_fixture, tables] : multi) {
    const std::string dataset = dataset_and_fixture.substr(0, dataset_and_fixture.find(':'));
    mer::test::TempDir dir;
    const fs::path root = CopyFixture(dir, dataset_and_fixture.substr(dataset.size() + 1));
    for (std::size_t i = 0; i < tables.size(); ++i) {
      const std::string text = mer::test::ReadBytes(root / tables[i]);
      mer::test::WriteBytes(root / tables[i], text.substr(0, text.find('\n') + 1));
      if (i == 0) {
        const Corpus c = Load(dataset, root);
        EXPECT_FALSE(c.items.empty()) << dataset;
        EXPECT_NE(std::find(c.warnings.begin(), c.warnings.end(), (root / tables[i]).string() + ": header only, no data rows"),
                  c.warnings.end())
            << dataset;
      }
    }
    EXPECT_EQ(InputErrorOf([&] { Load(dataset, root); }),
              root.string() + ": the " + dataset + " annotations there list no labelled items");
  }
}

// Issue 17 case 10: an id listed twice is counted once when the rows agree, and an error when their labels differ
// (training on both would teach two answers for one clip).
TEST(Loaders, RepeatedIdsAreMergedOrRefused) {
  mer::test::TempDir dir;
  const fs::path root = CopyFixture(dir, "deezer");
  const std::size_t count = Load("deezer", root).items.size();
  const std::string text = mer::test::ReadBytes(root / "train.csv");
  const std::string second_line = text.substr(text.find('\n') + 1, text.find('\n', text.find('\n') + 1) - text.find('\n'));
  mer::test::WriteBytes(root / "train.csv", text + second_line);
  const Corpus merged = Load("deezer", root);
  EXPECT_EQ(merged.items.size(), count);
  ASSERT_FALSE(merged.warnings.empty());
  EXPECT_NE(merged.warnings.back().find("1 repeated annotation rows (same id, same labels) counted once"), std::string::npos);
  std::string changed = second_line;
  changed.replace(changed.find(",-0.6"), 5, ",0.99");
  mer::test::WriteBytes(root / "train.csv", text + changed);
  EXPECT_EQ(InputErrorOf([&] { Load("deezer", root); }),
            root.string() + ": the deezer annotations list id '213754' twice, with different labels or audio");
}

TEST(Cal500ExpLoader, ExcerptSegmentsSortedByTime) {
  const Corpus c = Load("cal500exp", Fixture("CAL500exp"), {{"audio_dir", "/music/CAL500_32kps"}});
  ASSERT_EQ(c.schema.names.size(), 67u);
  const Item& first = ById(c, "10cc-for_you_and_i#1");
  EXPECT_DOUBLE_EQ(first.start_seconds, 12.016327);  // the file lists 100.26 s first
  EXPECT_DOUBLE_EQ(first.end_seconds, 19.075918);
  EXPECT_EQ(first.audio, fs::path("/music/CAL500_32kps/10cc-for_you_and_i.mp3"));
  for (std::size_t i = 1; i < c.items.size(); ++i) {
    if (c.items[i].audio == c.items[i - 1].audio) {
      EXPECT_LE(c.items[i - 1].start_seconds, c.items[i].start_seconds);
    }
  }
  EXPECT_EQ(ById(c, "chi-lites-stoned_out_of_my_mind#1").artist, "chi-lites");
  ASSERT_FALSE(c.warnings.empty());
  EXPECT_NE(c.warnings[0].find("out of time order"), std::string::npos);
}

TEST(DeamLoader, ExcerptColumnsByNameAndThe2013Swap) {
  const Corpus c = Load("deam", Fixture("DEAM"));
  ASSERT_EQ(c.items.size(), 7u + 2u);
  EXPECT_EQ(c.schema.names, (std::vector<std::string>{"valence", "arousal"}));
  // Row "2,3.1,0.94,3,0.63": valence_mean 3.1 and arousal_mean 3 are swapped for the 2013 songs by default.
  EXPECT_EQ(ById(c, "2").labels, (std::vector<float>{3.0f, 3.1f}));
  EXPECT_EQ(Load("deam", Fixture("DEAM"), {{"va_columns", "as_named"}}).items[0].labels,
            (std::vector<float>{3.1f, 3.0f}));
  // 2001 comes from the 13-column file where arousal_mean is column 8: "2001,3.2,...,6.6,..."; not swapped.
  EXPECT_EQ(ById(c, "2001").labels, (std::vector<float>{3.2f, 6.6f}));
  EXPECT_EQ(ById(c, "2").audio, Fixture("DEAM") / "MEMD_audio" / "2.mp3");
  EXPECT_EQ(Load("deam", Fixture("DEAM"), {{"full_songs", false}}).items.size(), 7u);
}

TEST(DeamLoader, NestedLayoutIsFound) {
  mer::test::TempDir dir;
  fs::create_directories(dir / "root" / "DEAM_Annotations");
  fs::copy(Fixture("DEAM/annotations"), dir / "root" / "DEAM_Annotations" / "annotations", fs::copy_options::recursive);
  const Corpus c = Load("deam", dir / "root");
  EXPECT_EQ(c.items.size(), 9u);
  EXPECT_EQ(c.items[0].audio, dir / "root" / "DEAM_audio" / "MEMD_audio" / "2.mp3");
}

TEST(EmoMusicLoader, ExcerptOfficialSplitTabsAndCurves) {
  const Corpus c = Load("emomusic", Fixture("emoMusic"));
  ASSERT_EQ(c.items.size(), 5u);
  const Item& two = ById(c, "2");
  EXPECT_EQ(two.labels, (std::vector<float>{3.0f, 3.1f}));  // mean_valence 3, mean_arousal 3.1
  EXPECT_EQ(two.artist, "The New Mystikal Troubadours");   // stray TABs stripped
  EXPECT_EQ(two.title, "Tonight  A Lonely Century");
  EXPECT_EQ(two.official_split, "train");  // development
  EXPECT_EQ(ById(c, "3").official_split, "test");  // evaluation
  ASSERT_TRUE(two.dynamic.has_value());
  EXPECT_EQ(two.dynamic->start_seconds, 15.0);
  EXPECT_EQ(two.dynamic->hop_seconds, 0.5);
  EXPECT_EQ(two.dynamic->arousal.size(), 61u);
  EXPECT_FLOAT_EQ(two.dynamic->arousal[0], -0.109387732373192f);
  EXPECT_FLOAT_EQ(two.dynamic->valence[0], -0.0733412307857912f);
  EXPECT_EQ(two.audio, Fixture("emoMusic") / "clips_45seconds" / "2.mp3");
  EXPECT_TRUE(c.warnings.empty()) << c.warnings[0];
}

TEST(DeezerLoader, ExcerptOfficialSplitQuotingAndAudioPattern) {
  const Corpus c = Load("deezer", Fixture("deezer"), {{"audio_pattern", "previews/{dzr_sng_id}.ogg"}});
  ASSERT_EQ(c.items.size(), 5u + 2u + 2u);
  const Item& first = ById(c, "213754");
  EXPECT_FLOAT_EQ(first.labels[0], -0.682725080497f);
  EXPECT_FLOAT_EQ(first.labels[1], 0.316757791845f);
  EXPECT_EQ(first.artist, "Dark Tranquillity");
  EXPECT_EQ(first.title, "Insanity's Crescendo");
  EXPECT_EQ(first.audio, Fixture("deezer") / "previews" / "213754.ogg");
  EXPECT_EQ(ById(c, "546090").title, "I Will Find You (Theme From \"The Last Of The Mohicans\")");
  std::size_t val = 0, test_count = 0;
  for (const auto& item : c.items) val += item.official_split == "val", test_count += item.official_split == "test";
  EXPECT_EQ(val, 2u);
  EXPECT_EQ(test_count, 2u);
}

TEST(Pmemo2018Loader, ExcerptUnquotedCommasChorusAndUnlabeledClips) {
  mer::test::TempDir dir;
  const fs::path root = CopyFixture(dir, "PMEmo/PMEmo2018");
  std::ofstream(root / "V_static.csv") << "musicId,mean_V,std_V\n1,0.575,0.2\n4,0.287,0.2\n179,0.6,0.1\n";
  std::ofstream(root / "A_static.csv", std::ios::app) << "1,0.4,0.2\n4,0.263,0.2\n179,0.7,0.1\n";
  const Corpus c = Load("pmemo2018", root);
  ASSERT_EQ(c.items.size(), 3u);           // 1, 4 and 179 have both values
  EXPECT_EQ(c.skipped_unlabeled, 2u);      // 5 and 6 have no labels here
  EXPECT_EQ(ById(c, "179").title, "Z,Future-I Got the Keys (Explicit)");
  EXPECT_EQ(ById(c, "179").artist, "DJ Khaled+Jay-Z+Future");
  EXPECT_EQ(ById(c, "1").labels, (std::vector<float>{0.575f, 0.4f}));
  EXPECT_EQ(ById(c, "1").chorus_start_seconds, 155.0);  // 02:35
  EXPECT_EQ(ById(c, "1").audio, root / "Chorus" / "1.mp3");
}

TEST(PmemoLoader, RealMetadataRowsWithLabels) {
  mer::test::TempDir dir;
  const fs::path root = CopyFixture(dir, "PMEmo/PMEmo2019");
  fs::create_directories(root / "annotations");
  // Labels of ids 1 and 5 as the authors' site lists them (scatter.json); id 6 unlabelled.
  std::ofstream(root / "annotations" / "static_annotations.csv") << "musicId,Arousal(mean),Valence(mean)\n1,0.4,0.575\n5,0.15,0.2\n";
  std::ofstream(root / "annotations" / "dynamic_annotations.csv")
      << "musicId,frameTime,Arousal(mean),Valence(mean)\n1,16.0,0.5,0.6\n1,15.5,0.45,0.55\n1,16.5,0.55,0.65\n";
  const Corpus c = Load("pmemo", root);
  ASSERT_EQ(c.items.size(), 2u);
  EXPECT_EQ(c.skipped_unlabeled, 3u);  // the excerpt has five metadata rows
  const Item& one = ById(c, "1");
  EXPECT_EQ(one.labels, (std::vector<float>{0.575f, 0.4f}));
  EXPECT_EQ(one.title, "Good Drank");
  EXPECT_EQ(one.artist, "2 Chainz");
  EXPECT_EQ(one.chorus_start_seconds, 155.0);
  EXPECT_EQ(one.audio, root / "chorus" / "1.mp3");
  ASSERT_TRUE(one.dynamic.has_value());  // rows out of order are sorted by frameTime
  EXPECT_EQ(one.dynamic->start_seconds, 15.5);
  EXPECT_EQ(one.dynamic->arousal, (std::vector<float>{0.45f, 0.5f, 0.55f}));
}

TEST(Loaders, MalformedRowsNameFileAndLine) {
  mer::test::TempDir dir;
  const fs::path root = CopyFixture(dir, "emoMusic");
  const fs::path file = root / "annotations" / "static_annotations.csv";
  std::ofstream(file, std::ios::app) << "99,4.5,1,5,1\n77,4.5\n";
  EXPECT_EQ(InputErrorOf([&] { Load("emomusic", root); }), file.string() + ":8: expected 5 fields, found 2");
  std::ofstream(file, std::ios::trunc) << "song_id,mean_arousal,std_arousal,mean_valence,std_valence\n5,x,1,5,1\n";
  EXPECT_EQ(InputErrorOf([&] { Load("emomusic", root); }), file.string() + ":2: column 'mean_arousal': 'x' is not a number");
  std::ofstream(file, std::ios::trunc) << "song_id,mean_arousal,std_arousal,mean_valence,std_valence\n../../etc/passwd,5,1,5,1\n";
  EXPECT_NE(InputErrorOf([&] { Load("emomusic", root); }).find("could escape the dataset folder"), std::string::npos);
  std::ofstream(file, std::ios::trunc) << "song_id,mean_arousal,std_arousal,mean_valence,std_valence\n5,12,1,5,1\n";
  EXPECT_NE(InputErrorOf([&] { Load("emomusic", root); }).find("outside [1, 9]"), std::string::npos);
  fs::remove(file);
  EXPECT_NE(InputErrorOf([&] { Load("emomusic", root); }).find("static_annotations.csv: not found"), std::string::npos);
}

TEST(Loaders, MissingColumnIsNamed) {
  mer::test::TempDir dir;
  const fs::path root = CopyFixture(dir, "deezer");
  std::ofstream(root / "test.csv", std::ios::trunc) << "dzr_sng_id,valence\n1,0.5\n";
  EXPECT_NE(InputErrorOf([&] { Load("deezer", root); }).find("test.csv: no column 'arousal'"), std::string::npos);
}

// ---- The full files in ../shared ----

TEST(FullFiles, Cal500) {
  MER_REQUIRE_SHARED(root, "datasets/CAL500");
  const Corpus c = Load("cal500", root);
  EXPECT_EQ(c.items.size(), 502u);
  EXPECT_EQ(ById(c, "sir_mix-a-lot-baby_got_back").artist, "sir_mix-a-lot");
  EXPECT_EQ(ById(c, "go-gos-vacation").artist, "go-gos");
  EXPECT_EQ(ById(c, "al_green-sha-la-la_make_me_happy").artist, "al_green");
  EXPECT_EQ(Load("cal500", root, {{"labels", "soft"}, {"tags", "all"}}).schema.names.size(), 174u);
}

TEST(FullFiles, Cal500Exp) {
  MER_REQUIRE_SHARED(root, "datasets/CAL500exp");
  const Corpus c = Load("cal500exp", root);
  EXPECT_EQ(c.items.size(), 3223u);
  std::set<std::string> songs;
  for (const auto& item : c.items) {
    songs.insert(item.audio.filename().string());
    ASSERT_GE(item.end_seconds - item.start_seconds, 2.9) << item.id;
    ASSERT_LE(item.end_seconds - item.start_seconds, 16.3) << item.id;
  }
  EXPECT_EQ(songs.size(), 500u);
  EXPECT_NE(c.warnings.at(0).find("497 of 500 files"), std::string::npos) << c.warnings[0];
}

TEST(FullFiles, DeamAgreesWithEmoMusicOnlyAfterTheFix) {
  MER_REQUIRE_SHARED(root, "datasets/DEAM");
  MER_REQUIRE_SHARED(emo, "datasets/emoMusic");
  const Corpus c = Load("deam", root, {{"cross_check_root", emo.string()}});
  EXPECT_EQ(c.items.size(), 1744u + 58u);
  for (const auto& w : c.warnings) EXPECT_EQ(w.find("disagree"), std::string::npos) << w;
  ASSERT_EQ(c.notes.size(), 1u);
  const Corpus literal = Load("deam", root, {{"cross_check_root", emo.string()}, {"va_columns", "as_named"}});
  bool warned = false;
  for (const auto& w : literal.warnings) warned |= w.find("disagree on the 744 songs") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(FullFiles, EmoMusic) {
  MER_REQUIRE_SHARED(root, "datasets/emoMusic");
  const Corpus c = Load("emomusic", root);
  EXPECT_EQ(c.items.size(), 744u);
  std::size_t development = 0, curves = 0;
  for (const auto& item : c.items) development += item.official_split == "train", curves += item.dynamic.has_value();
  EXPECT_EQ(development, 619u);
  EXPECT_EQ(curves, 744u);
  EXPECT_EQ(c.items[0].audio, root / "audio" / "clips_45seconds" / "2.mp3");  // this copy nests the clips
  EXPECT_TRUE(fs::exists(c.items[0].audio));
}

TEST(FullFiles, Deezer) {
  MER_REQUIRE_SHARED(root, "datasets/deezer");
  const Corpus c = Load("deezer", root);
  std::size_t counts[3] = {0, 0, 0};
  for (const auto& item : c.items) ++counts[item.official_split == "train" ? 0 : item.official_split == "val" ? 1 : 2];
  EXPECT_EQ(counts[0], 11267u);
  EXPECT_EQ(counts[1], 3863u);
  EXPECT_EQ(counts[2], 3514u);
}

TEST(FullFiles, Pmemo2018MetadataAndArousal) {
  MER_REQUIRE_SHARED(real, "datasets/PMEmo/PMEmo2018");
  mer::test::TempDir dir;
  fs::copy(real, dir / "root", fs::copy_options::recursive);
  // V_static.csv is not in ../shared: give every arousal row a valence so all 767 are labelled.
  const CsvTable a = ReadCsv(real / "A_static.csv");
  std::ofstream v(dir / "root" / "V_static.csv");
  v << "musicId,mean_V,std_V\n";
  for (const auto& row : a.rows) v << row.fields[0] << ",0.5,0.1\n";
  v.close();
  const Corpus c = Load("pmemo2018", dir / "root");
  EXPECT_EQ(c.items.size(), 767u);
  EXPECT_EQ(c.skipped_unlabeled, 31u);
  ASSERT_FALSE(c.warnings.empty());
  EXPECT_NE(c.warnings[0].find("14 titles"), std::string::npos) << c.warnings[0];
}

TEST(FullFiles, PmemoMetadataSubsetsWithTheAuthorsLabels) {
  MER_REQUIRE_SHARED(subsets, "datasets/PMEmo/PMEmo2019/_derived/Rashy98_metadata_subsets");
  MER_REQUIRE_SHARED(scatter, "datasets/PMEmo/PMEmo2019/_derived/HuiZhangDB_docs_data/scatter.json");
  mer::test::TempDir dir;
  fs::create_directories(dir / "root" / "annotations");
  std::ofstream metadata(dir / "root" / "metadata.csv");
  for (const char* part : {"train", "valid", "test"}) {
    const std::string text = mer::test::ReadBytes(subsets / ("PMEmo_" + std::string(part) + ".csv"));
    metadata << (part == std::string("train") ? text : text.substr(text.find('\n') + 1));
  }
  metadata.close();
  std::ofstream labels(dir / "root" / "annotations" / "static_annotations.csv");
  labels << "musicId,Arousal(mean),Valence(mean)\n";
  std::ifstream in(scatter);
  for (const auto& s : nlohmann::json::parse(in)) labels << s["id"] << "," << s["a"] << "," << s["v"] << "\n";
  labels.close();
  const Corpus c = Load("pmemo", dir / "root");
  EXPECT_EQ(c.items.size(), 767u);
  EXPECT_EQ(c.skipped_unlabeled, 0u);  // the subsets' 388 distinct ids all have labels
  bool warned = false;  // the three derived subsets share 11 ids
  for (const auto& w : c.warnings) warned |= w.find("11 ids appear more than once") != std::string::npos;
  EXPECT_TRUE(warned);
  EXPECT_EQ(ById(c, "1").title, "Good Drank");
}

}  // namespace
}  // namespace mer::data
