#include "fuzz_targets.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "mer/audio/decoder.h"
#include "mer/core/config.h"
#include "mer/core/error.h"
#include "mer/core/npy.h"
#include "mer/core/safetensors.h"
#include "mer/data/csv.h"
#include "mer/train/run_config.h"
#include "mer/train/search.h"
#include "task.h"

namespace mer::fuzz {
namespace {

std::string Bytes(const uint8_t* data, std::size_t size) { return std::string(reinterpret_cast<const char*>(data), size); }

// Parses without exceptions (the fuzzer's input is mostly not JSON; the JSON reader has its own target).
nlohmann::json JsonOrNull(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

// A finding that is not a crash: abort so that libFuzzer (and the regression test's death) reports it.
[[noreturn]] void Finding(const std::string& what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
  std::abort();
}

}  // namespace

int Csv(const uint8_t* data, std::size_t size) {
  data::CsvOptions options;
  if (size > 0) {
    options.delimiter = "\t,;|"[data[0] % 4];
    options.has_header = (data[0] & 4) == 0;
  }
  try {
    const data::CsvTable t = data::ParseCsv(Bytes(data, size), "fuzz.csv", options);
    for (const auto& name : t.header) t.FindColumn(name);
    for (const auto& row : t.rows) {
      try {
        t.RequireHeaderWidth(row);
      } catch (const Error&) {
      }
      for (std::size_t c = 0; c < row.fields.size() && c < 8; ++c) {
        try {
          const double v = t.Number(row, c);
          if (std::isnan(v)) Finding("Number() returned NaN for '" + row.fields[c] + "'");
        } catch (const Error&) {
        }
      }
    }
  } catch (const Error&) {
  }
  return 0;
}

int JsonConfig(const uint8_t* data, std::size_t size) {
  const std::string text = Bytes(data, size);
  try {
    const config::Json j = config::ParseJsonText(text, "fuzz.json");
    config::Describe(j);
    if (j.is_object()) train::ParseRunConfig(j);
  } catch (const Error&) {
  }
  try {  // the same bytes as a --set assignment
    config::Json root = config::Json::object();
    config::ApplyOverride(root, text);
  } catch (const Error&) {
  }
  return 0;
}

int Npy(const uint8_t* data, std::size_t size) {
  try {
    const NpyArray a = ParseNpy(Bytes(data, size), "fuzz.npy");
    int64_t count = 1;
    for (const int64_t d : a.shape) count *= d;
    if (static_cast<std::size_t>(count) != a.data.size()) Finding("shape and data disagree");
  } catch (const Error&) {
  }
  return 0;
}

int SafeTensors(const uint8_t* data, std::size_t size) {
  try {
    const SafeTensorsFile file = ParseSafeTensors(Bytes(data, size), "fuzz.safetensors");
    for (const auto& [name, tensor] : file.tensors) {
      int64_t count = 1;
      for (const int64_t d : tensor.shape) count *= d;
      if (static_cast<std::size_t>(count) != tensor.data.size()) Finding("a tensor's shape and data disagree");
    }
  } catch (const Error&) {
  }
  return 0;
}

int RunMeta(const uint8_t* data, std::size_t size) {
  try {
    const train::RunMeta m = train::InterpretRunMeta(JsonOrNull(Bytes(data, size)), "fuzz/best.pt");
    if (m.frames < 1) Finding("accepted a model input of no columns");
  } catch (const Error&) {
  }
  return 0;
}

int SearchCache(const uint8_t* data, std::size_t size) {
  const nlohmann::json j = JsonOrNull(Bytes(data, size));
  train::SearchCache cache;
  try {
    train::ReadSearchCacheContent(j, &cache);
  } catch (const std::exception&) {  // LoadSearchCache rebuilds a cache that throws anything
    return 0;
  }
  std::vector<std::string> files;
  for (const auto& [file, song] : cache.songs) files.push_back(file);
  for (const auto& hit : train::RankSongs(cache, files, 5.0, 5.0)) {
    if (!std::isfinite(hit.distance)) Finding("a cache that checked out ranks " + hit.file + " at a non-finite distance");
  }
  return 0;
}

int Audio(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto& extensions = audio::AudioFileExtensions();
  static const std::filesystem::path dir = [] {
    const std::filesystem::path d = std::filesystem::temp_directory_path() / ("mer-fuzz-audio-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const std::filesystem::path file = dir / ("input" + extensions[data[0] % extensions.size()]);
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  try {
    audio::DecodeOptions options;
    options.target_sample_rate = (data[0] & 0x80) ? 22050 : 0;
    const audio::MonoAudio a = audio::DecodeMono(file, options);
    for (const float x : a.samples) {
      if (!std::isfinite(x)) Finding("decoded a non-finite sample");
    }
  } catch (const Error&) {
  }
  return 0;
}

const std::vector<Target>& Targets() {
  static const std::vector<Target> targets = {{"csv", Csv},           {"json_config", JsonConfig},
                                              {"npy", Npy},           {"run_meta", RunMeta},
                                              {"search_cache", SearchCache}, {"audio", Audio},
                                              {"safetensors", SafeTensors}};
  return targets;
}

}  // namespace mer::fuzz
