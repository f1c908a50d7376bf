// Fuzz targets for the parsers that read untrusted bytes: each takes arbitrary bytes, runs them through one front
// door of mer, and returns 0. A refusal is a mer::Error (the one-line error the user sees) and is caught here;
// anything else that escapes (an exception from a library, a crash, a sanitizer report, a NaN distance) is a
// finding. Built twice: as libFuzzer executables by scripts/fuzz.sh (clang, -DMER_FUZZ=ON), and into
// test_fuzz_regressions, which replays every input kept under tests/fuzz/regressions/<target>/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mer::fuzz {

using TargetFunction = int (*)(const uint8_t* data, std::size_t size);

int Csv(const uint8_t* data, std::size_t size);          // CSV/TSV reader and its accessors
int JsonConfig(const uint8_t* data, std::size_t size);   // JSON config reader, --set, run config validation
int Npy(const uint8_t* data, std::size_t size);          // .npy reader (feature cache)
int RunMeta(const uint8_t* data, std::size_t size);      // checkpoint meta as eval/predict interpret it
int SearchCache(const uint8_t* data, std::size_t size);  // search cache content and the ranking it feeds
int Audio(const uint8_t* data, std::size_t size);        // audio decoding front door (any extension)
int SafeTensors(const uint8_t* data, std::size_t size);  // pretrained weight files (safetensors)
int CacheEntry(const uint8_t* data, std::size_t size);   // a feature-cache entry on disk, as a run reads it
int RunFolder(const uint8_t* data, std::size_t size);    // a run folder's files as report and eval --plots read them

struct Target {
  std::string name;  // folder name under tests/fuzz/regressions and the executable's suffix (fuzz_<name>)
  TargetFunction run;
};
const std::vector<Target>& Targets();

}  // namespace mer::fuzz
