// The fixed log-mel frontend: audio samples -> [n_mels, frames] log-mel spectrogram (librosa's orientation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "mer/features/frontend_config.h"
#include "mer/features/mel_filterbank.h"
#include "mer/features/stft.h"

namespace mer::features {

struct Spectrogram {
  int n_mels = 0;             // rows: the mel bands, then the chroma rows when the frontend has them
  int chroma = 0;             // how many of the rows are chroma rows (the last ones)
  int64_t frames = 0;
  std::vector<float> values;  // [rows, frames], row-major; mel rows in dB, log10(1 + C S) or power per config.log
  float at(int mel, int64_t frame) const { return values[static_cast<std::size_t>(mel * frames + frame)]; }
};

// x rounded to the nearest IEEE 754 binary16 value (ties to even), as a float: NumPy's float32 -> float16 cast,
// used by frontend.mel_precision "float16". From 65520 up: infinity.
float RoundToHalf(float x);

class Frontend {
 public:
  // Validates the config (mer::ConfigError) and builds the filterbank and the FFT plan.
  explicit Frontend(const FrontendConfig& config);
  ~Frontend();

  const FrontendConfig& config() const { return config_; }
  const MelFilterbank& filterbank() const { return filterbank_; }

  // samples: mono at config().sample_rate. Thread-safe: one Frontend can serve many threads at once.
  // An empty signal is an error (mer::InputError); a short one follows StftLayout's padding rule.
  Spectrogram Compute(const float* samples, std::size_t n) const;
  Spectrogram Compute(const std::vector<float>& samples) const { return Compute(samples.data(), samples.size()); }

  // Same result, frames computed by up to `threads` threads (bitwise identical to Compute).
  Spectrogram ComputeParallel(const float* samples, std::size_t n, int threads) const;

  // Time of the FFTs alone over the frames Compute would take: the benchmark's lower bound.
  void RunFftsOnly(const float* samples, std::size_t n) const;

 private:
  void ComputeFrames(const float* samples, std::size_t n, int64_t begin, int64_t end, Spectrogram* out) const;
  void ApplyLog(Spectrogram* out) const;

  FrontendConfig config_;
  MelFilterbank filterbank_;
  std::unique_ptr<PowerSpectrogram> stft_;
  std::unique_ptr<PowerSpectrogram> chroma_stft_;  // null without chroma rows
  std::vector<int> chroma_classes_;                 // pitch class per chroma FFT bin, -1 = unused
};

}  // namespace mer::features
