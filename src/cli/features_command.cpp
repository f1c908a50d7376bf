// mer features AUDIO... (--out FILE.npy | --out-dir DIR) [--config CONFIG.json] [--set frontend.KEY=VALUE]...
//                        [--threads N]
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "command.h"
#include "output_paths.h"
#include "mer/audio/decoder.h"
#include "mer/core/config.h"
#include "mer/core/error.h"
#include "mer/core/npy.h"
#include "mer/core/parallel.h"
#include "mer/features/frontend.h"
#include "mer/train/run_config.h"

namespace mer::cli {
namespace {

namespace fs = std::filesystem;

struct FeaturesOptions {
  std::vector<std::string> inputs;
  std::string out;
  std::string out_dir;
  std::string config;
  std::vector<std::string> overrides;
  int threads = DefaultThreadCount();
};

struct FileResult {
  std::string summary;  // set on success
  std::string error;    // set on failure
};

std::string Fixed(double v, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", digits, v);
  return buffer;
}

std::string Summarise(const fs::path& input, const audio::MonoAudio& audio, const features::Spectrogram& s,
                      const features::FrontendConfig& config, const fs::path& output) {
  const auto [lo, hi] = std::minmax_element(s.values.begin(), s.values.end());
  const double mean = std::accumulate(s.values.begin(), s.values.end(), 0.0) / static_cast<double>(s.values.size());
  return input.string() + ": " + Fixed(audio.duration_seconds(), 2) + " s, " +
         std::to_string(audio.source.sample_rate) + " Hz, " + std::to_string(audio.source.channels) + " ch -> [" +
         std::to_string(s.n_mels) + " x " + std::to_string(s.frames) + "] log-mel (" + config.log + ": min " +
         Fixed(*lo, 2) + ", max " + Fixed(*hi, 2) + ", mean " + Fixed(mean, 2) + ") -> " + output.string();
}

features::FrontendConfig ResolveFrontend(const FeaturesOptions& options) {
  config::Json run_config = config::Json::object();
  if (!options.config.empty()) run_config = config::LoadJsonFile(options.config);
  for (const auto& assignment : options.overrides) {
    if (assignment.rfind("frontend.", 0) != 0) {
      throw ConfigError("--set " + assignment + ": mer features only takes frontend.KEY=VALUE overrides");
    }
  }
  config::ApplyOverrides(run_config, options.overrides);
  try {
    // A run on pretrained embeddings: its networks' log-mel (their embeddings come from `mer embed`).
    return train::RunInputSpecFromConfig(run_config).frontend;
  } catch (const ConfigError& e) {
    if (options.config.empty()) throw;
    throw ConfigError(options.config + ": " + e.what());
  }
}

// Output path per input, checked before any work: no two inputs may write the same file.
std::vector<fs::path> PlanOutputs(const FeaturesOptions& options) {
  if (options.out.empty() == options.out_dir.empty()) {
    throw ConfigError("give exactly one of --out FILE.npy (one input) or --out-dir DIR (any number of inputs)");
  }
  if (!options.out.empty()) {
    if (options.inputs.size() != 1) {
      throw ConfigError("--out takes one input, got " + std::to_string(options.inputs.size()) + "; use --out-dir DIR");
    }
    RefuseOutputOverInput(options.out, "--out", {{options.inputs.front(), "the audio input"}});
    return {fs::path(options.out)};
  }
  std::vector<fs::path> outputs = OutputsInDir(options.inputs, options.out_dir, ".npy");
  std::vector<std::pair<fs::path, std::string>> inputs;
  for (const auto& input : options.inputs) inputs.emplace_back(input, "an audio input");
  for (const fs::path& out : outputs) RefuseOutputOverInput(out, "--out-dir", inputs);
  return outputs;
}

int RunFeatures(const FeaturesOptions& options) {
  if (options.threads < 1) throw ConfigError("--threads " + std::to_string(options.threads) + ": expected >= 1");
  const features::FrontendConfig config = ResolveFrontend(options);
  const std::vector<fs::path> outputs = PlanOutputs(options);
  const features::Frontend frontend(config);
  if (!options.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(options.out_dir, ec);
    if (ec) throw OutputError(options.out_dir + ": cannot create directory: " + ec.message());
  }

  audio::DecodeOptions decode;
  decode.target_sample_rate = config.sample_rate;
  std::vector<FileResult> results(options.inputs.size());
  // One file: its frames are spread over the threads. Several files: one file per thread.
  const int threads_per_file = options.inputs.size() == 1 ? options.threads : 1;
  ParallelFor(options.inputs.size(), options.threads, [&](std::size_t i) {
    const fs::path input(options.inputs[i]);
    try {
      const audio::MonoAudio audio = audio::DecodeMono(input, decode);
      features::Spectrogram s;
      try {
        s = frontend.ComputeParallel(audio.samples.data(), audio.samples.size(), threads_per_file);
      } catch (const InputError& e) {
        throw InputError(input.string() + ": " + e.what());
      }
      SaveNpy(outputs[i], {s.n_mels, s.frames}, s.values.data());
      results[i].summary = Summarise(input, audio, s, config, outputs[i]);
    } catch (const Error& e) {
      results[i].error = e.what();
    } catch (const std::bad_alloc&) {
      results[i].error = input.string() + ": out of memory";
    }
  });

  int failed = 0;
  for (const auto& r : results) {
    if (r.error.empty()) {
      std::cout << r.summary << "\n";
    } else {
      std::cerr << "mer: error: " << r.error << "\n";
      ++failed;
    }
  }
  if (failed > 0 && results.size() > 1) {
    std::cerr << "mer: " << failed << " of " << results.size() << " files failed\n";
  }
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace

Command AddFeaturesCommand(CLI::App& parent) {
  auto options = std::make_shared<FeaturesOptions>();
  CLI::App* app = parent.add_subcommand("features", "Compute log-mel spectrograms of audio files as .npy [n_mels, frames]");
  app->add_option("audio", options->inputs, "Audio files (WAV, FLAC, Ogg Vorbis, Opus, MP3, ...)")->required();
  app->add_option("--out", options->out, "Output .npy for a single input");
  app->add_option("--out-dir", options->out_dir, "Output folder for any number of inputs (<stem>.npy each)");
  app->add_option("--config", options->config, "Config JSON whose `frontend` object is used");
  app->add_option("--set", options->overrides, "Override one frontend key, e.g. --set frontend.n_mels=64")
      ->allow_extra_args(false);
  app->add_option("--threads", options->threads, "Worker threads (default: all cores)");
  return {app, [options] { return RunFeatures(*options); }};
}

}  // namespace mer::cli
