// Writes a short synthetic song (chords, bass, kick and hi-hat) for the demo and the benchmarks:
//   mer_make_test_song OUT.{wav,flac,ogg,opus,mp3} [--seconds S] [--rate HZ] [--channels C] [--seed N]
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "mer/audio/writer.h"
#include "mer/core/error.h"

namespace {

std::vector<float> Synthesise(double seconds, int rate, int channels, unsigned seed) {
  const double pi = 3.14159265358979323846;
  const std::size_t frames = static_cast<std::size_t>(seconds * rate);
  std::vector<float> out(frames * static_cast<std::size_t>(channels), 0.0f);
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  // I - V - vi - IV in C major at 120 bpm, one chord per bar (2 s).
  const double chords[4][3] = {{261.63, 329.63, 392.00}, {196.00, 246.94, 293.66},
                               {220.00, 261.63, 329.63}, {174.61, 220.00, 261.63}};
  const double beat = 0.5;
  for (std::size_t i = 0; i < frames; ++i) {
    const double t = double(i) / rate;
    const int bar = static_cast<int>(t / 2.0) % 4;
    const double in_beat = std::fmod(t, beat);
    double left = 0.0, right = 0.0;
    for (int k = 0; k < 3; ++k) {
      const double f = chords[bar][k];
      const double tone = std::sin(2 * pi * f * t) + 0.3 * std::sin(2 * pi * 2 * f * t);
      (k % 2 ? left : right) += 0.12 * tone;
      (k % 2 ? right : left) += 0.06 * tone;
    }
    const double bass = 0.2 * std::sin(2 * pi * chords[bar][0] / 2 * t) * std::exp(-3 * in_beat);
    const double kick = 0.5 * std::sin(2 * pi * (50 + 100 * std::exp(-30 * in_beat)) * in_beat) * std::exp(-12 * in_beat);
    const double hat_phase = std::fmod(t + beat / 2, beat);
    const double hat = 0.05 * noise(rng) * std::exp(-60 * hat_phase);
    left += bass + kick + hat;
    right += bass + kick + hat;
    if (channels == 1) {
      out[i] = static_cast<float>(0.5 * (left + right));
    } else {
      for (int c = 0; c < channels; ++c) out[i * channels + c] = static_cast<float>(c % 2 ? right : left);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Write a synthetic test song"};
  std::string out;
  double seconds = 30.0;
  int rate = 44100, channels = 2;
  unsigned seed = 1;
  app.add_option("out", out, "Output file; the extension picks the container")->required();
  app.add_option("--seconds", seconds, "Length in seconds");
  app.add_option("--rate", rate, "Sample rate in Hz");
  app.add_option("--channels", channels, "Channel count");
  app.add_option("--seed", seed, "Noise seed");
  CLI11_PARSE(app, argc, argv);
  try {
    std::string ext = std::filesystem::path(out).extension().string();
    if (!ext.empty()) ext = ext.substr(1);
    const auto container = mer::audio::ContainerFromName(ext);
    mer::audio::WriteAudio(out, Synthesise(seconds, rate, channels, seed), channels, rate, container);
  } catch (const mer::Error& e) {
    std::cerr << "mer_make_test_song: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
