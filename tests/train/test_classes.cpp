// Single-label classification end to end: the 4Q layout (synthetic corpus always; a slice of the real clips in
// ../shared when present) and a user's CSV table train, evaluate (per-class metrics, confusion matrix as text and
// SVG) and predict (class probabilities per song and per window); clips that fail to decode are left out and counted.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mer {
namespace {

namespace fs = std::filesystem;
using test::Q;
using test::ReadJson;
using test::RunMer;

class ClassesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    auto r = RunMer("data synth --dataset fourq --out " + Q(*dir_ / "fourq") + " --songs 200 --seconds 12 --seed 11");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunMer("data synth --dataset csv --out " + Q(*dir_ / "user") + " --songs 60 --seconds 6 --seed 12");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path Config(const std::string& name, const nlohmann::json& changes) {
    return test::WriteDemoConfig(dir_->path(), name, *dir_ / "fourq", changes.dump());
  }
  // One clip of the synthetic 4Q corpus (the last MP3 found).
  static fs::path AClip() {
    fs::path clip;
    for (const auto& entry : fs::recursive_directory_iterator(*dir_ / "fourq")) {
      if (entry.path().extension() == ".mp3") clip = entry.path();
    }
    return clip;
  }
  static test::TempDir* dir_;
};
test::TempDir* ClassesTest::dir_ = nullptr;

const nlohmann::json kFourQ = {{"data", {{"dataset", "fourq"}, {"split", "ratio"}}},
                               {"model", {{"input_frames", 215}}},
                               {"train", {{"epochs", 40}, {"monitor", "f1_macro"}}}};

TEST_F(ClassesTest, FourQLayoutTrainsEvaluatesAndPredictsClasses) {
  const fs::path run = *dir_ / "run";
  const auto r = RunMer("train --config " + Q(Config("classes", kFourQ)) + " --out " + Q(run) + " --device cpu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("classes of 4 outputs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(20 without audio left out)"), std::string::npos) << r.err;
  const auto labels = ReadJson(run / "labels.json");
  EXPECT_EQ(labels["task"]["outputs"], nlohmann::json({"Q1", "Q2", "Q3", "Q4"}));
  const auto metrics = ReadJson(run / "metrics.json");
  const auto& test = metrics["test"];
  // Four classes: chance is 0.25. The synthetic quadrants are learnable: accuracy 0.81 / 0.83 / 0.83 and macro F1
  // 0.80 / 0.83 / 0.84 measured with train seeds 1 / 2 / 3 (songs near the valence/arousal midlines are ambiguous
  // by construction).
  EXPECT_GE(test["accuracy"].get<double>(), 0.7) << test.dump();
  EXPECT_GE(test["f1_macro"].get<double>(), 0.7) << test.dump();
  // Per class metrics agree with the confusion matrix.
  std::size_t total = 0, support = 0;
  for (int c = 0; c < 4; ++c) {
    const std::string name = "Q" + std::to_string(c + 1);
    std::size_t row = 0, column = 0;
    for (int o = 0; o < 4; ++o) row += test["confusion"][c][o].get<std::size_t>(), column += test["confusion"][o][c].get<std::size_t>();
    const double tp = test["confusion"][c][c].get<double>();
    EXPECT_EQ(test["per_class"][name]["support"].get<std::size_t>(), row) << name;
    EXPECT_NEAR(test["per_class"][name]["recall"].get<double>(), row ? tp / row : 0.0, 1e-12) << name;
    EXPECT_NEAR(test["per_class"][name]["precision"].get<double>(), column ? tp / column : 0.0, 1e-12) << name;
    total += row;
    support += test["per_class"][name]["support"].get<std::size_t>();
  }
  EXPECT_EQ(total, ReadJson(run / "split.json")["test"].size());
  EXPECT_EQ(support, total);

  // eval: the same metrics, the confusion matrix as a table, confusion.svg with one cell per pair of classes.
  const auto e = RunMer("eval --run " + Q(run) + " --plots " + Q(*dir_ / "plots"));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("confusion (rows: true, columns: predicted):"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("f1_macro"), std::string::npos) << e.out;
  const std::string svg = test::ReadBytes(*dir_ / "plots/confusion.svg");
  std::size_t cells = 0;
  for (auto at = svg.find("class=\"cell\""); at != std::string::npos; at = svg.find("class=\"cell\"", at + 1)) ++cells;
  EXPECT_EQ(cells, 16u);
  EXPECT_FALSE(fs::exists(*dir_ / "plots/scatter.svg"));
  const auto ej = RunMer("eval --run " + Q(run) + " --json");
  ASSERT_EQ(ej.exit_code, 0) << ej.err;
  EXPECT_NEAR(nlohmann::json::parse(ej.out)["metrics"]["f1_macro"].get<double>(), test["f1_macro"].get<double>(), 1e-9);

  // predict: the most probable class and the class probabilities per song, and per window with --json.
  const fs::path clip = AClip();
  const auto p = RunMer("predict --run " + Q(run) + " " + Q(clip));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find(": class Q"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find(" Q4 "), std::string::npos) << p.out;
  const auto pj = RunMer("predict --run " + Q(run) + " --json " + Q(clip));
  ASSERT_EQ(pj.exit_code, 0) << pj.err;
  const auto song = nlohmann::json::parse(pj.out)[0];
  double sum = 0;
  for (const char* q : {"Q1", "Q2", "Q3", "Q4"}) sum += song["track"][q].get<double>();
  EXPECT_NEAR(sum, 1.0, 1e-6);
  ASSERT_GE(song["curve"].size(), 1u);
  EXPECT_TRUE(song["curve"][0].contains("class"));
  EXPECT_EQ(song["class"].get<std::string>().substr(0, 1), "Q");
}

TEST_F(ClassesTest, ClipStatsWithChromaRowsTrainsEvaluatesAndPredicts) {
  nlohmann::json changes = kFourQ;
  changes["frontend"] = {{"n_mels", 64}, {"center", true}, {"chroma", 12}};
  changes["model"] = {{"name", "clip_stats"}, {"input_frames", 215}, {"dropout", 0.3}};
  changes["train"]["epochs"] = 30;
  const fs::path run = *dir_ / "chroma_run";
  const auto r = RunMer("train --config " + Q(Config("chroma", changes)) + " --out " + Q(run));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 3 x 64 + 2 x 20 + 4 mel features and 28 tonal ones: 264 into batch norm, dense 128, head 4.
  EXPECT_NE(r.err.find("clip_stats (" + std::to_string(2 * 264 + 264 * 128 + 128 + 129 * 4) + " parameters)"),
            std::string::npos)
      << r.err;
  const auto resolved = ReadJson(run / "config.json");
  EXPECT_EQ(resolved["frontend"]["chroma"], 12);
  const double f1 = ReadJson(run / "metrics.json")["test"]["f1_macro"].get<double>();
  EXPECT_GE(f1, 0.6);  // chance 0.25
  const auto e = RunMer("eval --run " + Q(run) + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NEAR(nlohmann::json::parse(e.out)["metrics"]["f1_macro"].get<double>(), f1, 1e-9);
  const fs::path clip = AClip();
  const auto p = RunMer("predict --run " + Q(run) + " " + Q(clip));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find(": class Q"), std::string::npos) << p.out;
  // Chroma rows belong to the fixed log-mel: a model reading the waveform refuses them, in one line.
  changes["model"] = {{"name", "raw_cnn"}, {"input_frames", 22050}};
  const auto bad = RunMer("train --config " + Q(Config("chroma_raw", changes)) + " --out " + Q(*dir_ / "chroma_raw"));
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("frontend.chroma is invalid with model raw_cnn"), std::string::npos) << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}

// Cross-validation bagging end to end: two runs validating on two different val_fold parts, then predicted together
// (`mer predict --run A --run B`, also with --list): the ensemble's probabilities are the mean of the two runs', per
// song and per window; `mer eval --run A --run B` scores that mean on their shared test part; runs whose inputs,
// outputs or test items differ are refused in one line.
TEST_F(ClassesTest, BaggedRunsPredictAsTheMeanOfTheirOutputs) {
  nlohmann::json changes = kFourQ;
  changes["data"]["val_ratio"] = 0.25;
  changes["model"] = {{"name", "clip_stats"}, {"input_frames", 215}, {"dropout", 0.3}};
  changes["train"]["epochs"] = 6;
  std::vector<fs::path> runs;
  for (int k = 0; k < 2; ++k) {
    changes["data"]["val_fold"] = k;
    changes["train"]["seed"] = k + 1;
    runs.push_back(*dir_ / ("bag" + std::to_string(k)));
    const auto r = RunMer("train --config " + Q(Config("bag" + std::to_string(k), changes)) + " --out " + Q(runs[k]));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto split0 = ReadJson(runs[0] / "split.json"), split1 = ReadJson(runs[1] / "split.json");
  EXPECT_EQ(split0["val_fold"], 0);
  EXPECT_EQ(split0["test"], split1["test"]);
  for (const auto& id : split0["val"]) {
    EXPECT_EQ(std::count(split1["val"].begin(), split1["val"].end(), id), 0) << id << " validates both runs";
  }
  const fs::path clip = AClip();
  const auto predict = [&](const std::string& run_args) {
    const auto r = RunMer("predict " + run_args + " --json " + Q(clip));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)[0];
  };
  const auto a = predict("--run " + Q(runs[0])), b = predict("--run " + Q(runs[1]));
  const auto both = predict("--run " + Q(runs[0]) + " --run " + Q(runs[1]));
  double apart = 0;
  for (const char* q : {"Q1", "Q2", "Q3", "Q4"}) {
    EXPECT_NEAR(both["track"][q].get<double>(), (a["track"][q].get<double>() + b["track"][q].get<double>()) / 2, 1e-9);
    apart += std::abs(a["track"][q].get<double>() - b["track"][q].get<double>());
    ASSERT_EQ(both["curve"].size(), a["curve"].size());
    for (std::size_t w = 0; w < a["curve"].size(); ++w) {
      EXPECT_NEAR(both["curve"][w][q].get<double>(),
                  (a["curve"][w][q].get<double>() + b["curve"][w][q].get<double>()) / 2, 1e-9);
    }
  }
  EXPECT_GT(apart, 1e-4) << "the two runs agree, so the test could not see a wrong mean";
  test::WriteBytes(*dir_ / "bag_list.txt", clip.string() + "\n");
  const auto l = RunMer("predict --run " + Q(runs[0]) + " --run " + Q(runs[1]) + " --list " + Q(*dir_ / "bag_list.txt") +
                        " --out " + Q(*dir_ / "bag.jsonl"));
  ASSERT_EQ(l.exit_code, 0) << l.err;
  const auto line = nlohmann::json::parse(test::ReadBytes(*dir_ / "bag.jsonl"));
  for (const char* q : {"Q1", "Q2", "Q3", "Q4"}) {
    EXPECT_NEAR(line["track"][q].get<double>(), both["track"][q].get<double>(), 1e-9) << line.dump();
  }
  // eval scores the ensemble on the test part the runs share: its predictions are the mean of the runs' own.
  const auto rows = [&](const std::string& run_args, const std::string& csv) {
    const auto r = RunMer("eval " + run_args + " --json --predictions " + Q(*dir_ / csv));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::vector<double>> out;
    std::istringstream lines(test::ReadBytes(*dir_ / csv));
    std::string row;
    std::getline(lines, row);  // id,true_Q1..true_Q4,pred_Q1..pred_Q4
    while (std::getline(lines, row)) {
      std::vector<double> cells;
      std::istringstream fields(row);
      std::string id, cell;
      std::getline(fields, id, ',');
      while (std::getline(fields, cell, ',')) cells.push_back(std::stod(cell));
      out[id] = cells;
    }
    return std::make_pair(nlohmann::json::parse(r.out), out);
  };
  const auto [ea, ra] = rows("--run " + Q(runs[0]), "bag_a.csv");
  const auto [eb, rb] = rows("--run " + Q(runs[1]), "bag_b.csv");
  const auto [eab, rab] = rows("--run " + Q(runs[0]) + " --run " + Q(runs[1]), "bag_ab.csv");
  ASSERT_EQ(rab.size(), split0["test"].size());
  EXPECT_EQ(eab["members"].size(), 2u);
  int correct = 0;
  for (const auto& [id, cells] : rab) {
    ASSERT_EQ(cells.size(), 8u);
    for (int k = 4; k < 8; ++k) EXPECT_NEAR(cells[k], (ra.at(id)[k] + rb.at(id)[k]) / 2, 2e-6) << id;
    const auto argmax = [](auto from, auto to) { return std::max_element(from, to) - from; };
    correct += argmax(cells.begin(), cells.begin() + 4) == argmax(cells.begin() + 4, cells.end());
  }
  EXPECT_NEAR(eab["metrics"]["accuracy"].get<double>(), static_cast<double>(correct) / rab.size(), 1e-9);
  auto moved = ReadJson(runs[1] / "split.json");
  fs::copy(runs[1], *dir_ / "bag_moved", fs::copy_options::recursive);
  moved["test"].erase(moved["test"].begin());
  test::WriteBytes(*dir_ / "bag_moved/split.json", moved.dump());
  const auto other = RunMer("eval --run " + Q(runs[0]) + " --run " + Q(*dir_ / "bag_moved"));
  EXPECT_EQ(other.exit_code, 2) << other.err;
  EXPECT_NE(other.err.find("bag_moved and --run " + runs[0].string() + " hold out different test items"),
            std::string::npos)
      << other.err;
  // A member with another frontend, or with other outputs, is refused in one line naming it.
  fs::copy(runs[1], *dir_ / "bag_other", fs::copy_options::recursive);
  auto config = ReadJson(*dir_ / "bag_other/config.json");
  config["frontend"]["n_mels"] = 64;
  test::WriteBytes(*dir_ / "bag_other/config.json", config.dump());
  const auto bad = RunMer("predict --run " + Q(runs[0]) + " --run " + Q(*dir_ / "bag_other") + " " + Q(clip));
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("bag_other reads other inputs than --run"), std::string::npos) << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  // eval refuses a member that predicts other outputs (the same clips' AllMusic moods as tags), in one line.
  nlohmann::json tags = changes;
  tags["data"]["labels"] = "moods";
  tags["data"]["min_mood_songs"] = 1;
  tags["train"]["epochs"] = 1;
  tags["train"].erase("monitor");
  const auto t = RunMer("train --config " + Q(Config("bag_tags", tags)) + " --out " + Q(*dir_ / "bag_tags"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto mixed = RunMer("eval --run " + Q(runs[0]) + " --run " + Q(*dir_ / "bag_tags"));
  EXPECT_EQ(mixed.exit_code, 2) << mixed.err;
  EXPECT_NE(mixed.err.find("bag_tags and --run " + runs[0].string() + " predict different outputs"), std::string::npos)
      << mixed.err;
  EXPECT_EQ(std::count(mixed.err.begin(), mixed.err.end(), '\n'), 1) << mixed.err;
}

TEST_F(ClassesTest, ClipsThatFailToDecodeAreLeftOutAndCounted) {
  // A copy of the corpus with two clips replaced by garbage.
  const fs::path root = *dir_ / "damaged";
  fs::copy(*dir_ / "fourq", root, fs::copy_options::recursive);
  int damaged = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() == ".mp3" && damaged < 2) {
      test::WriteBytes(entry.path(), "this is not audio");
      ++damaged;
    }
  }
  nlohmann::json changes = kFourQ;
  changes["data"]["root"] = root.string();
  changes["train"]["epochs"] = 1;
  const auto r = RunMer("train --config " + Q(Config("damaged", changes)) + " --out " + Q(*dir_ / "damaged_run"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("(2 that failed to decode left out)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mer train: left out MT"), std::string::npos) << r.err;
  const auto split = ReadJson(*dir_ / "damaged_run/split.json");
  EXPECT_EQ(split["train"].size() + split["val"].size() + split["test"].size(), 178u);  // 180 with audio - 2
}

TEST_F(ClassesTest, UserCsvTableWithClassesAndItsOwnSplit) {
  const nlohmann::json changes = {
      {"data", {{"dataset", "csv"}, {"root", (*dir_ / "user").string()}, {"annotations", "clips.csv"},
                {"audio_column", "path"}, {"labels", "classes"}, {"label_columns", {"mood"}},
                {"group_column", "artist"}, {"split_column", "part"}}},
      {"model", {{"input_frames", 100}}},
      {"train", {{"epochs", 2}}}};
  const fs::path run = *dir_ / "user_run";
  const auto r = RunMer("train --config " + Q(test::WriteDemoConfig(dir_->path(), "user", *dir_ / "user", changes.dump())) +
                        " --out " + Q(run));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto split = ReadJson(run / "split.json");
  EXPECT_EQ(split["method"], "official");
  EXPECT_EQ(split["test"].size(), 6u);  // every tenth row
  EXPECT_EQ(split["val"].size(), 6u);
  for (const auto& id : split["test"]) EXPECT_NE(id.get<std::string>().find("audio/"), std::string::npos);
  const auto metrics = ReadJson(run / "metrics.json");
  EXPECT_EQ(metrics["task"], "classes");
  EXPECT_EQ(metrics["test"]["classes"].size(), ReadJson(run / "labels.json")["task"]["outputs"].size());

  // A declared column the table lacks: exit 2, before any audio, listing the columns the table has.
  nlohmann::json bad = changes;
  bad["data"]["label_columns"] = {"emotion"};
  const auto b = RunMer("train --config " + Q(test::WriteDemoConfig(dir_->path(), "bad", *dir_ / "user", bad.dump())) +
                        " --out " + Q(*dir_ / "bad_run"));
  EXPECT_EQ(b.exit_code, 2) << b.err;
  EXPECT_NE(b.err.find("has no column 'emotion' (its columns: path, artist, valence, arousal, mood, tags, part)"),
            std::string::npos)
      << b.err;
  EXPECT_EQ(std::count(b.err.begin(), b.err.end(), '\n'), 1) << b.err;
  // A task that does not fit the labels.
  bad = changes;
  bad["model"]["task"] = "regression";
  const auto t = RunMer("train --config " + Q(test::WriteDemoConfig(dir_->path(), "bad2", *dir_ / "user", bad.dump())) +
                        " --out " + Q(*dir_ / "bad_run2"));
  EXPECT_EQ(t.exit_code, 2) << t.err;
  EXPECT_NE(t.err.find("this dataset has classes, not valence/arousal (use \"classes\")"), std::string::npos) << t.err;
}

TEST_F(ClassesTest, RealFourQClipsThroughASplitFile) {
  MER_REQUIRE_SHARED(annotations, "datasets/4Q/panda_dataset_taffc_annotations.csv");
  const fs::path root = annotations.parent_path();
  // A small slice of the real clips: the first 12 with audio per quadrant, 8 train / 2 val / 2 test each.
  std::ifstream in(annotations);
  std::string line, rows = "id,part\n";
  std::map<std::string, int> taken;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const std::string id = line.substr(0, line.find(',')), q = line.substr(line.find(',') + 1, 2);
    if (!fs::exists(root / q / (id + ".opus")) && !fs::exists(root / q / (id + ".mp3"))) continue;
    const int k = taken[q]++;
    if (k >= 12) continue;
    rows += id + "," + (k < 8 ? "train" : k < 10 ? "val" : "test") + "\n";
  }
  test::WriteBytes(*dir_ / "slice.csv", rows);
  const nlohmann::json changes = {
      {"data", {{"dataset", "fourq"}, {"root", root.string()}, {"split_file", (*dir_ / "slice.csv").string()}}},
      {"frontend", {{"n_mels", 64}}},
      {"model", {{"name", "clip_stats"}, {"input_frames", 215}, {"dropout", 0.3}}},
      {"train", {{"epochs", 3}, {"monitor", "f1_macro"}}}};
  const fs::path run = *dir_ / "real_run";
  const auto r = RunMer("train --config " + Q(Config("real", changes)) + " --out " + Q(run));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("32 train / 8 val / 8 test items"), std::string::npos) << r.err;
  const auto split = ReadJson(run / "split.json");
  EXPECT_EQ(split["method"], "file");
  EXPECT_EQ(ReadJson(run / "metrics.json")["test"]["confusion"].size(), 4u);
  fs::path clip;
  for (const char* q : {"Q1", "Q2", "Q3", "Q4"}) {
    for (const char* ext : {".opus", ".mp3"}) {
      const fs::path candidate = root / q / (split["test"][0].get<std::string>() + ext);
      if (fs::exists(candidate)) clip = candidate;
    }
  }
  const auto p = RunMer("predict --run " + Q(run) + " " + Q(clip));
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find(": class Q"), std::string::npos) << p.out;
}

}  // namespace
}  // namespace mer
