// Times mer's log-mel frontend on decoded audio, excluding process start and decoding:
//   mer_bench_frontend [--threads N] [--repeats R] FILE...
// Prints one JSON line: seconds of audio, ms per second of audio for the full frontend and for the FFTs alone.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "mer/audio/decoder.h"
#include "mer/core/error.h"
#include "mer/features/frontend.h"

int main(int argc, char** argv) {
  CLI::App app{"Benchmark the log-mel frontend"};
  std::vector<std::string> files;
  int threads = 1, repeats = 5;
  app.add_option("files", files, "Audio files")->required();
  app.add_option("--threads", threads, "Threads per file");
  app.add_option("--repeats", repeats, "Timed repetitions (the best is reported)");
  CLI11_PARSE(app, argc, argv);
  try {
    const mer::features::FrontendConfig config;  // librosa defaults
    const mer::features::Frontend frontend(config);
    mer::audio::DecodeOptions decode;
    decode.target_sample_rate = config.sample_rate;
    std::vector<std::vector<float>> signals;
    double audio_seconds = 0.0;
    for (const auto& f : files) {
      signals.push_back(mer::audio::DecodeMono(f, decode).samples);
      audio_seconds += double(signals.back().size()) / config.sample_rate;
    }
    using Clock = std::chrono::steady_clock;
    const auto best_of = [&](auto&& body) {
      double best = 1e300;
      body();  // warm-up: plans, page faults
      for (int r = 0; r < repeats; ++r) {
        const auto start = Clock::now();
        body();
        best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
      }
      return best;
    };
    double checksum = 0.0;
    const double frontend_s = best_of([&] {
      for (const auto& s : signals) checksum += frontend.ComputeParallel(s.data(), s.size(), threads).values[0];
    });
    const double fft_s = best_of([&] {
      for (const auto& s : signals) frontend.RunFftsOnly(s.data(), s.size());
    });
    nlohmann::json result = {{"audio_seconds", audio_seconds},
                             {"threads", threads},
                             {"mer_ms_per_audio_s", 1000.0 * frontend_s / audio_seconds},
                             {"fft_only_ms_per_audio_s", 1000.0 * fft_s / audio_seconds},
                             {"checksum", checksum}};
    std::cout << result.dump() << "\n";
  } catch (const mer::Error& e) {
    std::cerr << "mer_bench_frontend: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
