// Streaming sample-rate conversion with libsoxr at "high quality" (SOXR_HQ: 20-bit precision, 91% bandwidth,
// linear phase), the resampler librosa uses by default (res_type="soxr_hq").
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace mer::audio {

class Resampler {
 public:
  Resampler(double input_rate, double output_rate);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Feeds `count` mono samples and appends whatever output is ready to *out.
  void Process(const float* input, std::size_t count, std::vector<float>* out);
  // Drains the filter's tail, then trims or zero-pads the end of *out so that this resampler has appended exactly
  // ceil(inputs * output_rate / input_rate) samples in all (librosa's length rule). Call once, last.
  void Finish(std::vector<float>* out);

  // One-shot convenience: the whole signal at once.
  static std::vector<float> Resample(const std::vector<float>& input, double input_rate, double output_rate);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mer::audio
