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

int RunSearch(const SearchArgs& a) {
  if (!std::isfinite(a.valence) || !std::isfinite(a.arousal)) throw ConfigError("--valence and --arousal must be numbers");
  if (a.top < 1) throw ConfigError("--top " + std::to_string(a.top) + ": expected an integer >= 1");
  const fs::path run = a.run;
  const train::RunInputSpec inputs_spec = train::RunInputs(run);
  const std::vector<fs::path> files = train::ListAudioFiles(a.library);
  train::SearchCache cache = train::LoadSearchCache(run);

  std::vector<fs::path> missing;
  std::vector<std::string> keys;
  for (const auto& file : files) {
    keys.push_back(file.string());
    const auto it = cache.songs.find(file.string());
    const train::SongEmbedding stamp = train::FileStamp(file);
    if (it == cache.songs.end() || it->second.size != stamp.size || it->second.mtime_ns != stamp.mtime_ns) {
      missing.push_back(file);
    }
  }
  // Entries of this library whose files are gone are dropped; other libraries' entries stay.
  const std::string root = fs::absolute(a.library).lexically_normal().string();
  bool changed = false;
  for (auto it = cache.songs.begin(); it != cache.songs.end();) {
    std::error_code ec;
    if (it->first.rfind(root, 0) == 0 && !fs::exists(it->first, ec)) {
      it = cache.songs.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }

  int failed = 0;
  if (!missing.empty() || !cache.HasEncoder()) {
    auto plugin = train::LoadTorchPluginAsync();
    std::size_t done = 0;
    do {  // at least once, so a library without new songs still gets the encoder
      const std::vector<fs::path> chunk(missing.begin() + static_cast<long>(done),
                                        missing.begin() + static_cast<long>(std::min(missing.size(), done + kFilesPerBatch)));
      const auto inputs = train::PredictInputs(inputs_spec, chunk, DefaultThreadCount());
      std::vector<std::string> errors;
      train::PluginError error;
      if (!plugin.get()->embed(run, a.device, inputs, &cache, &errors, &error)) train::Rethrow(error);
      for (const auto& message : errors) {
        if (!message.empty()) {
          std::cerr << "mer: error: " << message << "\n";
          ++failed;
        }
      }
      done += chunk.size();
      if (!a.json && missing.size() > kFilesPerBatch) std::cerr << "\rembedded " << done << "/" << missing.size() << "   ";
    } while (done < missing.size());
    if (!a.json && missing.size() > kFilesPerBatch) std::cerr << "\n";
    changed = true;
  }
  if (changed) train::SaveSearchCache(run, cache);

  const std::vector<train::SearchHit> hits = train::RankSongs(cache, keys, a.valence, a.arousal);
  const std::size_t shown = std::min<std::size_t>(hits.size(), static_cast<std::size_t>(a.top));
  if (a.json) {
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t r = 0; r < shown; ++r) {
      results.push_back({{"rank", r + 1}, {"file", hits[r].file}, {"distance", hits[r].distance},
                         {"valence", hits[r].valence}, {"arousal", hits[r].arousal}});
    }
    std::cout << nlohmann::json({{"query", {{"valence", a.valence}, {"arousal", a.arousal}}},
                                 {"songs", hits.size()}, {"embedded", missing.size() - failed},
                                 {"failed", failed}, {"results", results}})
                     .dump(2)
              << "\n";
  } else {
    std::cout << "mer search: " << hits.size() << " songs in " << a.library << " (" << (files.size() - missing.size())
              << " cached, " << (missing.size() - failed) << " embedded now";
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
