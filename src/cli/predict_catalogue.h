// mer predict --list FILES.txt --out results.jsonl [--shard I/N]: prediction over a catalogue, one JSON line per
// song as it finishes, resumable, shardable.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/train/api.h"

namespace mer::cli {

struct CatalogueArgs {
  std::vector<std::string> runs;  // several: an ensemble (the mean of their outputs)
  std::string device = "auto";
  std::string list, out, shard;  // shard "I/N" (0 <= I < N) or empty
  double hop = 0;
  int chunk = 64;                // songs decoded (and scored) together
};

// Returns the exit code: 0 when every song of this run's share was scored, 1 when some failed (their lines carry
// the error). Throws ConfigError for bad arguments, InputError / OutputError for unusable files.
int RunPredictCatalogue(const CatalogueArgs& args);

// What any catalogue command (predict --list, embed --list) does per chunk of songs.
struct CatalogueJob {
  std::string command;        // "predict", "embed": names the command in messages
  std::string list, out, shard;
  int chunk = 64;
  train::RunInputSpec inputs;  // how each song is decoded and turned into features
  // One JSON line per input, in order; a failed song's line is {"file", "error"}.
  std::function<std::vector<nlohmann::json>(const std::vector<train::PredictInput>&)> score;
};
// The list, the shard, the resumable JSONL output and the overlap of decoding with scoring, for any job.
int RunCatalogue(const CatalogueJob& job);

}  // namespace mer::cli
