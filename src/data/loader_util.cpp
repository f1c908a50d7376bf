#include "loader_util.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "mer/core/error.h"

namespace mer::data {

fs::path UnderRoot(const fs::path& root, const std::string& relative) {
  const fs::path p(relative);
  return p.is_absolute() ? p : root / p;
}

void RequireFile(const fs::path& path, const std::string& what) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw InputError(path.string() + ": not found (expected " + what + ")");
}

fs::path FirstExisting(const fs::path& root, const std::vector<std::string>& candidates) {
  std::error_code ec;
  for (const auto& c : candidates) {
    if (fs::exists(root / c, ec)) return root / c;
  }
  return root / candidates.front();
}

double MinutesSecondsToSeconds(const std::string& text, const std::string& where) {
  const auto sep = text.find_first_of(":.");
  try {
    if (sep == std::string::npos) return std::stod(text) * 60.0;
    const double minutes = std::stod(text.substr(0, sep));
    std::string seconds_text = text.substr(sep + 1);
    if (text[sep] == '.' && seconds_text.size() == 1) seconds_text += "0";  // "1.3" is 1 min 30 s
    const double seconds = std::stod(seconds_text);
    if (minutes < 0 || seconds < 0 || seconds >= 60) throw std::invalid_argument("range");
    return minutes * 60.0 + seconds;
  } catch (const std::exception&) {
    throw InputError(where + ": '" + text + "' is not a time (expected mm:ss)");
  }
}

LabelSchema VaSchema(double scale_min, double scale_max) {
  LabelSchema schema;
  schema.task = Task::kRegression;
  schema.names = {"valence", "arousal"};
  schema.scale_min = scale_min;
  schema.scale_max = scale_max;
  schema.midpoint = 0.5 * (scale_min + scale_max);
  return schema;
}

std::vector<std::pair<std::string, std::vector<float>>> ReadWideCurves(const fs::path& path, double* start,
                                                                      double* hop) {
  const CsvTable table = ReadCsv(path);
  const std::size_t id_column = table.ColumnOneOf({"song_id", "musicId", "id"});
  std::vector<double> times;
  std::vector<std::size_t> columns;
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    const std::string& name = table.header[c];
    if (name.rfind("sample_", 0) == 0 && name.size() > 9 && name.compare(name.size() - 2, 2, "ms") == 0) {
      times.push_back(std::stod(name.substr(7, name.size() - 9)) / 1000.0);
      columns.push_back(c);
    }
  }
  if (times.size() < 2) throw InputError(path.string() + ": no sample_<ms>ms columns");
  *start = times[0];
  *hop = times[1] - times[0];
  std::vector<std::pair<std::string, std::vector<float>>> curves;
  for (const auto& row : table.rows) {
    std::vector<float> values;
    for (std::size_t c : columns) {
      if (c >= row.fields.size() || row.fields[c].empty()) break;  // shorter songs end in empty cells
      values.push_back(static_cast<float>(table.Number(row, c)));
    }
    curves.emplace_back(table.Field(row, id_column), std::move(values));
  }
  return curves;
}

void AttachCurves(Corpus* corpus, const std::vector<std::pair<std::string, std::vector<float>>>& valence,
                  const std::vector<std::pair<std::string, std::vector<float>>>& arousal, double start, double hop) {
  std::map<std::string, const std::vector<float>*> v, a;
  for (const auto& [id, values] : valence) v[id] = &values;
  for (const auto& [id, values] : arousal) a[id] = &values;
  for (auto& item : corpus->items) {
    const auto vi = v.find(item.id), ai = a.find(item.id);
    if (vi == v.end() || ai == a.end()) continue;
    const std::size_t n = std::min(vi->second->size(), ai->second->size());
    if (n == 0) continue;
    Curve curve;
    curve.start_seconds = start;
    curve.hop_seconds = hop;
    curve.valence.assign(vi->second->begin(), vi->second->begin() + static_cast<long>(n));
    curve.arousal.assign(ai->second->begin(), ai->second->begin() + static_cast<long>(n));
    item.dynamic = std::move(curve);
  }
}

CsvOptions CsvOptionsFor(const fs::path& path) {
  CsvOptions options;
  const std::string ext = path.extension().string();
  if (ext == ".tsv" || ext == ".tab") options.delimiter = '\t';
  return options;
}

std::vector<std::string> SplitTrimmed(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find(separator, start);
    std::string part = Trim(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (!part.empty()) out.push_back(std::move(part));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::string Cal500Artist(const std::string& song) {
  for (const char* artist : {"chi-lites", "go-gos", "sir_mix-a-lot"}) {
    const std::string prefix = std::string(artist) + "-";
    if (song.rfind(prefix, 0) == 0) return artist;
  }
  const auto dash = song.find('-');
  return dash == std::string::npos ? song : song.substr(0, dash);
}

}  // namespace mer::data
