#include "predict_catalogue.h"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <iostream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "command.h"
#include "output_paths.h"
#include "mer/core/error.h"
#include "mer/core/file_io.h"
#include "mer/core/parallel.h"
#include "mer/core/strings.h"
#include "mer/train/ensemble.h"
#include "mer/train/plugin.h"

namespace mer::cli {
namespace {

namespace fs = std::filesystem;

// "I/N" -> {I, N}; ConfigError unless 0 <= I < N.
std::pair<std::size_t, std::size_t> ParseShard(const std::string& text) {
  if (text.empty()) return {0, 1};
  unsigned long long index = 0, count = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%llu/%llu%c", &index, &count, &tail) != 2 || count == 0 || index >= count ||
      count > 1000000) {
    throw ConfigError("--shard " + text + ": expected I/N with 0 <= I < N, e.g. 0/4");
  }
  return {static_cast<std::size_t>(index), static_cast<std::size_t>(count)};
}

// The list: one path per line; blank lines and lines starting with '#' are skipped; CR LF accepted; a path listed
// again is counted in *repeated and scored once.
std::vector<std::string> ReadList(const fs::path& path, std::size_t* repeated) {
  std::istringstream in(ReadFile(path));
  std::vector<std::string> files;
  std::set<std::string> seen;
  *repeated = 0;
  std::size_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line.find('\0') != std::string::npos) {
      throw InputError(path.string() + ":" + std::to_string(line_number) + ": a path holds a NUL byte");
    }
    if (!seen.insert(line).second) {
      ++*repeated;
      continue;
    }
    files.push_back(line);
  }
  return files;
}

// The songs already in OUT (their "file"). A last line without its newline (a write cut short) is removed so that
// the song is scored again; a line that is not a JSON object with a "file" is an error naming its line.
std::set<std::string> ReadDone(const fs::path& out, const std::string& who) {
  std::set<std::string> done;
  std::error_code ec;
  if (!fs::exists(out, ec)) return done;
  const std::string text = ReadFile(out);
  std::size_t start = 0, line_number = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {  // torn last line
      // Only the start of a line mer writes (a compact JSON object whose first key, sorted, is "error" or "file") is
      // repaired: a user's file that ends without a newline (a JSON document, a .gz) is refused, never cut.
      const std::string_view tail(text.data() + start, text.size() - start);
      const auto starts = [&](std::string_view prefix) { return tail.substr(0, prefix.size()) == prefix.substr(0, tail.size()); };
      if (!starts("{\"file\":\"") && !starts("{\"error\":\"")) {
        throw InputError(out.string() + ":" + std::to_string(line_number + 1) + ": not a line of " +
                         who.substr(0, who.size() - 2) +
                         " --out and without a newline: not this command's output, left as it is (choose another --out)");
      }
      fs::resize_file(out, start, ec);
      if (ec) throw OutputError(out.string() + ": cannot remove a torn last line: " + ec.message());
      std::cerr << who << out.string() << ": removed a torn last line; that song is scored again\n";
      break;
    }
    ++line_number;
    const nlohmann::json j = nlohmann::json::parse(text.substr(start, end - start), nullptr, false);
    if (!j.is_object() || !j.contains("file") || !j["file"].is_string()) {
      throw InputError(out.string() + ":" + std::to_string(line_number) +
                       ": not a line of " + who.substr(0, who.size() - 2) + " --out (a JSON object with \"file\")");
    }
    done.insert(j["file"].get<std::string>());
    start = end + 1;
  }
  return done;
}

// Appends whole lines with one write() each on an O_APPEND descriptor: a kill leaves at most one torn line, which
// ReadDone removes on the next run.
class LineWriter {
 public:
  explicit LineWriter(const fs::path& path) : path_(path), fd_(OpenForAppending(path)) {}
  ~LineWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;
  void Append(const std::string& line) {
    const std::string bytes = line + "\n";
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n != static_cast<ssize_t>(bytes.size())) {
      throw OutputError(WriteErrorText(n < 0 ? errno : ENOSPC) + " appending to " + path_.string());
    }
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

nlohmann::json PredictionLine(const train::TrackPrediction& p) {
  if (!p.error.empty()) return {{"file", Utf8Escaped(p.file.string())}, {"error", Utf8Escaped(p.error)}};
  nlohmann::json track = nlohmann::json::object();
  for (std::size_t k = 0; k < p.names.size(); ++k) track[p.names[k]] = p.track[k];
  nlohmann::json line = {{"file", Utf8Escaped(p.file.string())}, {"track", track}, {"windows", p.curve.size()}};
  if (p.classification) {
    line["class"] = p.MostProbable(p.track);
  }
  return line;
}

std::string Clock(double seconds) {
  const long s = static_cast<long>(seconds);
  char text[32];
  std::snprintf(text, sizeof(text), "%02ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return text;
}

}  // namespace

int RunCatalogue(const CatalogueJob& a) {
  const std::string who = "mer " + a.command + ": ";
  if (a.out.empty()) throw ConfigError("--list needs --out FILE.jsonl (one JSON line per song)");
  if (a.chunk < 1 || a.chunk > 4096) throw ConfigError("--chunk " + std::to_string(a.chunk) + ": expected 1 .. 4096");
  const auto [shard, shards] = ParseShard(a.shard);
  RefuseOutputOverInput(a.out, "--out", {{a.list, "the --list file"}});
  std::size_t repeated = 0;
  const std::vector<std::string> listed = ReadList(a.list, &repeated);
  if (repeated > 0) std::cerr << who << repeated << " paths listed more than once are scored once\n";
  // Opened (and locked: a second writer of the same --out is refused while this one runs) before it is read.
  LineWriter writer(a.out);
  const FileLock lock(writer.fd(), "--out " + a.out);
  const std::set<std::string> done = ReadDone(a.out, who);
  std::vector<fs::path> todo;
  std::size_t in_shard = 0;
  for (std::size_t i = 0; i < listed.size(); ++i) {
    if (i % shards != shard) continue;
    ++in_shard;
    if (!done.count(Utf8Escaped(listed[i]))) todo.push_back(listed[i]);  // the lines hold escaped names
  }
  const std::size_t skipped = in_shard - todo.size();
  std::cerr << who << in_shard << " songs in " << (a.shard.empty() ? "the list" : "shard " + a.shard)
            << ", " << skipped << " already in " << a.out << ", " << todo.size() << " to score\n";
  if (todo.empty()) return kExitOk;

#if defined(__GLIBC__)
  // Every song's samples and features are blocks of a few MB, above glibc's mmap threshold: each song would map
  // fresh pages and fault them in again (100,000 page faults for 200 songs of 30 s). Keep such blocks in the heap,
  // where the next song reuses them; memory still does not grow with the list (a chunk's worth is live at a time).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
  const int threads = DefaultThreadCount();
  const auto chunk_of = [&](std::size_t c) {
    const std::size_t from = c * static_cast<std::size_t>(a.chunk);
    return std::vector<fs::path>(todo.begin() + static_cast<long>(from),
                                 todo.begin() + static_cast<long>(std::min(todo.size(), from + a.chunk)));
  };
  const std::size_t chunks = (todo.size() + a.chunk - 1) / a.chunk;
  const bool terminal = ::isatty(STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  std::size_t scored = 0, failed = 0;
  // Decoding and the frontend of the next chunk run on all cores while the model scores this one.
  std::future<std::vector<train::PredictInput>> next =
      std::async(std::launch::async, [&] { return train::PredictInputs(a.inputs, chunk_of(0), threads); });
  for (std::size_t c = 0; c < chunks; ++c) {
    std::vector<train::PredictInput> inputs = next.get();
    if (c + 1 < chunks) {
      next = std::async(std::launch::async, [&, c] { return train::PredictInputs(a.inputs, chunk_of(c + 1), threads); });
    }
    for (const nlohmann::json& line : a.score(inputs)) {
      writer.Append(line.dump());
      ++scored;
      if (line.contains("error")) {
        ++failed;
        if (failed <= 5) std::cerr << (terminal ? "\r" : "") << "mer: error: " << line["error"].get<std::string>() << "\n";
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = scored / std::max(seconds, 1e-9);
    char progress[160];
    std::snprintf(progress, sizeof(progress), "%zu/%zu songs  %.1f songs/s  ETA %s  %zu failed", scored, todo.size(),
                  rate, Clock((todo.size() - scored) / std::max(rate, 1e-9)).c_str(), failed);
    if (terminal) std::cerr << "\r" << progress << "   " << std::flush;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (terminal) std::cerr << "\n";
  char summary[200];
  std::snprintf(summary, sizeof(summary), "%zu songs scored into %s (%zu failed) in %.1f s, %.2f songs/s\n",
                scored, a.out.c_str(), failed, seconds, scored / std::max(seconds, 1e-9));
  std::cerr << who << summary;
  return failed ? kExitFailure : kExitOk;
}

int RunPredictCatalogue(const CatalogueArgs& a) {
  RefuseOutputOverInput(a.out, "--out", RunFolderInputs(a.runs));
  auto plugin = train::LoadTorchPluginAsync();
  const std::vector<fs::path> runs(a.runs.begin(), a.runs.end());
  CatalogueJob job;
  job.command = "predict";
  job.list = a.list;
  job.out = a.out;
  job.shard = a.shard;
  job.chunk = a.chunk;
  job.inputs = train::EnsembleInputs(runs);
  train::PredictOptions options;
  options.hop_seconds = a.hop;
  options.device = a.device;
  job.score = [plugin, runs, options](const std::vector<train::PredictInput>& inputs) mutable {
    options.files.clear();
    for (const auto& input : inputs) options.files.push_back(input.file);
    std::vector<nlohmann::json> lines;
    for (const auto& p : train::PredictEnsemble(*plugin.get(), options, runs, inputs)) lines.push_back(PredictionLine(p));
    return lines;
  };
  return RunCatalogue(job);
}

}  // namespace mer::cli
