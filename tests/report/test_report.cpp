// Reports and pictures: SVG charts are well-formed and put points where the data says; runs are grouped and
// summarised (mean, sample sd) with the papers' numbers beside them; `mer report`, `mer eval --plots`,
// `mer predict --plot` and scripts/sweep.sh (resumable) from the CLI.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mer/core/error.h"
#include "mer/report/report.h"
#include "mer/report/svg.h"
#include "support/test_support.h"

namespace mer {
namespace {

namespace fs = std::filesystem;
using test::RunMer;

using test::Q;

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Well-formed enough for a browser: one root element, balanced <svg>, no NaN coordinates.
void ExpectSvg(const std::string& svg) {
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << svg.substr(0, 80);
  EXPECT_EQ(Count(svg, "<svg"), 1);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(Svg, NiceTicksCoverTheRange) {
  const auto t = report::NiceTicks(0.13, 0.87);
  EXPECT_LE(t.front(), 0.13);
  EXPECT_GE(t.back(), 0.87);
  EXPECT_NEAR(t[1] - t[0], 0.2, 1e-12);
  EXPECT_EQ(report::NiceTicks(-3, 47).size(), 7u);  // -10, 0, ..., 50
}

TEST(Svg, ChartsDrawEveryPointAndEscapeText) {
  report::ChartOptions o;
  o.title = "a < b & c";
  const report::Series s{"valence", {1, 2, 3}, {0.5, 0.7, 0.6}, {}};
  const std::string line = report::LineChart({s}, o);
  ExpectSvg(line);
  EXPECT_NE(line.find("a &lt; b &amp; c"), std::string::npos);
  EXPECT_EQ(Count(line, "<polyline"), 1);
  // Three points in the polyline, increasing x.
  const std::regex points("points=\"([^\"]*)\"");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(line, m, points));
  EXPECT_EQ(Count(m[1].str(), ","), 3);
  o.diagonal = true;
  const std::string scatter = report::ScatterChart({s, {"arousal", {1, 2}, {2, 1}, {}}}, o);
  ExpectSvg(scatter);
  EXPECT_EQ(Count(scatter, "<circle"), 5);
  EXPECT_NE(scatter.find("stroke-dasharray"), std::string::npos);  // the y = x line
  const std::string bars = report::BarChart({"x", "y"}, {{"mer", {}, {0.8, -0.2}, {0.05, 0.1}}}, o);
  ExpectSvg(bars);
  EXPECT_EQ(Count(bars, "<rect x="), 2 + 1 + 1);  // two bars, the frame, one legend swatch
  // NaN values are left out rather than drawn.
  ExpectSvg(report::LineChart({{"gap", {1, 2, 3}, {1, NAN, 3}, {}}}, o));
}

TEST(Report, GroupsRunsIntoMeanAndSampleSd) {
  test::TempDir dir;
  const auto make = [&](const std::string& name, const std::string& model, int seed, double r2, const char* group) {
    fs::create_directories(dir / name);
    std::ofstream(dir / name / "config.json") << nlohmann::json(
        {{"model", {{"name", model}}}, {"data", {{"dataset", "emomusic"}, {"split", "ratio"}}}, {"train", {{"seed", seed}}}});
    std::ofstream(dir / name / "metrics.json") << nlohmann::json(
        {{"task", "regression"}, {"test", {{"r2", r2}, {"valence", {{"r2", r2 - 0.1}}}, {"confusion", {1, 2}}}}});
    if (group) std::ofstream(dir / name / "sweep.json") << nlohmann::json({{"group", group}});
  };
  make("a/seed1", "quan_cnn", 1, 0.6, nullptr);
  make("a/seed2", "quan_cnn", 2, 0.8, nullptr);
  make("b/seed1", "adff", 1, 0.7, "adff+lr");
  fs::create_directories(dir / "broken");
  std::ofstream(dir / "broken" / "metrics.json") << "{";
  // A run's identity is read with the config's field declarations: a key of the wrong type skips the run; a k-fold
  // run has its fold (its data root need not exist here).
  make("typo/seed1", "quan_cnn", 1, 0.5, nullptr);
  std::ofstream(dir / "typo/seed1/config.json") << R"({"model": {"name": "quan_cnn"}, "train": {"seed": "one"}})";
  make("k/fold3", "quan_cnn", 1, 0.5, "kfold");
  std::ofstream(dir / "k/fold3/config.json")
      << R"({"model": {"name": "quan_cnn"}, "data": {"dataset": "fourq", "root": "/nowhere", "split": "kfold",)"
      << R"( "folds": 10, "fold": 3}, "train": {"seed": 7}})";
  auto runs = report::CollectRuns(dir.path());
  ASSERT_EQ(runs.size(), 4u);
  const auto kfold = std::find_if(runs.begin(), runs.end(), [](const report::RunRecord& r) { return r.group == "kfold"; });
  ASSERT_NE(kfold, runs.end());
  EXPECT_EQ(kfold->fold, 3);
  EXPECT_EQ(kfold->seed, 7u);
  EXPECT_EQ(kfold->dataset, "fourq");
  fs::remove_all(dir / "k");
  runs = report::CollectRuns(dir.path());
  ASSERT_EQ(runs.size(), 3u);
  // A published number is paired with a group only when the file declares their protocols the same (issue 30):
  // the same model, dataset and metric are not enough.
  std::vector<report::PaperResult> papers = {{"quan_cnn", "emomusic", "r2", 0.55, "Quan & Dong"}};
  const auto unpaired = report::Summarise(runs, papers);
  EXPECT_TRUE(std::none_of(unpaired.begin(), unpaired.end(), [](const report::SummaryRow& r) { return r.paper.has_value(); }));
  papers[0].same_protocol_as = {"quan_cnn emomusic"};
  const auto rows = report::Summarise(runs, papers);
  const auto r2 = std::find_if(rows.begin(), rows.end(), [](const report::SummaryRow& r) {
    return r.group == "quan_cnn emomusic" && r.metric == "r2";
  });
  ASSERT_NE(r2, rows.end());
  EXPECT_NEAR(r2->mean, 0.7, 1e-12);
  EXPECT_NEAR(r2->std, std::sqrt(0.02), 1e-12);  // sample sd of 0.6, 0.8
  EXPECT_EQ(r2->runs, 2);
  ASSERT_TRUE(r2->paper.has_value());
  EXPECT_EQ(*r2->paper, 0.55);
  EXPECT_TRUE(std::any_of(rows.begin(), rows.end(), [](const report::SummaryRow& r) { return r.group == "adff+lr"; }));
  EXPECT_FALSE(std::any_of(rows.begin(), rows.end(), [](const report::SummaryRow& r) { return r.metric.find("confusion") != std::string::npos; }));
  const std::string md = report::SummaryMarkdown(rows);
  EXPECT_NE(md.find("| quan_cnn emomusic | emomusic | regression | r2 | 0.700 ± 0.141 | 2 | 0.550 | Quan & Dong |"), std::string::npos) << md;
  const auto files = report::WriteReport(rows, dir / "out");
  EXPECT_TRUE(fs::exists(dir / "out/summary.csv"));
  EXPECT_TRUE(fs::exists(dir / "out/bars_r2.svg"));
  ExpectSvg(test::ReadBytes(dir / "out/bars_valence.r2.svg"));
  EXPECT_THROW(report::CollectRuns(dir / "nowhere"), InputError);
}

TEST(Report, ThePaperResultsFileLoadsAndNamesItsSources) {
  const auto papers = report::LoadPaperResults(test::TestData("../docs/paper_results.json"));
  EXPECT_GE(papers.size(), 100u);
  for (const auto& p : papers) {
    EXPECT_FALSE(p.source.empty()) << p.model << " " << p.metric;
    EXPECT_TRUE(p.value.has_value()) << p.model << " " << p.metric;  // rows without a published number are dropped
    EXPECT_FALSE(p.protocol.empty()) << p.model << " " << p.metric;
  }
  const auto on_4q = [&](double value) {
    return std::any_of(papers.begin(), papers.end(), [&](const report::PaperResult& p) {
      return p.dataset == "fourq" && p.model == "*" && p.metric == "f1_macro" && p.value && std::abs(*p.value - value) < 1e-12;
    });
  };
  EXPECT_TRUE(on_4q(0.764));  // Panda et al. 2018
  EXPECT_TRUE(on_4q(0.802));  // Louro et al. 2024
}

TEST(Report, PaperResultsEqualTheSharedReferenceRows) {
  MER_REQUIRE_SHARED(reference, "reference/paper_results.json");
  const auto shared = test::ReadJson(reference);
  const auto ours = test::ReadJson(test::TestData("../docs/paper_results.json"));
  ASSERT_EQ(ours["results"].size() + ours["left_out"].size(), shared.size() + 2);  // + the two 4Q rows
  for (const auto& r : ours["results"]) {
    if (r["dataset"] == "fourq") continue;
    const bool found = std::any_of(shared.begin(), shared.end(), [&](const nlohmann::json& s) {
      const double v = s["value"].get<double>(), scale = s["metric"].get<std::string>().find("x100") != std::string::npos ? 0.01 : 1.0;
      return s["paper"] == r["paper"] && s["model"] == r["paper_model"] && s["source"] == r["source"] &&
             std::abs(v * scale - r["value"].get<double>()) < 1e-9;
    });
    EXPECT_TRUE(found) << r.dump();
  }
}

// A summary row of one group's metric.
report::SummaryRow Row(const std::string& group, const std::string& model, const std::string& dataset,
                       const std::string& task, const std::string& metric) {
  report::SummaryRow row;
  row.group = group;
  row.model = model;
  row.dataset = dataset;
  row.task = task;
  row.metric = metric;
  row.runs = 1;
  return row;
}

TEST(Report, PublishedNumbersOnTheRunsDatasets) {
  const report::SummaryRow run = Row("quan_cnn_4q", "quan_cnn", "fourq", "classes", "f1_macro");
  std::vector<report::PaperResult> papers(4);
  papers[0] = {"*", "fourq", "f1_macro", 0.764, "doi", "Panda et al. 2018", "SVM", "20 x 10-fold CV", "dataset paper"};
  papers[1] = {"*", "pmemo", "f1_macro", 0.6, "x", "", "", "", ""};        // another dataset
  papers[2] = {"*", "fourq", "valence.r2", 0.5, "x", "", "", "", ""};       // not a metric of the task
  papers[3] = {"quan_cnn", "deezer+fourq", "accuracy", 0.9, "y", "", "", "", ""};  // pooled: counts for fourq
  papers[0].caution = "implausible";
  const std::string md = report::PublishedMarkdown({run}, papers);
  EXPECT_NE(md.find("| fourq | f1_macro | 0.764 | SVM | Panda et al. 2018 (dataset paper) | 20 x 10-fold CV | doi | implausible |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("shown apart from mer's numbers"), std::string::npos) << md;
  EXPECT_NE(md.find("| fourq | accuracy | 0.900 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("0.600"), std::string::npos) << md;
  EXPECT_EQ(md.find("0.500"), std::string::npos) << md;
  EXPECT_TRUE(report::PublishedMarkdown({run}, {}).empty());
}

// Issue 32, item 10: group names are folder names anyone may choose. summary.csv follows RFC 4180 (quotes doubled
// inside a quoted field) and defuses formulas; summary.md escapes |, raw HTML and line breaks.
TEST(Report, SummaryFilesEscapeWhatAFolderNameCanHold) {
  const report::SummaryRow row = Row("say \"hi\", <b>bold</b> | x\nnext", "quan_cnn", "emomusic", "regression", "r2");
  report::SummaryRow formula = row;
  formula.group = "=HYPERLINK(\"http://x\")";
  const std::string csv = report::SummaryCsv({row, formula});
  EXPECT_NE(csv.find("\n\"say \"\"hi\"\", <b>bold</b> | x\nnext\",quan_cnn,emomusic,regression,r2,"), std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\n\"'=HYPERLINK(\"\"http://x\"\")\",quan_cnn,"), std::string::npos) << csv;
  const std::string md = report::SummaryMarkdown({row});
  EXPECT_NE(md.find("| say \"hi\", &lt;b&gt;bold&lt;/b&gt; \\| x next | emomusic | regression | r2 |"), std::string::npos)
      << md;
  EXPECT_EQ(md.find("<b>"), std::string::npos) << md;
}

// Issue 32, minor: a bad line of train_log.jsonl is named by its line number (eval --plots read it without one).
TEST(Report, TrainLogLinesAreCheckedWithTheirNumbers) {
  const report::TrainingCurves c = report::ParseTrainLog(
      "{\"epoch\": 1, \"train_loss\": 0.5, \"monitor\": \"r2\", \"monitor_value\": 0.1}\n{\"epoch\": 2, \"train_loss\": 0.4}\n",
      "log");
  EXPECT_EQ(c.loss.y, (std::vector<double>{0.5, 0.4}));
  EXPECT_EQ(c.monitor.x, (std::vector<double>{1}));
  EXPECT_EQ(c.monitor_name, "validation r2");
  try {
    report::ParseTrainLog("{\"epoch\": 1, \"train_loss\": 0.5}\n{\"epoch\": \"two\"}\n", "RUN/train_log.jsonl");
    ADD_FAILURE() << "accepted a bad line";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("RUN/train_log.jsonl:2: not a training log entry"), std::string::npos) << e.what();
  }
}

// Issue 30: docs/papers.md names only configs that exist (brace lists such as `emb_cl_{deam,pmemo}.json` expanded)
// and the config values it quotes are the configs' values: a config changed without its page fails here.
TEST(PapersMd, NamesConfigsThatExistAndQuotesTheirValues) {
  const std::string md = test::ReadBytes(test::TestData("../docs/papers.md"));
  const fs::path configs = test::TestData("../configs");
  // Every `...json` name in backticks, braces expanded ("a{,_b}_{x,y}.json" -> a_x, a_y, a_b_x, a_b_y).
  const std::function<std::vector<std::string>(const std::string&)> expand = [&](const std::string& name) {
    const auto open = name.find('{');
    if (open == std::string::npos) return std::vector<std::string>{name};
    const auto close = name.find('}', open);
    std::vector<std::string> out;
    std::stringstream options(name.substr(open + 1, close - open - 1));
    for (std::string option; std::getline(options, option, ',');) {
      for (const auto& rest : expand(name.substr(close + 1))) out.push_back(name.substr(0, open) + option + rest);
    }
    if (name[close - 1] == ',') {
      for (const auto& rest : expand(name.substr(close + 1))) out.push_back(name.substr(0, open) + rest);
    }
    return out;
  };
  std::size_t named = 0;
  const std::regex config_name("`(?:configs/)?([a-z0-9_{},]+\\.json)`");
  for (auto it = std::sregex_iterator(md.begin(), md.end(), config_name); it != std::sregex_iterator(); ++it) {
    for (const auto& file : expand((*it)[1].str())) {
      if (file.find("_cases.json") != std::string::npos) continue;  // the authors' reference cases, not configs
      EXPECT_TRUE(fs::exists(configs / file)) << file << " (from " << (*it)[0].str() << ")";
      ++named;
    }
  }
  EXPECT_GE(named, 20u);
  // Values the page quotes, with the text that quotes them.
  struct Quote {
    const char* config;
    const char* pointer;
    nlohmann::json value;
    const char* text;
  };
  const std::vector<Quote> quotes = {
      {"emb_cl_deam_authors.json", "/train/keep", "last", "`train.keep: last`"},
      {"emb_cl_pmemo_authors.json", "/train/keep", "last", "`train.keep: last`"},
      {"emb_cl_deam_authors.json", "/train/retrieval_rows", "song", "`train.retrieval_rows: song`"},
      {"emb_cl_pmemo_authors.json", "/train/retrieval_rows", "song", "`train.retrieval_rows: song`"},
      {"emb_cl_deam_authors.json", "/data/stratify", false, "`data.stratify: false`"},
      {"emb_cl_pmemo_authors.json", "/data/stratify", false, "`data.stratify: false`"},
      {"emb_cl_deam_authors.json", "/model/dropout", 0, "`model.dropout: 0`"},
      {"emb_cl_deam_authors.json", "/model/embedding_dim", 1024, "`_authors`: 1024"},
      {"emb_cl_deam_authors.json", "/train/lr", 1e-5, "Adam, lr 1e-5, batch 512, 10,001 epochs"},
      {"emb_cl_deam_authors.json", "/train/batch_size", 512, "Adam, lr 1e-5, batch 512, 10,001 epochs"},
      {"liu_cnn_cal500.json", "/model/input_frames", 431, "windows of 431 frames"},
      {"liu_cnn_cal500exp.json", "/model/input_frames", 129, "CAL500exp: 129 frames"},
      {"liu_cnn_cal500exp.json", "/train/batch_size", 32, "batch 16 (CAL500) / 32 (CAL500exp)"},
      {"liu_cnn_cal500.json", "/train/batch_size", 16, "batch 16 (CAL500) / 32 (CAL500exp)"},
      {"quan_cnn_pooled.json", "/model/input_frames", 1292, "1292 frames at 44.1 kHz"},
      {"quan_cnn_pooled.json", "/frontend/sample_rate", 44100, "1292 frames at 44.1 kHz"},
      {"quan_cnn_pooled.json", "/train/epochs", 100, "100 epochs, `patience: 0`"},
      {"adff_deam_paper.json", "/data/va_columns", "as_named", "(`va_columns: \"as_named\"`)"},
      {"adff_pmemo_paper.json", "/model/filters", 64, "(`model.filters: 64`)"},
      {"raw_cnn_quadrants_pmemo.json", "/train/patience", 15, "early stopping (patience 15)"},
  };
  for (const Quote& q : quotes) {
    SCOPED_TRACE(std::string(q.config) + q.pointer);
    EXPECT_NE(md.find(q.text), std::string::npos) << q.text;
    const nlohmann::json config = test::ReadJson(configs / q.config);
    const nlohmann::json::json_pointer pointer(q.pointer);
    ASSERT_TRUE(config.contains(pointer));
    EXPECT_EQ(config.at(pointer), q.value);
  }
}

class ReportCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const auto r = RunMer("data synth --dataset emomusic --out " + Q(*dir_ / "emo") + " --songs 40 --seconds 20 --seed 3");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static test::TempDir* dir_;
};
test::TempDir* ReportCli::dir_ = nullptr;

TEST_F(ReportCli, EvalPlotsAndPredictPlot) {
  const fs::path run = *dir_ / "run";
  auto r = RunMer("train --config " + Q(test::TestData("../configs/demo.json")) + " --set data.root=" + Q(*dir_ / "emo") +
                  " --set data.cache_dir=" + Q(*dir_ / "cache") + " --set train.epochs=3 --out " + Q(run));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunMer("eval --run " + Q(run) + " --plots " + Q(*dir_ / "plots"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"loss.svg", "validation.svg", "scatter.svg", "predictions.csv"}) {
    ASSERT_TRUE(fs::exists(*dir_ / "plots" / f)) << f;
  }
  const std::string scatter = test::ReadBytes(*dir_ / "plots/scatter.svg");
  ExpectSvg(scatter);
  const std::string csv = test::ReadBytes(*dir_ / "plots/predictions.csv");
  const int rows = static_cast<int>(std::count(csv.begin(), csv.end(), '\n')) - 1;
  EXPECT_EQ(Count(scatter, "<circle"), 2 * rows);  // valence and arousal of every test song
  const std::string loss = test::ReadBytes(*dir_ / "plots/loss.svg");
  ExpectSvg(loss);
  std::smatch points;
  ASSERT_TRUE(std::regex_search(loss, points, std::regex("points=\"([^\"]*)\"")));
  EXPECT_EQ(Count(points[1].str(), ","), 3);  // one point per epoch
  const fs::path song = *dir_ / "emo/clips_45seconds" / fs::directory_iterator(*dir_ / "emo/clips_45seconds")->path().filename();
  r = RunMer("predict --run " + Q(run) + " --plot " + Q(*dir_ / "curve.svg") + " " + Q(song));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string curve = test::ReadBytes(*dir_ / "curve.svg");
  ExpectSvg(curve);
  EXPECT_EQ(Count(curve, "<polyline"), 2);
  EXPECT_NE(curve.find(">valence<"), std::string::npos);
  EXPECT_NE(curve.find("seconds"), std::string::npos);
  r = RunMer("predict --run " + Q(run) + " --plot " + Q(*dir_ / "many.svg") + " " + Q(song) + " " + Q(song));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(*dir_ / "many-1.svg"));
  EXPECT_TRUE(fs::exists(*dir_ / "many-2.svg"));
  // Issue 32, minor: --plot on a device with several songs is refused (it made /dev/null-1, -2); a plot that cannot
  // be written (its folder is a file) fails that song, whose result is still printed.
  r = RunMer("predict --run " + Q(run) + " --plot /dev/null " + Q(song) + " " + Q(song));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--plot /dev/null is not a regular file"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists("/dev/null-1"));
  test::WriteBytes(*dir_ / "not_a_folder", "x");
  r = RunMer("predict --run " + Q(run) + " --plot " + Q(*dir_ / "not_a_folder/curve.svg") + " " + Q(song));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("valence"), std::string::npos) << r.out;
}

TEST_F(ReportCli, SweepRunsTheGridResumesAndReports) {
  const fs::path runs = *dir_ / "sweep";
  const std::string sweep = "bash " + Q(test::TestData("../scripts/sweep.sh")) + " --seeds '1 2' --grid train.lr=0.002,0.004" +
                            " --set train.epochs=2 --data emomusic=" + Q(*dir_ / "emo") + " --out " + Q(runs) + " 2>&1";
  const auto run = [](const std::string& command) {
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    char buffer[4096];
    while (pipe && fgets(buffer, sizeof(buffer), pipe)) out += buffer;
    const int status = pipe ? pclose(pipe) : -1;
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
  };
  auto [code, out] = run("MER_BUILD_DIR=" + Q(fs::path(MER_BINARY).parent_path()) + " " + sweep);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("4 runs (0 already done, 4 trained, 0 resumed, 0 failed)"), std::string::npos) << out;
  for (const char* r : {"demo+train.lr-0.002/seed1", "demo+train.lr-0.004/seed2"}) {
    EXPECT_TRUE(fs::exists(runs / r / "metrics.json")) << r;
    EXPECT_TRUE(fs::exists(runs / r / "eval.json")) << r;
  }
  const std::string summary = test::ReadBytes(runs / "report/summary.md");
  EXPECT_NE(summary.find("| demo+train.lr-0.002 | emomusic | regression | valence.r2 |"), std::string::npos) << summary;
  EXPECT_NE(summary.find("| 2 |"), std::string::npos) << summary;  // two seeds per group
  // A finished sweep is skipped; an interrupted run (checkpoint, no metrics) is resumed.
  fs::remove(runs / "demo+train.lr-0.004/seed1/metrics.json");
  std::tie(code, out) = run("MER_BUILD_DIR=" + Q(fs::path(MER_BINARY).parent_path()) + " " + sweep);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("4 runs (3 already done, 0 trained, 1 resumed, 0 failed)"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(runs / "demo+train.lr-0.004/seed1/metrics.json"));
  // mer report on its own.
  const auto r = RunMer("report " + Q(runs) + " --out " + Q(*dir_ / "report2"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(*dir_ / "report2/bars_valence.r2.svg"));
  EXPECT_EQ(RunMer("report " + Q(*dir_ / "nothing")).exit_code, 1);
}

}  // namespace
}  // namespace mer
