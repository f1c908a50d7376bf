#include "fuzz_targets.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "mer/audio/decoder.h"
#include "mer/audio/writer.h"
#include "mer/core/config.h"
#include "mer/core/error.h"
#include "mer/core/npy.h"
#include "mer/core/safetensors.h"
#include "mer/data/csv.h"
#include "mer/data/feature_cache.h"
#include "mer/report/report.h"
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

namespace {

std::filesystem::path FuzzDir(const std::string& name) {
  const std::filesystem::path d =
      std::filesystem::temp_directory_path() / ("mer-fuzz-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d;
}

void WriteBytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

// The input is a cache entry for a fixed 0.25 s tone (its key put in place, so mutations reach the checks behind
// it). Whatever the entry holds, the run gets either the entry's own values (a valid entry: magic, key, rows, size
// and checksum agree) or the features computed again, never an error, and the entry left behind reads back.
int CacheEntry(const uint8_t* data, std::size_t size) {
  struct Fixture {
    std::filesystem::path audio;
    std::unique_ptr<data::FeatureCache> cache;
    features::Spectrogram computed;
    std::string key;  // bytes 8..16 of a valid entry
  };
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    const std::filesystem::path dir = FuzzDir("cache");
    f->audio = dir / "tone.wav";
    std::vector<float> tone(2000);
    for (std::size_t i = 0; i < tone.size(); ++i) tone[i] = 0.5f * std::sin(0.3f * static_cast<float>(i));
    audio::WriteAudio(f->audio, tone, 1, 8000, audio::Container::kWav16);
    features::FrontendConfig config;
    config.sample_rate = 8000;
    config.n_fft = 256;
    config.hop_length = 128;
    config.n_mels = 8;
    f->cache = std::make_unique<data::FeatureCache>(dir / "cache", config, 0);  // no memory cache: disk every time
    f->computed = f->cache->Get(f->audio);
    std::ifstream in(f->cache->EntryPath(f->audio), std::ios::binary);
    f->key.resize(16);
    in.read(f->key.data(), 16);
    f->key = f->key.substr(8);
    return f;
  }();
  std::string bytes = Bytes(data, size);
  if (bytes.size() >= 16) bytes.replace(8, 8, fixture->key);
  const std::filesystem::path entry = fixture->cache->EntryPath(fixture->audio);
  std::error_code ec;
  std::filesystem::remove(entry, ec);
  WriteBytes(entry, bytes);
  features::Spectrogram got;
  try {
    got = fixture->cache->Get(fixture->audio);
  } catch (const Error& e) {
    Finding(std::string("a cache entry made readable audio fail: ") + e.what());
  }
  if (got.n_mels != fixture->computed.n_mels || got.frames < 1 ||
      got.values.size() != static_cast<std::size_t>(got.n_mels) * static_cast<std::size_t>(got.frames)) {
    Finding("a cache entry gave features of another shape");
  }
  const std::size_t header = 40;
  if (got.values != fixture->computed.values &&
      (bytes.size() != header + got.values.size() * sizeof(float) ||
       std::memcmp(bytes.data() + header, got.values.data(), got.values.size() * sizeof(float)) != 0)) {
    Finding("features that are neither the entry's nor the audio's");
  }
  if (fixture->cache->Get(fixture->audio).values != got.values) Finding("the entry left behind does not read back");
  return 0;
}

// The first byte picks the file (train_log.jsonl, metrics.json, sweep.json, config.json) that the rest becomes,
// beside valid others; mer report's reader and eval --plots' log reader must refuse or skip it with an Error.
int RunFolder(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const std::filesystem::path dir = FuzzDir("run");
  const std::filesystem::path run = dir / "runs" / "seed1";
  std::filesystem::create_directories(run);
  WriteBytes(run / "config.json", R"({"model": {"name": "quan_cnn"}, "data": {"dataset": "emomusic"}, "train": {"seed": 1}})");
  WriteBytes(run / "metrics.json", R"({"task": "regression", "test": {"r2": 0.5, "valence": {"r2": 0.4}}})");
  WriteBytes(run / "sweep.json", R"({"group": "g"})");
  const std::string rest = Bytes(data + 1, size - 1);
  static const char* const kFiles[] = {"train_log.jsonl", "metrics.json", "sweep.json", "config.json"};
  const char* file = kFiles[data[0] % 4];
  WriteBytes(run / file, rest);
  if (data[0] % 4 == 0) {
    try {
      const report::TrainingCurves c = report::ParseTrainLog(rest, "train_log.jsonl");
      if (c.loss.x.size() != c.loss.y.size() || c.monitor.x.size() != c.monitor.y.size()) Finding("ragged curves");
    } catch (const Error&) {
    }
    return 0;
  }
  try {
    const std::vector<report::RunRecord> runs = report::CollectRuns(dir / "runs");
    if (runs.size() > 1) Finding("one run folder read as several runs");
    report::Summarise(runs, {});
  } catch (const Error&) {
  }
  return 0;
}

const std::vector<Target>& Targets() {
  static const std::vector<Target> targets = {{"csv", Csv},           {"json_config", JsonConfig},
                                              {"npy", Npy},           {"run_meta", RunMeta},
                                              {"search_cache", SearchCache}, {"audio", Audio},
                                              {"safetensors", SafeTensors}, {"cache_entry", CacheEntry},
                                              {"run_folder", RunFolder}};
  return targets;
}

}  // namespace mer::fuzz
