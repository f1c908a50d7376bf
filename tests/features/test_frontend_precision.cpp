// The float32 frontend on real music against a float64 reference written here independently of mer's code (double
// Hann window, FFTW's double-precision transform, the librosa mel filterbank built and applied in double, double
// logarithm). Clips: real 4Q recordings from ../shared, decoded and resampled by mer itself, so the test measures the
// frontend alone. Bound: 8e-4 dB over the bins within 80 dB of each spectrogram's maximum. Measured on 20 4Q clips
// (scripts/bench-frontend-precision.sh): mer 5.0e-4 dB at worst, torchaudio 0.13's float32 MelSpectrogram 1.2e-3 dB
// (its filterbank is built in float32), the same float32 torch pipeline with a float64-built filterbank 4.6e-4 dB.
#include <algorithm>
#include <cmath>
#include <vector>

#include <fftw3.h>
#include <gtest/gtest.h>

#include "mer/audio/decoder.h"
#include "mer/features/frontend.h"
#include "support/test_support.h"

namespace mer::features {
namespace {

constexpr double kToleranceDb = 8e-4;
constexpr double kRangeDb = 80.0;

double Slaney(double hz) { return hz >= 1000.0 ? 15.0 + std::log(hz / 1000.0) / (std::log(6.4) / 27.0) : hz * 3.0 / 200.0; }
double InverseSlaney(double mel) {
  return mel >= 15.0 ? 1000.0 * std::exp(std::log(6.4) / 27.0 * (mel - 15.0)) : mel * 200.0 / 3.0;
}

// librosa.feature.melspectrogram + power_to_db (no top_db) in float64, centred frames with zero padding.
std::vector<double> ReferenceDb(const std::vector<float>& x, const FrontendConfig& c, int64_t* frames_out) {
  const int n_fft = c.n_fft, hop = c.hop_length, n_freqs = n_fft / 2 + 1, n_mels = c.n_mels;
  const int64_t n = static_cast<int64_t>(x.size()), frames = 1 + n / hop;
  std::vector<double> weights(static_cast<std::size_t>(n_mels) * n_freqs, 0.0);
  const double low = Slaney(c.fmin), high = Slaney(c.EffectiveFmax());
  for (int m = 0; m < n_mels; ++m) {
    const double f0 = InverseSlaney(low + (high - low) * m / (n_mels + 1));
    const double f1 = InverseSlaney(low + (high - low) * (m + 1) / (n_mels + 1));
    const double f2 = InverseSlaney(low + (high - low) * (m + 2) / (n_mels + 1));
    for (int k = 0; k < n_freqs; ++k) {
      const double f = c.sample_rate / 2.0 * k / (n_freqs - 1);
      const double w = std::max(0.0, std::min((f - f0) / (f1 - f0), (f2 - f) / (f2 - f1)));
      weights[static_cast<std::size_t>(m) * n_freqs + k] = w * 2.0 / (f2 - f0);
    }
  }
  std::vector<double> window(static_cast<std::size_t>(n_fft));
  for (int j = 0; j < n_fft; ++j) window[j] = 0.5 - 0.5 * std::cos(2.0 * M_PI * j / n_fft);
  double* in = fftw_alloc_real(static_cast<std::size_t>(n_fft));
  fftw_complex* out = fftw_alloc_complex(static_cast<std::size_t>(n_freqs));
  const fftw_plan plan = fftw_plan_dft_r2c_1d(n_fft, in, out, FFTW_ESTIMATE);
  std::vector<double> power(static_cast<std::size_t>(n_freqs));
  std::vector<double> db(static_cast<std::size_t>(n_mels) * frames);
  for (int64_t t = 0; t < frames; ++t) {
    for (int j = 0; j < n_fft; ++j) {
      const int64_t i = t * hop - n_fft / 2 + j;
      in[j] = (i >= 0 && i < n ? double(x[static_cast<std::size_t>(i)]) : 0.0) * window[j];
    }
    fftw_execute(plan);
    for (int k = 0; k < n_freqs; ++k) power[k] = out[k][0] * out[k][0] + out[k][1] * out[k][1];
    for (int m = 0; m < n_mels; ++m) {
      double sum = 0.0;
      for (int k = 0; k < n_freqs; ++k) sum += weights[static_cast<std::size_t>(m) * n_freqs + k] * power[k];
      db[static_cast<std::size_t>(m) * frames + t] = 10.0 * std::log10(std::max(1e-10, sum));
    }
  }
  fftw_destroy_plan(plan);
  fftw_free(in);
  fftw_free(out);
  *frames_out = frames;
  return db;
}

// Two clips of each quadrant folder (the first in name order), decoded by mer.
std::vector<std::filesystem::path> RealClips(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> clips;
  for (const char* quadrant : {"Q1", "Q2", "Q3", "Q4"}) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(root / quadrant)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (std::size_t i = 0; i < files.size() && i < 2; ++i) clips.push_back(files[i]);
  }
  return clips;
}

class FrontendPrecision : public ::testing::TestWithParam<int> {};

TEST_P(FrontendPrecision, RealMusicWithinBoundOfFloat64Reference) {
  MER_REQUIRE_SHARED(root, "datasets/4Q/Q1");
  FrontendConfig config;  // librosa's defaults, 22.05 kHz, n_fft 2048, hop 512
  config.n_mels = GetParam();
  const Frontend frontend(config);
  audio::DecodeOptions decode;
  decode.target_sample_rate = config.sample_rate;
  double worst_overall = 0.0;
  for (const auto& clip : RealClips(root.parent_path())) {
    const std::vector<float> x = audio::DecodeMono(clip, decode).samples;
    const Spectrogram ours = frontend.Compute(x);
    int64_t frames = 0;
    const std::vector<double> ref = ReferenceDb(x, config, &frames);
    ASSERT_EQ(ours.frames, frames) << clip;
    const double lowest = *std::max_element(ref.begin(), ref.end()) - kRangeDb;
    double worst = 0.0;
    std::size_t compared = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
      if (ref[i] < lowest) continue;
      ++compared;
      worst = std::max(worst, std::abs(double(ours.values[i]) - ref[i]));
    }
    EXPECT_GT(compared, ref.size() / 2) << clip;
    EXPECT_LE(worst, kToleranceDb) << clip << ": worst |mer - float64| = " << worst << " dB";
    worst_overall = std::max(worst_overall, worst);
  }
  std::cout << "n_mels " << GetParam() << ": worst |mer - float64| over 8 real clips = " << worst_overall << " dB\n";
}

INSTANTIATE_TEST_SUITE_P(Mels, FrontendPrecision, ::testing::Values(128, 96));

}  // namespace
}  // namespace mer::features
