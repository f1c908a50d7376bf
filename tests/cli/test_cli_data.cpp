// `mer data check` and `mer data synth` through the built binary.
#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mer {
namespace {

using test::RunMer;

using test::Q;

TEST(CliData, SynthThenCheckJsonRoundTrip) {
  test::TempDir dir;
  auto r = RunMer("data synth --dataset emomusic --out " + Q(dir / "emo") + " --songs 12 --seconds 17 --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote 12 songs"), std::string::npos) << r.out;
  r = RunMer("data check --dataset emomusic --root " + Q(dir / "emo") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::ordered_json::parse(r.out);
  for (const char* key : {"dataset", "annotated", "with_audio", "missing_audio", "splits", "labels", "warnings"}) {
    EXPECT_TRUE(report.contains(key)) << key;
  }
  EXPECT_EQ(report["annotated"], 12);
  EXPECT_EQ(report["with_audio"], 12);
  EXPECT_EQ(report["missing_audio"], 0);
  EXPECT_EQ(report["splits"]["method"], "official");
  EXPECT_EQ(report["splits"]["train"]["count"].get<int>() + report["splits"]["val"]["count"].get<int>() +
                report["splits"]["test"]["count"].get<int>(),
            12);
  EXPECT_EQ(report["labels"].begin().key(), "valence");  // schema order
  EXPECT_GE(report["labels"]["arousal"]["min"].get<double>(), 1.0);
  r = RunMer("data check --dataset emomusic --root " + Q(dir / "emo"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("annotated    12 items"), std::string::npos) << r.out;
}

// data.val_fold from the command line: over its round(1 / val_ratio) values every non-test item is validation once.
TEST(CliData, ValFoldsCoverTheTrainingPartOnce) {
  test::TempDir dir;
  ASSERT_EQ(RunMer("data synth --dataset fourq --out " + Q(dir / "4q") + " --songs 40 --seconds 5").exit_code, 0);
  const std::string check = "data check --json --dataset fourq --root " + Q(dir / "4q") +
                            " --set data.split=kfold --set data.folds=5 --set data.val_ratio=0.25";
  const auto usual = nlohmann::json::parse(RunMer(check).out)["splits"];
  const int rest = usual["train"]["count"].get<int>() + usual["val"]["count"].get<int>();
  int validated = 0;
  for (int k = 0; k < 4; ++k) {
    const auto r = RunMer(check + " --set data.val_fold=" + std::to_string(k));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto splits = nlohmann::json::parse(r.out)["splits"];
    EXPECT_EQ(splits["test"], usual["test"]) << "val_fold " << k << " moved the test fold";
    EXPECT_EQ(splits["train"]["count"].get<int>() + splits["val"]["count"].get<int>(), rest);
    EXPECT_GT(splits["val"]["count"].get<int>(), 0);
    validated += splits["val"]["count"].get<int>();
  }
  EXPECT_EQ(validated, rest);
}

// Issue 31: the help names every registered dataset (a hand-kept list named 7 of 9).
TEST(CliData, HelpNamesEveryRegisteredDataset) {
  const auto r = RunMer("data check --help");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("cal500, cal500exp, csv, deam, deezer, emomusic, fourq, pmemo, pmemo2018"), std::string::npos) << r.out;
}

TEST(CliData, ErrorsHaveExitCodesAndOneLine) {
  test::TempDir dir;
  struct Case {
    std::string args;
    int code;
    std::string expected;
  };
  const std::string fixtures = test::TestData("fixtures/datasets").string();
  const Case cases[] = {
      {"data check --dataset nope --root " + Q(dir.path()), 2, "unknown dataset 'nope'; registered: cal500, cal500exp, csv, deam, deezer, emomusic, fourq, pmemo, pmemo2018\n"},
      {"data check --dataset deam --root " + Q(dir / "missing"), 2, "data.root"},
      {"data check --dataset deam --root " + Q(dir.path()), 1, "static_annotations_averaged_songs_1_2000.csv: not found"},
      {"data check --dataset emomusic --root '" + fixtures + "/emoMusic' --set data.fold=9", 2, "data.fold = 9"},
      {"data check --dataset emomusic --root '" + fixtures + "/emoMusic' --set data.val_fold=10", 2,
       "data.val_fold = 10 is invalid: expected -1 (off) or an integer in [0, round(1 / val_ratio) - 1 = 9]"},
      {"data check --dataset emomusic --root '" + fixtures + "/emoMusic' --set frontend.n_mels=3", 2, "only takes data."},
      {"data synth --dataset deam --out " + Q(dir / "x") + " --seconds 5", 2, "--seconds = 5"},
      {"data synth --dataset deam --out " + Q(dir.path()) + " --songs 2", 2, "--songs = 2"},
  };
  test::WriteBytes(dir / "keep.txt", "precious");
  for (const auto& c : cases) {
    const auto r = RunMer(c.args);
    EXPECT_EQ(r.exit_code, c.code) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  const auto r = RunMer("data synth --dataset deam --out " + Q(dir.path()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not an empty folder"), std::string::npos) << r.err;
  EXPECT_EQ(test::ReadBytes(dir / "keep.txt"), "precious");
}

TEST(CliData, CheckOnTheFullSharedFiles) {
  MER_REQUIRE_SHARED(deam, "datasets/DEAM");
  MER_REQUIRE_SHARED(emo, "datasets/emoMusic");
  const auto r = RunMer("data check --dataset deam --root " + Q(deam) + " --cross-check " + Q(emo) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["annotated"], 1802);
  EXPECT_EQ(report["missing_audio"], 1802);
  EXPECT_EQ(report["notes"].size(), 1u);
}

}  // namespace
}  // namespace mer
