#include "mer/core/task_kind.h"
#include "mer/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "mer/core/error.h"
#include "mer/core/file_io.h"
#include "mer/report/svg.h"
#include "mer/train/run_folder.h"

namespace mer::report {

namespace fs = std::filesystem;

namespace {

void Flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, double>* out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_number()) {
      (*out)[key] = it->get<double>();
    } else if (it->is_object()) {
      Flatten(*it, key, out);
    }  // arrays (the confusion matrix) are not summarised
  }
}

std::string Fixed(double v, int digits = 3) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.*f", digits, v);
  return buffer;
}

// A text field by RFC 4180 (quoted when it holds a comma, quote or line break; quotes doubled), and one that a
// spreadsheet would read as a formula (=, +, -, @, tab, CR first) prefixed with ' (OWASP's rule): group names come
// from folder names, which anyone may choose.
std::string CsvField(std::string s) {
  if (!s.empty() && std::string("=+-@\t\r").find(s[0]) != std::string::npos) s.insert(s.begin(), '\'');
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// A Markdown table cell: | escaped, < and > as entities (no raw HTML), line breaks as spaces, empty as "–".
std::string MarkdownCell(const std::string& s) {
  if (s.empty()) return "–";
  std::string cell;
  for (char c : s) {
    if (c == '|') cell += "\\|";
    else if (c == '<') cell += "&lt;";
    else if (c == '>') cell += "&gt;";
    else if (c == '\n' || c == '\r') cell += ' ';
    else cell += c;
  }
  return cell;
}

}  // namespace

std::vector<RunRecord> CollectRuns(const fs::path& runs_dir) {
  std::error_code ec;
  if (!fs::is_directory(runs_dir, ec)) throw InputError(runs_dir.string() + ": not a folder");
  std::vector<fs::path> dirs;
  for (auto it = fs::recursive_directory_iterator(runs_dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path() == train::RunFolder(it->path().parent_path()).MetricsFile()) {
      dirs.push_back(it->path().parent_path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  std::vector<RunRecord> runs;
  for (const auto& dir : dirs) {
    try {
      const train::RunFolder folder(dir);
      const nlohmann::json metrics = nlohmann::json::parse(ReadFile(folder.MetricsFile()));
      const train::RunIdentity id = folder.Identity();
      RunRecord r;
      r.dir = dir;
      r.model = id.model;
      r.dataset = id.dataset;
      r.task = metrics.value("task", "");
      r.seed = id.seed;
      if (id.fold) r.fold = *id.fold;
      r.group = r.model + " " + r.dataset;
      if (fs::exists(folder.SweepFile(), ec)) {
        r.group = nlohmann::json::parse(ReadFile(folder.SweepFile())).value("group", r.group);
      }
      if (metrics.contains("test")) Flatten(metrics.at("test"), "", &r.metrics);
      runs.push_back(std::move(r));
    } catch (const std::exception& e) {
      // Skipped with the reason (the JSON parser's own says where a file is malformed), cut to one line of 200.
      std::string why = OneLineMessage(e.what());
      if (why.size() > 200) why = why.substr(0, 200) + "...";
      std::cerr << "mer report: skipping " << dir.string() << ": unreadable metrics.json or config.json (" << why << ")\n";
    }
  }
  return runs;
}

std::vector<PaperResult> LoadPaperResults(const fs::path& path) {
  std::vector<PaperResult> out;
  try {
    const nlohmann::json j = nlohmann::json::parse(ReadFile(path));
    for (const auto& e : j.at("results")) {
      PaperResult p;
      p.model = e.at("model").get<std::string>();
      p.dataset = e.at("dataset").get<std::string>();
      p.metric = e.at("metric").get<std::string>();
      if (e.contains("value") && e.at("value").is_number()) p.value = e.at("value").get<double>();
      p.source = e.at("source").get<std::string>();
      p.paper = e.value("paper", std::string());
      p.paper_model = e.value("paper_model", std::string());
      p.protocol = e.value("protocol", std::string());
      p.kind = e.value("kind", std::string());
      p.caution = e.value("caution", std::string());
      if (e.contains("same_protocol_as")) p.same_protocol_as = e.at("same_protocol_as").get<std::vector<std::string>>();
      out.push_back(std::move(p));
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string() + ": not a paper results file ({\"results\": [{model, dataset, metric, value, source}]})");
  }
  return out;
}

std::vector<std::string> HeadlineMetrics(const std::string& task) {
  // A run of an unknown (newer) task is shown with the valence/arousal metrics, as before tasks were declared.
  const TaskKind* kind = FindTask(task);
  return (kind != nullptr ? *kind : TaskNamed("regression")).headline;
}

std::vector<SummaryRow> Summarise(const std::vector<RunRecord>& runs, const std::vector<PaperResult>& papers) {
  std::map<std::string, std::vector<const RunRecord*>> groups;
  for (const auto& r : runs) groups[r.group].push_back(&r);
  std::vector<SummaryRow> rows;
  for (const auto& [group, members] : groups) {
    std::set<std::string> metrics;
    for (const RunRecord* r : members) {
      for (const auto& [k, v] : r->metrics) metrics.insert(k);
    }
    for (const auto& metric : metrics) {
      std::vector<double> values;
      for (const RunRecord* r : members) {
        const auto it = r->metrics.find(metric);
        if (it != r->metrics.end() && std::isfinite(it->second)) values.push_back(it->second);
      }
      if (values.empty()) continue;
      SummaryRow row;
      row.group = group;
      row.model = members.front()->model;
      row.dataset = members.front()->dataset;
      row.task = members.front()->task;
      row.metric = metric;
      row.runs = static_cast<int>(values.size());
      for (double v : values) row.mean += v / static_cast<double>(values.size());
      if (values.size() > 1) {
        double ss = 0;
        for (double v : values) ss += (v - row.mean) * (v - row.mean);
        row.std = std::sqrt(ss / static_cast<double>(values.size() - 1));
      }
      // Paired only under the same protocol, declared per number (issue 30): model, dataset and metric alone would
      // set a 45 s-window retrieval beside a per-song one, or a validation-chosen model beside a last-epoch one.
      for (const auto& p : papers) {
        const bool same_protocol =
            std::find(p.same_protocol_as.begin(), p.same_protocol_as.end(), group) != p.same_protocol_as.end();
        if (same_protocol && p.model == row.model && p.dataset == row.dataset && p.metric == metric) {
          row.paper = p.value;
          row.paper_source = p.source;
        }
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

std::string SummaryCsv(const std::vector<SummaryRow>& rows) {
  std::string csv = "group,model,dataset,task,metric,mean,std,runs,paper,paper_source\n";
  for (const auto& r : rows) {
    csv += CsvField(r.group) + "," + CsvField(r.model) + "," + CsvField(r.dataset) + "," + CsvField(r.task) + "," +
           CsvField(r.metric) + "," + Fixed(r.mean, 6) +
           "," + Fixed(r.std, 6) + "," + std::to_string(r.runs) + "," + (r.paper ? Fixed(*r.paper, 4) : "") + "," +
           CsvField(r.paper_source) + "\n";
  }
  return csv;
}

std::string SummaryMarkdown(const std::vector<SummaryRow>& rows) {
  std::string md = "| group | dataset | task | metric | mer (mean ± sd) | runs | paper | source |\n"
                   "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& r : rows) {
    const auto headline = HeadlineMetrics(r.task);
    if (std::find(headline.begin(), headline.end(), r.metric) == headline.end()) continue;
    md += "| " + MarkdownCell(r.group) + " | " + MarkdownCell(r.dataset) + " | " + MarkdownCell(r.task) + " | " +
          MarkdownCell(r.metric) + " | " + Fixed(r.mean) + " ± " + Fixed(r.std) + " | " + std::to_string(r.runs) + " | " +
          (r.paper ? Fixed(*r.paper) : "–") + " | " + MarkdownCell(r.paper_source) + " |\n";
  }
  return md;
}

std::string PublishedMarkdown(const std::vector<SummaryRow>& rows, const std::vector<PaperResult>& papers) {
  std::map<std::string, std::set<std::string>> metrics_of;  // dataset -> headline metrics of its runs
  for (const auto& r : rows) {
    for (const auto& m : HeadlineMetrics(r.task)) metrics_of[r.dataset].insert(m);
  }
  std::string md;
  for (const auto& [dataset, metrics] : metrics_of) {
    for (const auto& p : papers) {
      bool on_dataset = p.dataset == dataset;
      for (std::size_t start = 0; !on_dataset && p.dataset.find('+') != std::string::npos;) {
        const auto end = p.dataset.find('+', start);
        on_dataset = p.dataset.substr(start, end == std::string::npos ? std::string::npos : end - start) == dataset;
        if (end == std::string::npos) break;
        start = end + 1;
      }
      if (!on_dataset || !p.value || !metrics.count(p.metric)) continue;
      md += "| " + MarkdownCell(dataset) + " | " + MarkdownCell(p.metric) + " | " + Fixed(*p.value) + " | " + MarkdownCell(p.paper_model) + " | " +
            MarkdownCell(p.paper.empty() ? p.source : p.paper) + (p.kind.empty() ? "" : " (" + p.kind + ")") + " | " +
            MarkdownCell(p.protocol) + " | " + MarkdownCell(p.source) + " | " + MarkdownCell(p.caution) + " |\n";
    }
  }
  if (md.empty()) return md;
  return "\nPublished results on these datasets, shown apart from mer's numbers: a published number is paired with a "
         "run (the paper column above) only where docs/paper_results.json declares the run's protocol the same "
         "(same_protocol_as); otherwise the protocols differ (split, label scale, the model kept, what a row is: "
         "docs/papers.md) and the numbers are not comparable one for one.\n\n"
         "| dataset | metric | published | method | paper | protocol | source | caution |\n"
         "| --- | --- | --- | --- | --- | --- | --- | --- |\n" +
         md;
}

std::vector<fs::path> WriteReport(const std::vector<SummaryRow>& rows, const fs::path& out_dir,
                                  const std::vector<PaperResult>& papers) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw OutputError(out_dir.string() + ": cannot create (" + ec.message() + ")");
  std::vector<fs::path> written = {out_dir / "summary.csv", out_dir / "summary.md"};
  WriteFileAtomically(written[0], SummaryCsv(rows));
  WriteFileAtomically(written[1], SummaryMarkdown(rows) + PublishedMarkdown(rows, papers));
  // One bar chart per headline metric: a bar (mean, sd error bar) per group, the paper's number beside it.
  std::set<std::string> metrics;
  for (const auto& r : rows) {
    const auto headline = HeadlineMetrics(r.task);
    if (std::find(headline.begin(), headline.end(), r.metric) != headline.end()) metrics.insert(r.metric);
  }
  for (const auto& metric : metrics) {
    std::vector<std::string> groups;
    Series ours{"mer", {}, {}, {}}, paper{"paper", {}, {}, {}};
    bool any_paper = false;
    for (const auto& r : rows) {
      if (r.metric != metric) continue;
      groups.push_back(r.group);
      ours.y.push_back(r.mean);
      ours.error.push_back(r.std);
      paper.y.push_back(r.paper ? *r.paper : NAN);
      any_paper = any_paper || r.paper.has_value();
    }
    std::vector<Series> series = {ours};
    if (any_paper) series.push_back(paper);
    ChartOptions o;
    o.title = metric + " per group (mean ± sd over seeds and folds)";
    o.y_label = metric;
    o.width = std::max(720, 140 * static_cast<int>(groups.size()) + 220);
    std::string file = "bars_" + metric + ".svg";
    std::replace(file.begin(), file.end(), '/', '_');
    written.push_back(out_dir / file);
    WriteFileAtomically(written.back(), BarChart(groups, series, o));
  }
  return written;
}

TrainingCurves ParseTrainLog(const std::string& text, const std::string& source) {
  TrainingCurves curves;
  curves.loss.name = "train loss";
  curves.monitor.name = "validation";
  std::size_t number = 0;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    const auto number_at = [&](const char* key) { return j.is_object() && j.contains(key) && j[key].is_number(); };
    if (!number_at("epoch") || !number_at("train_loss")) {
      throw InputError(source + ":" + std::to_string(number) + ": not a training log entry (JSON with a numeric epoch "
                       "and train_loss)");
    }
    const double epoch = j["epoch"].get<double>();
    curves.loss.x.push_back(epoch);
    curves.loss.y.push_back(j["train_loss"].get<double>());
    if (number_at("monitor_value")) {
      curves.monitor.x.push_back(epoch);
      curves.monitor.y.push_back(j["monitor_value"].get<double>());
      if (j.contains("monitor") && j["monitor"].is_string()) {
        curves.monitor_name = "validation " + j["monitor"].get<std::string>();
      }
    }
  }
  return curves;
}

}  // namespace mer::report
