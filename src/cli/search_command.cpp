// mer search --run DIR --library DIR --valence V --arousal A [--top K] [--json] [--device cpu|cuda|auto]
// Ranks the songs of a folder by how well they match an emotion, with an emb_cl run. Songs are embedded once and
// cached in RUN/search_cache.json (by path, size and mtime); a query whose songs are all cached does not load
// LibTorch at all.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "command.h"
#include "mer/core/error.h"
#include "mer/core/strings.h"
#include "mer/core/parallel.h"
#include "mer/train/api.h"
#include "mer/train/plugin.h"
#include "mer/train/search.h"

namespace mer::cli {
namespace {

namespace fs = std::filesystem;

struct SearchArgs {
  std::string run, library, device = "auto";
  double valence = NAN, arousal = NAN;
  int top = 10;
  bool json = false;
};

constexpr std::size_t kFilesPerBatch = 32;  // songs decoded and embedded together: bounds the memory of log-mels

// The library's files whose cache entry is missing or stale (size or mtime changed).
std::vector<fs::path> UncachedFiles(const train::SearchCache& cache, const std::vector<fs::path>& files) {
  std::vector<fs::path> missing;
  for (const auto& file : files) {
    const auto it = cache.songs.find(file.string());
    const train::SongEmbedding stamp = train::FileStamp(file);
    if (it == cache.songs.end() || it->second.size != stamp.size || it->second.mtime_ns != stamp.mtime_ns) {
      missing.push_back(file);
    }
  }
  return missing;
}

// Entries of this library whose files are gone are dropped; other libraries' entries stay. True when any was.
bool DropVanishedSongs(const std::string& library, train::SearchCache* cache) {
  const std::string root = fs::absolute(library).lexically_normal().string();
  bool changed = false;
  for (auto it = cache->songs.begin(); it != cache->songs.end();) {
    std::error_code ec;
    if (it->first.rfind(root, 0) == 0 && !fs::exists(it->first, ec)) {
      it = cache->songs.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  return changed;
}

// Embeds the files in batches with the LibTorch plugin (also once when there are none, so the cache gets the
// run's encoder); returns how many failed, each reported on stderr.
int EmbedSongs(const SearchArgs& a, const train::RunInputSpec& spec, const std::vector<fs::path>& files,
               train::SearchCache* cache) {
  auto plugin = train::LoadTorchPluginAsync();
  int failed = 0;
  std::size_t done = 0;
  do {
    const std::vector<fs::path> chunk(files.begin() + static_cast<long>(done),
                                      files.begin() + static_cast<long>(std::min(files.size(), done + kFilesPerBatch)));
    const auto inputs = train::PredictInputs(spec, chunk, DefaultThreadCount());
    std::vector<std::string> errors;
    train::PluginError error;
    if (!plugin.get()->embed(a.run, a.device, inputs, cache, &errors, &error)) train::Rethrow(error);
    for (const auto& message : errors) {
      if (!message.empty()) {
        std::cerr << "mer: error: " << message << "\n";
        ++failed;
      }
    }
    done += chunk.size();
    if (!a.json && files.size() > kFilesPerBatch) std::cerr << "\rembedded " << done << "/" << files.size() << "   ";
  } while (done < files.size());
  if (!a.json && files.size() > kFilesPerBatch) std::cerr << "\n";
  return failed;
}

void PrintHits(const SearchArgs& a, const std::vector<train::SearchHit>& hits, std::size_t cached, std::size_t embedded,
               int failed) {
  const std::size_t shown = std::min<std::size_t>(hits.size(), static_cast<std::size_t>(a.top));
  if (a.json) {
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t r = 0; r < shown; ++r) {
      results.push_back({{"rank", r + 1}, {"file", Utf8Escaped(hits[r].file)}, {"distance", hits[r].distance},
                         {"valence", hits[r].valence}, {"arousal", hits[r].arousal}});
    }
    std::cout << nlohmann::json({{"query", {{"valence", a.valence}, {"arousal", a.arousal}}},
                                 {"songs", hits.size()}, {"embedded", embedded},
                                 {"failed", failed}, {"results", results}})
                     .dump(2)
              << "\n";
    return;
  }
  std::cout << "mer search: " << hits.size() << " songs in " << a.library << " (" << cached << " cached, " << embedded
            << " embedded now";
  if (failed) std::cout << ", " << failed << " failed";
  std::cout << "); valence " << a.valence << ", arousal " << a.arousal << "\n";
  std::cout << "rank  distance  valence  arousal  file\n";
  for (std::size_t r = 0; r < shown; ++r) {
    char line[96];
    std::snprintf(line, sizeof(line), "%4zu  %8.3f  %7.3f  %7.3f  ", r + 1, hits[r].distance, hits[r].valence,
                  hits[r].arousal);
    std::cout << line << hits[r].file << "\n";
  }
}

int RunSearch(const SearchArgs& a) {
  if (!std::isfinite(a.valence) || !std::isfinite(a.arousal)) throw ConfigError("--valence and --arousal must be numbers");
  if (a.top < 1) throw ConfigError("--top " + std::to_string(a.top) + ": expected an integer >= 1");
  const fs::path run = a.run;
  const train::RunInputSpec inputs_spec = train::RunInputs(run);
  const std::vector<fs::path> files = train::ListAudioFiles(a.library);
  train::SearchCache cache = train::LoadSearchCache(run);
  const std::vector<fs::path> missing = UncachedFiles(cache, files);
  bool changed = DropVanishedSongs(a.library, &cache);
  int failed = 0;
  if (!missing.empty() || !cache.HasEncoder()) {
    failed = EmbedSongs(a, inputs_spec, missing, &cache);
    changed = true;
  }
  if (changed) train::SaveSearchCache(run, cache);
  std::vector<std::string> keys;
  for (const auto& file : files) keys.push_back(file.string());
  const std::vector<train::SearchHit> hits = train::RankSongs(cache, keys, a.valence, a.arousal);
  PrintHits(a, hits, files.size() - missing.size(), missing.size() - static_cast<std::size_t>(failed), failed);
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

Command AddSearchCommand(CLI::App& parent) {
  auto a = std::make_shared<SearchArgs>();
  CLI::App* search = parent.add_subcommand("search", "Rank the songs of a folder by how well they match an emotion (emb_cl run)");
  search->add_option("--run", a->run, "Run folder of an emb_cl model")->required();
  search->add_option("--library", a->library, "Folder of audio files (searched recursively)")->required();
  search->add_option("--valence", a->valence, "Valence, in the training dataset's scale")->required();
  search->add_option("--arousal", a->arousal, "Arousal, in the training dataset's scale")->required();
  search->add_option("--top", a->top, "How many songs to list (default 10)");
  search->add_flag("--json", a->json, "Print JSON");
  search->add_option("--device", a->device, "cpu, cuda or auto (default), for embedding new songs");
  return {search, [a] { return RunSearch(*a); }};
}

}  // namespace mer::cli
