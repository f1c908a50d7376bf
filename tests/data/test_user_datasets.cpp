// The 4Q dataset (byte-exact CSV excerpts always, the full shared copy when present), the generic `csv` dataset for
// users' own data, and splits read from a file: what they load, and a one-line error naming file:line for each
// kind of bad input.
#include <set>

#include <gtest/gtest.h>

#include "data_test_util.h"
#include "mer/data/check.h"
#include "mer/data/split.h"
#include "support/test_support.h"

namespace mer::data {
namespace {

using test::ConfigErrorOf;
using test::InputErrorOf;
using test::Fixture;
using test::Load;
namespace fs = std::filesystem;

std::string ClassOf(const Corpus& c, const Item& item) {
  for (std::size_t k = 0; k < item.labels.size(); ++k) {
    if (item.labels[k] == 1.0f) return c.schema.names[k];
  }
  return "";
}

// The excerpt's CSVs in a temp root, with empty stand-ins for some clips (no 4Q audio is committed).
fs::path FourQRoot(const mer::test::TempDir& dir, const std::vector<std::string>& clips) {
  const fs::path root = dir / "4Q";
  fs::create_directories(root);
  for (const char* f : {"panda_dataset_taffc_annotations.csv", "panda_dataset_taffc_metadata.csv"}) {
    fs::copy_file(Fixture(std::string("4Q/") + f), root / f);
  }
  for (const auto& clip : clips) {
    fs::create_directories((root / clip).parent_path());
    mer::test::WriteBytes(root / clip, "x");
  }
  return root;
}

TEST(FourQLoader, ExcerptClassesArtistsAndAudioByAnyExtension) {
  mer::test::TempDir dir;
  const fs::path root = FourQRoot(dir, {"Q3/MT0000004637.mp3", "Q2/MT0000011357.opus", "Q1/MT0000011975.flac"});
  const Corpus c = Load("fourq", root);
  EXPECT_EQ(c.schema.task, Task::kClasses);
  EXPECT_EQ(c.schema.names, (std::vector<std::string>{"Q1", "Q2", "Q3", "Q4"}));
  ASSERT_EQ(c.items.size(), 8u);
  const Item& first = test::ById(c, "MT0000004637");
  EXPECT_EQ(ClassOf(c, first), "Q3");
  EXPECT_EQ(first.labels, (std::vector<float>{0, 0, 1, 0}));
  EXPECT_EQ(first.artist, "Charlie Poole");
  EXPECT_EQ(first.title, "Bulldog Down in Sunny Tennessee");
  EXPECT_EQ(first.group, "artist:Charlie Poole");
  EXPECT_EQ(first.audio, root / "Q3/MT0000004637.mp3");
  EXPECT_EQ(test::ById(c, "MT0000011357").audio, root / "Q2/MT0000011357.opus");
  // Missing audio: the released path, counted by the loaders' callers as missing.
  EXPECT_EQ(test::ById(c, "MT0000040632").audio, root / "Q1/MT0000040632.mp3");
  // MT0000011975 is Q2 in the CSV but its file sits in Q1: used, with a warning naming both.
  EXPECT_EQ(ClassOf(c, test::ById(c, "MT0000011975")), "Q2");
  EXPECT_EQ(test::ById(c, "MT0000011975").audio, root / "Q1/MT0000011975.flac");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("says Q2 but its audio is in Q1/MT0000011975.flac"), std::string::npos) << c.warnings[0];
  const auto report = CheckCorpus(c, SplitConfig{});
  EXPECT_EQ(report["task"], "classes");
  EXPECT_EQ(report["classes"]["Q2"]["items"], 2);
  EXPECT_EQ(report["classes"]["Q2"]["with_audio"], 2);
  EXPECT_EQ(report["with_audio"], 3);
}

TEST(FourQLoader, MoodsAsTags) {
  const Corpus c = Load("fourq", Fixture("4Q"), {{"labels", "moods"}, {"min_mood_songs", 1}});
  EXPECT_EQ(c.schema.task, Task::kTagging);
  const Item& first = test::ById(c, "MT0000004637");  // "Circular; Greasy; Messy"
  std::set<std::string> on;
  for (std::size_t k = 0; k < first.labels.size(); ++k) {
    if (first.labels[k] == 1.0f) on.insert(c.schema.names[k]);
  }
  EXPECT_EQ(on, (std::set<std::string>{"Circular", "Greasy", "Messy"}));
  EXPECT_NE(InputErrorOf([&] { Load("fourq", Fixture("4Q"), {{"labels", "moods"}, {"min_mood_songs", 50}}); })
                .find("no mood is shared by 50 songs"),
            std::string::npos);
}

TEST(FourQLoader, MalformedAnnotations) {
  mer::test::TempDir dir;
  const fs::path root = FourQRoot(dir, {});
  mer::test::WriteBytes(root / "panda_dataset_taffc_annotations.csv", "Song,Quadrant\nMT1,Q1\nMT1,Q2\n");
  EXPECT_NE(InputErrorOf([&] { Load("fourq", root); }).find("panda_dataset_taffc_annotations.csv:3: song 'MT1' appears twice"),
            std::string::npos);
  mer::test::WriteBytes(root / "panda_dataset_taffc_annotations.csv", "Song,Quadrant\n../etc,Q1\n");
  EXPECT_NE(InputErrorOf([&] { Load("fourq", root); }).find("panda_dataset_taffc_annotations.csv:2"), std::string::npos);
  mer::test::WriteBytes(root / "panda_dataset_taffc_annotations.csv", "Song,Class\nMT1,Q1\n");
  EXPECT_NE(InputErrorOf([&] { Load("fourq", root); }).find("no column 'Quadrant'"), std::string::npos);
}

TEST(FourQLoader, SharedCopy900Labelled720WithAudio) {
  MER_REQUIRE_SHARED(root, "datasets/4Q/panda_dataset_taffc_annotations.csv");
  const Corpus c = Load("fourq", root.parent_path());
  EXPECT_EQ(c.items.size(), 900u);
  std::size_t audio = 0, artists_known = 0;
  std::vector<int> per_class(4, 0);
  std::set<std::string> artists;
  for (const auto& item : c.items) {
    std::error_code ec;
    audio += fs::is_regular_file(item.audio, ec);
    artists_known += !item.artist.empty();
    artists.insert(item.artist);
    for (int k = 0; k < 4; ++k) per_class[k] += item.labels[k] == 1.0f;
  }
  EXPECT_EQ(audio, 720u);
  EXPECT_EQ(artists_known, 897u);  // three metadata rows have an empty Artist: those songs are grouped alone
  EXPECT_EQ(artists.size(), 662u);  // 661 names and the empty one
  EXPECT_EQ(per_class, (std::vector<int>{225, 225, 225, 225}));
  EXPECT_TRUE(c.warnings.empty()) << c.warnings[0];
  // 10 stratified, artist-disjoint folds: every class in every fold, no artist in two folds.
  SplitConfig s;
  s.method = "kfold";
  s.folds = 10;
  std::map<std::string, int> fold_of_artist;
  std::size_t total = 0;
  for (int f = 0; f < 10; ++f) {
    s.fold = f;
    const Split split = MakeSplit(c, s);
    total += split.test.size();
    std::vector<int> classes(4, 0);
    for (std::size_t i : split.test) {
      for (int k = 0; k < 4; ++k) classes[k] += c.items[i].labels[k] == 1.0f;
      if (c.items[i].artist.empty()) continue;
      const auto [it, fresh] = fold_of_artist.emplace(c.items[i].artist, f);
      EXPECT_EQ(it->second, f) << c.items[i].artist;
    }
    for (int k = 0; k < 4; ++k) EXPECT_GE(classes[k], 18) << "fold " << f << " class " << k;
  }
  EXPECT_EQ(total, 900u);
}

// A user's table: audio paths under root, labels of each kind.
fs::path UserTable(const mer::test::TempDir& dir, const std::string& name, const std::string& text) {
  fs::create_directories(dir / "user");
  mer::test::WriteBytes(dir / "user" / name, text);
  return dir / "user";
}

TEST(CsvDataset, RegressionTagsAndClasses) {
  mer::test::TempDir dir;
  const fs::path root = UserTable(dir, "clips.csv",
                                  "file,singer,val,aro,mood,tags,part\n"
                                  "a/one.mp3,Ann,1.5,8,happy,piano;voice,train\n"
                                  "a/two.wav,Ann,9,1,calm,,test\n"
                                  "b/three.flac,Bob,5,5,sad,voice,validation\n");
  const nlohmann::json base = {{"annotations", "clips.csv"}, {"audio_column", "file"}, {"group_column", "singer"}};
  nlohmann::json reg = base;
  reg.update({{"labels", "regression"}, {"label_columns", {"val", "aro"}}, {"scale", {1, 9}}, {"split_column", "part"}});
  const Corpus r = Load("csv", root, reg);
  EXPECT_EQ(r.schema.task, Task::kRegression);
  EXPECT_EQ(r.schema.names, (std::vector<std::string>{"val", "aro"}));
  EXPECT_EQ(r.schema.midpoint, 5.0);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[0].id, "a/one.mp3");
  EXPECT_EQ(r.items[0].audio, root / "a/one.mp3");
  EXPECT_EQ(r.items[0].labels, (std::vector<float>{1.5f, 8.0f}));
  EXPECT_EQ(r.items[0].group, r.items[1].group);
  EXPECT_EQ(r.items[2].official_split, "val");
  EXPECT_EQ(MakeSplit(r, SplitConfig{}).method, "official");

  nlohmann::json tags = base;
  tags.update({{"labels", "tags"}, {"tag_column", "tags"}});
  const Corpus t = Load("csv", root, tags);
  EXPECT_EQ(t.schema.names, (std::vector<std::string>{"piano", "voice"}));
  EXPECT_EQ(t.items[0].labels, (std::vector<float>{1, 1}));
  EXPECT_EQ(t.items[1].labels, (std::vector<float>{0, 0}));

  nlohmann::json cls = base;
  cls.update({{"labels", "classes"}, {"label_columns", {"mood"}}, {"id_column", "file"}});
  const Corpus c = Load("csv", root, cls);
  EXPECT_EQ(c.schema.task, Task::kClasses);
  EXPECT_EQ(c.schema.names, (std::vector<std::string>{"calm", "happy", "sad"}));
  EXPECT_EQ(c.items[0].labels, (std::vector<float>{0, 1, 0}));
  cls["classes"] = {"happy", "sad", "calm", "angry"};  // a fixed order, with a class no row has
  EXPECT_EQ(Load("csv", root, cls).items[0].labels, (std::vector<float>{1, 0, 0, 0}));
  cls["classes"] = {"happy", "sad"};
  EXPECT_NE(InputErrorOf([&] { Load("csv", root, cls); }).find("clips.csv:3: column 'mood': class 'calm' is not one of"),
            std::string::npos);
  // TSV by extension.
  UserTable(dir, "clips.tsv", "file\tscore\nx.mp3\t0.25\n");
  const Corpus tsv = Load("csv", root, {{"annotations", "clips.tsv"}, {"audio_column", "file"}, {"label_columns", {"score"}}});
  EXPECT_EQ(tsv.items[0].labels, (std::vector<float>{0.25f}));
}

TEST(CsvDataset, BadInputNamesFileAndLine) {
  mer::test::TempDir dir;
  const nlohmann::json keys = {{"annotations", "clips.csv"}, {"audio_column", "file"}, {"label_columns", {"v"}}};
  const auto error = [&](const std::string& table) {
    const fs::path root = UserTable(dir, "clips.csv", table);
    return InputErrorOf([&] { Load("csv", root, keys); });
  };
  EXPECT_NE(error("file,v\n../secret.mp3,0.5\n").find("clips.csv:2: audio path '../secret.mp3' escapes data.root"),
            std::string::npos);
  EXPECT_NE(error("file,v\n/etc/passwd,0.5\n").find("clips.csv:2: audio path '/etc/passwd' must be relative"),
            std::string::npos);
  EXPECT_NE(error("file,v\na.mp3,0.5\nb.mp3,high\n").find("clips.csv:3: column 'v': 'high' is not a number"),
            std::string::npos);
  EXPECT_NE(error("file,v\na.mp3,0.5\na.mp3,0.7\n").find("clips.csv:3: id 'a.mp3' appears twice"), std::string::npos);
  EXPECT_NE(error("file,v\na.mp3,1.5\n").find("clips.csv:2: column 'v': 1.5 is outside data.scale"), std::string::npos);
  EXPECT_NE(error("file,v\na.mp3\n").find("clips.csv:2: expected 2 fields"), std::string::npos);
  // Issue 32, minor: a NUL inside a path is named as such (it was reported as "the id is empty").
  EXPECT_NE(error(std::string("file,v\na\0b.mp3,0.5\n", 19)).find("clips.csv:2: the id holds a NUL byte"),
            std::string::npos);
  // Declared columns the table lacks: a configuration error listing the columns it has.
  const fs::path root = UserTable(dir, "clips.csv", "path,valence\na.mp3,0.5\n");
  const std::string missing = ConfigErrorOf([&] { Load("csv", root, keys); });
  EXPECT_NE(missing.find("data.audio_column: "), std::string::npos) << missing;
  EXPECT_NE(missing.find("has no column 'file' (its columns: path, valence)"), std::string::npos) << missing;
  // Keys checked before any file is read.
  EXPECT_NE(ConfigErrorOf([&] { Load("csv", root, {{"audio_column", "path"}, {"label_columns", {"valence"}}}); })
                .find("data.annotations"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf([&] {
              Load("csv", root, {{"annotations", "clips.csv"}, {"audio_column", "path"}, {"labels", "classes"},
                                 {"label_columns", {"a", "b"}}});
            }).find("exactly one column"),
            std::string::npos);
}

TEST(SplitFile, OfficialOrPrivateSplitFromIdPartRows) {
  mer::test::TempDir dir;
  const fs::path root = FourQRoot(dir, {});
  mer::test::WriteBytes(dir / "split.csv",
                        "id,part\nMT0000004637,train\nMT0000011357,train\nMT0000011975,test\nMT0000040632,val\n"
                        "MT0000044741,train\n");
  const Corpus c = Load("fourq", root, {{"split_file", (dir / "split.csv").string()}});
  ASSERT_EQ(c.items.size(), 5u);  // the other three are left out, with a note
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("leaves 3 labelled items out"), std::string::npos);
  SplitConfig s;
  s.method = "file";
  const Split split = MakeSplit(c, s);
  EXPECT_EQ(split.method, "file");
  EXPECT_EQ(split.train.size(), 3u);
  EXPECT_EQ(split.val.size(), 1u);
  ASSERT_EQ(split.test.size(), 1u);
  EXPECT_EQ(c.items[split.test[0]].id, "MT0000011975");
  const auto error = [&](const std::string& rows) {
    mer::test::WriteBytes(dir / "bad.csv", rows);
    return InputErrorOf([&] { Load("fourq", root, {{"split_file", (dir / "bad.csv").string()}}); });
  };
  EXPECT_NE(error("id,part\nMT0000004637,train\nMT9,test\n").find("bad.csv:3: id 'MT9' is not an item of fourq"),
            std::string::npos);
  EXPECT_NE(error("id,part\nMT0000004637,holdout\n").find("bad.csv:2: part 'holdout' is unknown"), std::string::npos);
  EXPECT_NE(error("id,part\nMT0000004637,train\nMT0000004637,test\n").find("bad.csv:3: id 'MT0000004637' is listed twice"),
            std::string::npos);
  EXPECT_NE(error("song,part\nMT0000004637,train\n").find("bad.csv:1: a split file needs the columns id and part"),
            std::string::npos);
  // A file that puts every item in val or test leaves nothing to train on: refused, naming the file (issue 32).
  mer::test::WriteBytes(dir / "no_train.csv", "id,part\nMT0000004637,val\nMT0000011357,test\nMT0000011975,val\n");
  const Corpus no_train = Load("fourq", root, {{"split_file", (dir / "no_train.csv").string()}});
  SplitConfig from_file;
  from_file.method = "file";
  from_file.file = dir / "no_train.csv";
  EXPECT_NE(ConfigErrorOf([&] { MakeSplit(no_train, from_file); })
                .find("data.split_file: " + (dir / "no_train.csv").string() + " leaves no training items"),
            std::string::npos);
  // Config: a split file that is not there, or with another split method.
  EXPECT_NE(ConfigErrorOf([&] { Load("fourq", root, {{"split_file", "nope.csv"}}); }).find("data.split_file"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf([&] {
              Load("fourq", root, {{"split_file", (dir / "split.csv").string()}, {"split", "kfold"}});
            }).find("data.split_file"),
            std::string::npos);
}

}  // namespace
}  // namespace mer::data
