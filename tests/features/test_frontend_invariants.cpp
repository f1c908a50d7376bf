// Invariants of the frontend that need no reference: silence, tones in the right band, finiteness, padding rule
// for short clips, and bitwise equality of parallel and serial computation.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>

#include "mer/core/error.h"
#include "mer/features/frontend.h"
#include "support/test_support.h"

namespace mer::features {
namespace {

using test::Sine;
using test::WhiteNoise;

TEST(FrontendInvariants, SilenceGivesTheFloor) {
  FrontendConfig config;
  const std::vector<float> silence(22050, 0.0f);
  const Spectrogram db = Frontend(config).Compute(silence);
  EXPECT_EQ(db.frames, 44);
  for (float v : db.values) EXPECT_NEAR(v, -100.0f, 1e-4f);  // 10 log10(amin = 1e-10)
  config.log = "log1p";
  for (float v : Frontend(config).Compute(silence).values) EXPECT_EQ(v, 0.0f);
  config.log = "none";
  for (float v : Frontend(config).Compute(silence).values) EXPECT_EQ(v, 0.0f);
}

// The band whose triangle peaks at `hz` must hold the largest energy of a steady tone at `hz`.
void ExpectToneInBand(FrontendConfig config, int band) {
  const double mel_min = HzToMel(config.fmin, config.mel_scale);
  const double mel_max = HzToMel(config.EffectiveFmax(), config.mel_scale);
  const double hz = MelToHz(mel_min + (mel_max - mel_min) * (band + 1) / (config.n_mels + 1), config.mel_scale);
  const Spectrogram s = Frontend(config).Compute(Sine(hz, config.sample_rate, 1.0));
  for (int64_t t = 2; t < s.frames - 2; ++t) {  // frames away from the edges
    int best = 0;
    for (int m = 1; m < s.n_mels; ++m) {
      if (s.at(m, t) > s.at(best, t)) best = m;
    }
    ASSERT_EQ(best, band) << "tone at " << hz << " Hz, frame " << t << " (" << config.mel_scale << ")";
  }
}

TEST(FrontendInvariants, PureTonePeaksInItsMelBand) {
  FrontendConfig config;
  for (int band : {20, 45, 80, 110}) ExpectToneInBand(config, band);
  config.mel_scale = "htk";
  config.norm = "none";
  config.n_mels = 64;
  for (int band : {10, 30, 55}) ExpectToneInBand(config, band);
  config = FrontendConfig();
  config.sample_rate = 16000;
  config.n_fft = 512;
  config.hop_length = 160;
  config.n_mels = 40;
  for (int band : {5, 20, 35}) ExpectToneInBand(config, band);
}

TEST(FrontendInvariants, OutputIsAlwaysFinite) {
  FrontendConfig config;
  for (const std::string log : {"db", "log1p", "none"}) {
    config.log = log;
    const Frontend frontend(config);
    for (double amplitude : {1e-30, 1e-6, 1.0, 1e4}) {
      const Spectrogram s = frontend.Compute(WhiteNoise(22050, 0.5, amplitude, 7));
      for (float v : s.values) ASSERT_TRUE(std::isfinite(v)) << log << " amplitude " << amplitude;
    }
  }
}

TEST(FrontendInvariants, TopDbFloorsEightyDecibelsBelowThePeak) {
  FrontendConfig config;
  std::vector<float> x = Sine(1000, 22050, 1.0, 0.9);
  std::fill(x.begin() + 11025, x.end(), 0.0f);  // half tone, half silence: a > 80 dB range
  const Spectrogram s = Frontend(config).Compute(x);
  const auto [lo, hi] = std::minmax_element(s.values.begin(), s.values.end());
  EXPECT_NEAR(*hi - *lo, 80.0f, 1e-3f);
  config.top_db.reset();
  const Spectrogram open = Frontend(config).Compute(x);
  EXPECT_NEAR(*std::min_element(open.values.begin(), open.values.end()), -100.0f, 1e-4f);
}

TEST(FrontendInvariants, FrameCountsFollowLibrosa) {
  FrontendConfig config;
  const Frontend centred(config);
  EXPECT_EQ(centred.Compute(std::vector<float>(22050, 0.1f)).frames, 1 + 22050 / 512);
  EXPECT_EQ(centred.Compute(std::vector<float>(512, 0.1f)).frames, 2);
  config.center = false;
  EXPECT_EQ(Frontend(config).Compute(std::vector<float>(22050, 0.1f)).frames, 1 + (22050 - 2048) / 512);
}

TEST(FrontendInvariants, ClipsShorterThanOneFrameArePaddedNotRejected) {
  FrontendConfig config;
  const std::vector<float> tiny = Sine(440, 22050, 0.001);  // 22 samples
  EXPECT_EQ(Frontend(config).Compute(tiny).frames, 1);       // centred: 1 + n / hop
  config.pad_mode = "reflect";
  const Spectrogram reflected = Frontend(config).Compute(tiny);
  EXPECT_EQ(reflected.frames, 1);
  for (float v : reflected.values) EXPECT_TRUE(std::isfinite(v));
  config.center = false;  // librosa raises here; mer zero-pads the clip to n_fft and yields one frame
  const Spectrogram padded = Frontend(config).Compute(tiny);
  EXPECT_EQ(padded.frames, 1);
  std::vector<float> explicit_pad(tiny);
  explicit_pad.resize(2048, 0.0f);
  EXPECT_EQ(padded.values, Frontend(config).Compute(explicit_pad).values);
  EXPECT_THROW(Frontend(config).Compute(std::vector<float>()), InputError);
}

TEST(FrontendInvariants, ParallelFramesAreBitwiseEqualToSerial) {
  FrontendConfig config;
  const Frontend frontend(config);
  const std::vector<float> x = WhiteNoise(22050, 20.0, 0.3, 11);
  const Spectrogram serial = frontend.Compute(x);
  for (int threads : {2, 3, 8}) {
    EXPECT_EQ(frontend.ComputeParallel(x.data(), x.size(), threads).values, serial.values) << threads << " threads";
  }
}

TEST(FrontendInvariants, OneFrontendServesManyThreadsAtOnce) {
  FrontendConfig config;
  config.n_fft = 1024;
  const Frontend frontend(config);
  std::vector<std::vector<float>> inputs;
  for (unsigned i = 0; i < 6; ++i) inputs.push_back(WhiteNoise(22050, 3.0, 0.2, 100 + i));
  std::vector<Spectrogram> parallel(inputs.size());
  std::vector<std::thread> pool;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    pool.emplace_back([&, i] { parallel[i] = frontend.Compute(inputs[i]); });
  }
  for (auto& t : pool) t.join();
  for (std::size_t i = 0; i < inputs.size(); ++i) EXPECT_EQ(parallel[i].values, frontend.Compute(inputs[i]).values);
}

// FFTW's planner is not thread-safe: frontends of FFT sizes no other test uses are constructed (their plans made)
// by threads released together, several threads per size, and each must compute what one made alone computes.
TEST(FrontendInvariants, PlansMadeWhileThreadsRaceAreCorrect) {
  const std::vector<int> sizes = {600, 700, 800, 900};  // planned by no other test
  const std::vector<float> x = WhiteNoise(22050, 1.0, 0.2, 7);
  constexpr int kThreadsPerSize = 3;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<Spectrogram> raced(sizes.size() * kThreadsPerSize);
  std::vector<std::thread> pool;
  for (std::size_t k = 0; k < raced.size(); ++k) {
    pool.emplace_back([&, k] {
      ++ready;
      while (!go) std::this_thread::yield();
      FrontendConfig config;
      config.n_fft = sizes[k % sizes.size()];
      config.hop_length = config.n_fft / 4;
      raced[k] = Frontend(config).Compute(x);
    });
  }
  while (ready < static_cast<int>(pool.size())) std::this_thread::yield();
  go = true;
  for (auto& t : pool) t.join();
  for (std::size_t k = 0; k < raced.size(); ++k) {
    FrontendConfig config;
    config.n_fft = sizes[k % sizes.size()];
    config.hop_length = config.n_fft / 4;
    EXPECT_EQ(raced[k].values, Frontend(config).Compute(x).values) << "n_fft " << config.n_fft;
  }
}

// Values NumPy gives for np.float32(x).astype(np.float16) (numpy 1.26).
TEST(FrontendInvariants, RoundToHalfIsNumpysFloat16Cast) {
  EXPECT_EQ(RoundToHalf(1.0f / 3.0f), 0.333251953125f);
  EXPECT_EQ(RoundToHalf(2049.0f), 2048.0f);  // a tie: to the even neighbour
  EXPECT_EQ(RoundToHalf(2051.0f), 2052.0f);
  EXPECT_EQ(RoundToHalf(65519.0f), 65504.0f);
  EXPECT_TRUE(std::isinf(RoundToHalf(65520.0f)));
  EXPECT_EQ(RoundToHalf(1e-8f), 0.0f);                 // below half the smallest subnormal (2^-25)
  EXPECT_EQ(RoundToHalf(4e-8f), 5.960464477539063e-08f);  // the smallest subnormal, 2^-24
  EXPECT_EQ(RoundToHalf(-6.1e-5f), -6.09755516052246e-05f);
  EXPECT_EQ(RoundToHalf(0.0f), 0.0f);
}

// frontend.mel_precision float16: the mel power is rounded before the compression, nothing else changes.
TEST(FrontendInvariants, MelPrecisionFloat16RoundsThePowerBeforeTheLog) {
  FrontendConfig config;
  config.sample_rate = 16000;
  config.n_fft = 512;
  config.hop_length = 256;
  config.n_mels = 96;
  config.log = "none";
  const std::vector<float> tone = test::Sine(440.0, 16000, 1.0);
  const Spectrogram power = Frontend(config).Compute(tone);
  config.mel_precision = "float16";
  const Spectrogram rounded = Frontend(config).Compute(tone);
  ASSERT_EQ(power.values.size(), rounded.values.size());
  std::size_t changed = 0;
  for (std::size_t i = 0; i < power.values.size(); ++i) {
    EXPECT_EQ(rounded.values[i], RoundToHalf(power.values[i]));
    changed += rounded.values[i] != power.values[i];
  }
  EXPECT_GT(changed, power.values.size() / 2);
}

}  // namespace
}  // namespace mer::features
