// mer report RUNS_DIR [--out DIR] [--papers FILE]
// Collects every run's metrics.json under RUNS_DIR into summary.csv, summary.md (mean +- sd across seeds and folds
// per group, with the papers' numbers beside ours where given) and one bar chart per headline metric.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "command.h"
#include "mer/core/error.h"
#include "mer/report/report.h"

namespace mer::cli {
namespace {

struct ReportArgs {
  std::string runs, out, papers;
};

int RunReport(const ReportArgs& a) {
  const std::vector<report::RunRecord> runs = report::CollectRuns(a.runs);
  if (runs.empty()) throw InputError(a.runs + ": no runs (folders with metrics.json and config.json)");
  const std::vector<report::PaperResult> papers =
      a.papers.empty() ? std::vector<report::PaperResult>{} : report::LoadPaperResults(a.papers);
  const auto rows = report::Summarise(runs, papers);
  const std::filesystem::path out = a.out.empty() ? std::filesystem::path(a.runs) / "report" : std::filesystem::path(a.out);
  const auto written = report::WriteReport(rows, out, papers);
  std::cout << report::SummaryMarkdown(rows) << report::PublishedMarkdown(rows, papers);
  std::cerr << "mer report: " << runs.size() << " runs; wrote " << written.size() << " files to " << out.string() << "\n";
  return kExitOk;
}

}  // namespace

Command AddReportCommand(CLI::App& parent) {
  auto a = std::make_shared<ReportArgs>();
  CLI::App* report = parent.add_subcommand("report", "Summarise the runs under a folder: CSV, Markdown and bar charts");
  report->add_option("runs", a->runs, "Folder holding run folders (searched recursively)")->required();
  report->add_option("--out", a->out, "Output folder (default RUNS/report)");
  report->add_option("--papers", a->papers, "Published numbers to show beside ours (e.g. docs/paper_results.json)");
  return {report, [a] { return RunReport(*a); }};
}

}  // namespace mer::cli
