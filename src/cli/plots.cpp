#include "plots.h"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "mer/core/error.h"
#include "mer/core/file_io.h"
#include "mer/data/csv.h"
#include "mer/report/report.h"
#include "mer/report/svg.h"
#include "mer/train/run_folder.h"

namespace mer::cli {

namespace fs = std::filesystem;

namespace {

// loss.svg and validation.svg from the run's train_log.jsonl (nothing when the run has no log).
void WriteTrainingCurves(const fs::path& run_dir, const fs::path& out_dir, std::vector<fs::path>* written) {
  const fs::path log_path = train::RunFolder(run_dir).LogFile();
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(log_path, ec))) return;
  // Read by the input policy (a regular file of bounded size; a FIFO cannot hang it), every line checked.
  const report::TrainingCurves curves = report::ParseTrainLog(ReadFile(log_path), log_path.string());
  report::Series loss = curves.loss, monitor = curves.monitor;
  const std::string monitor_name = curves.monitor_name;
  report::ChartOptions o;
  o.title = "Training loss";
  o.x_label = "epoch";
  o.y_label = "loss";
  written->push_back(out_dir / "loss.svg");
  WriteFileAtomically(written->back(), report::LineChart({loss}, o));
  o.title = monitor_name + " per epoch";
  o.y_label = monitor_name;
  monitor.name = monitor_name;
  written->push_back(out_dir / "validation.svg");
  WriteFileAtomically(written->back(), report::LineChart({monitor}, o));
}

// confusion.svg of a classification split's metrics.
fs::path WriteConfusion(const nlohmann::json& metrics, const fs::path& out_dir) {
  const auto classes = metrics["classes"].get<std::vector<std::string>>();
  const auto counts = metrics["confusion"].get<std::vector<std::vector<double>>>();
  report::ChartOptions o;
  std::size_t total = 0;
  for (const auto& row : counts) for (double v : row) total += static_cast<std::size_t>(v);
  o.title = "Confusion matrix (" + std::to_string(total) + " items; accuracy " +
            std::to_string(metrics.value("accuracy", 0.0)).substr(0, 5) + ", macro F1 " +
            std::to_string(metrics.value("f1_macro", 0.0)).substr(0, 5) + ")";
  o.width = 560;
  o.height = 520;
  const fs::path path = out_dir / "confusion.svg";
  WriteFileAtomically(path, report::ConfusionChart(classes, counts, o));
  return path;
}

// scatter.svg of predicted against true valence/arousal from the predictions CSV (nothing for other outputs).
void WriteScatter(const fs::path& predictions_csv, const fs::path& out_dir, std::vector<fs::path>* written) {
  const data::CsvTable table = data::ReadCsv(predictions_csv);
  std::vector<report::Series> series;
  for (const auto& column : table.header) {
    if (column.rfind("pred_", 0) != 0) continue;
    const std::string name = column.substr(5);
    if (name != "valence" && name != "arousal") continue;
    const auto truth = table.FindColumn("true_" + name);
    if (!truth) continue;
    const std::size_t pred = table.Column(column);
    report::Series s{name, {}, {}, {}};
    for (const auto& row : table.rows) {
      s.x.push_back(table.Number(row, *truth));
      s.y.push_back(table.Number(row, pred));
    }
    series.push_back(std::move(s));
  }
  if (series.empty()) return;
  report::ChartOptions o;
  o.title = "Predicted vs true (" + std::to_string(table.rows.size()) + " rows)";
  o.x_label = "true";
  o.y_label = "predicted";
  o.diagonal = true;
  o.width = 620;
  o.height = 520;
  written->push_back(out_dir / "scatter.svg");
  WriteFileAtomically(written->back(), report::ScatterChart(series, o));
}

}  // namespace

std::vector<fs::path> WriteEvalPlots(const fs::path& run_dir, const fs::path& predictions_csv, const fs::path& out_dir,
                                     const nlohmann::json& metrics) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw OutputError(out_dir.string() + ": cannot create (" + ec.message() + ")");
  std::vector<fs::path> written;
  WriteTrainingCurves(run_dir, out_dir, &written);
  if (metrics.contains("confusion") && metrics.contains("classes")) {
    written.push_back(WriteConfusion(metrics, out_dir));
  } else {
    WriteScatter(predictions_csv, out_dir, &written);
  }
  return written;
}

void WriteEmotionCurve(const train::TrackPrediction& p, const fs::path& path) {
  // Valence and arousal when present; otherwise the four outputs with the largest track-level values.
  std::vector<std::size_t> shown;
  for (std::size_t k = 0; k < p.names.size(); ++k) {
    if (p.names[k] == "valence" || p.names[k] == "arousal") shown.push_back(k);
  }
  if (shown.empty()) {
    std::vector<std::size_t> order(p.names.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p.track[a] > p.track[b]; });
    shown.assign(order.begin(), order.begin() + static_cast<long>(std::min<std::size_t>(4, order.size())));
  }
  std::vector<report::Series> series;
  for (std::size_t k : shown) {
    report::Series s{p.names[k], p.times, {}, {}};
    for (const auto& row : p.curve) s.y.push_back(row[k]);
    series.push_back(std::move(s));
  }
  report::ChartOptions o;
  o.title = p.file.filename().string();
  o.x_label = "seconds (window centre)";
  o.y_label = shown.size() == 2 && p.names[shown[0]] == "valence" ? "valence / arousal" : "value";
  WriteFileAtomically(path, report::LineChart(series, o));
}

}  // namespace mer::cli
