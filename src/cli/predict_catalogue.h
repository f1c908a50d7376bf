// mer predict --list FILES.txt --out results.jsonl [--shard I/N]: prediction over a catalogue, one JSON line per
// song as it finishes, resumable, shardable.
#pragma once

#include <string>
#include <vector>

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

}  // namespace mer::cli
