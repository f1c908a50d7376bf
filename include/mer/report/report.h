// `mer report`: every run under a folder (a folder with metrics.json and config.json) summarised per group as
// mean +- standard deviation across its seeds and folds, next to the papers' published numbers where given.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mer/report/svg.h"

namespace mer::report {

struct RunRecord {
  std::filesystem::path dir;
  std::string group;  // RUN/sweep.json "group" when a sweep wrote one, else "<model> <dataset>"
  std::string model, dataset, task;
  uint64_t seed = 0;
  int fold = -1;                          // -1: not a k-fold run
  std::map<std::string, double> metrics;  // test metrics, flattened with dots ("valence.r2", "retrieval....mrr")
};
// Runs found recursively under `runs_dir`; InputError for a folder that does not exist; runs whose files cannot be
// read are skipped with a warning on stderr.
std::vector<RunRecord> CollectRuns(const std::filesystem::path& runs_dir);

// A published number: `value` null when the paper's table has not been entered (shown as "–").
struct PaperResult {
  std::string model, dataset, metric;  // model: a mer model (its seed paper's number) or "*" (any method on the dataset)
  std::optional<double> value;
  std::string source;  // the paper, e.g. "Huang et al., Interspeech 2022, Table 2"
  std::string paper, paper_model, protocol, kind;  // optional: who, which method, how, "seed paper"/"later baseline"
  // The report groups (sweep groups or "model dataset") whose protocol the file declares the same as this number's
  // (split, task, input, label scale, model kept, what a row is): only those are paired with it. None is declared
  // today: every mer run differs from the papers' protocols in at least one of these (docs/papers.md).
  std::vector<std::string> same_protocol_as;
  std::string caution;  // shown beside the number wherever it is shown (e.g. an implausible value)
};
// {"results": [{"model", "dataset", "metric", "value", "source"[, "paper", "paper_model", "protocol", "kind"]}]};
// InputError naming the file when malformed.
std::vector<PaperResult> LoadPaperResults(const std::filesystem::path& path);

struct SummaryRow {
  std::string group, model, dataset, task, metric;
  double mean = 0, std = 0;  // std: sample standard deviation (n - 1), 0 for one run
  int runs = 0;
  std::optional<double> paper;
  std::string paper_source;
};
std::vector<SummaryRow> Summarise(const std::vector<RunRecord>& runs, const std::vector<PaperResult>& papers);

// The metrics shown in the Markdown table and the bar charts for a task (all of them go to summary.csv).
std::vector<std::string> HeadlineMetrics(const std::string& task);

std::string SummaryCsv(const std::vector<SummaryRow>& rows);
std::string SummaryMarkdown(const std::vector<SummaryRow>& rows);
// The published numbers on the datasets of `rows` (every paper row of such a dataset, `model` "*" included, whose
// metric is a headline metric there) as a Markdown table: dataset, metric, value, method, paper, protocol, source.
// Empty when there are none. A paper dataset "a+b" (pooled) counts for a and for b.
std::string PublishedMarkdown(const std::vector<SummaryRow>& rows, const std::vector<PaperResult>& papers);
// Writes summary.csv, summary.md and one bar chart per headline metric (bars_<metric>.svg) into `out_dir`;
// returns the files written.
// With papers, summary.md also holds PublishedMarkdown.
std::vector<std::filesystem::path> WriteReport(const std::vector<SummaryRow>& rows, const std::filesystem::path& out_dir,
                                               const std::vector<PaperResult>& papers = {});

// A run's train_log.jsonl as the training curves of `mer eval --plots`: the train loss per epoch and, where logged,
// the validation monitor's value (its name in *monitor_name). InputError naming the file and line when a line is not
// a log entry (not JSON, or without a numeric epoch and train_loss).
struct TrainingCurves {
  Series loss, monitor;
  std::string monitor_name = "validation metric";
};
TrainingCurves ParseTrainLog(const std::string& text, const std::string& source);

}  // namespace mer::report
