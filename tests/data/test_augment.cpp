// Each augmentation does what it says: gain in dB, noise at the SNR asked for, circular shift, time stretch that
// keeps the pitch, pitch shift that keeps the duration, SpecAugment masks within their limits, mixup as a convex
// combination with Beta(alpha, alpha) weights; deterministic per seed; the loader never augments evaluation data.
#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "mer/data/augment.h"
#include "mer/data/data_loader.h"
#include "support/test_support.h"

namespace mer::data {
namespace {

constexpr int kRate = 22050;

double Power(const std::vector<float>& x) {
  double p = 0;
  for (float v : x) p += double(v) * v;
  return p / static_cast<double>(x.size());
}

TEST(Augment, GainScalesByDecibels) {
  std::vector<float> x = test::Sine(440, kRate, 1.0, 0.25);
  const double before = test::Rms(x, 0, x.size());
  ApplyGain(&x, -6.0);
  EXPECT_NEAR(test::Rms(x, 0, x.size()) / before, std::pow(10.0, -6.0 / 20), 1e-6);
}

TEST(Augment, NoiseHasTheRequestedSnr) {
  std::mt19937_64 rng(7);
  for (const double snr : {0.0, 10.0, 30.0}) {
    const std::vector<float> clean = test::Sine(440, kRate, 4.0, 0.3);
    std::vector<float> noisy = clean;
    AddNoise(&noisy, snr, &rng);
    std::vector<float> noise(clean.size());
    for (std::size_t i = 0; i < clean.size(); ++i) noise[i] = noisy[i] - clean[i];
    EXPECT_NEAR(10 * std::log10(Power(clean) / Power(noise)), snr, 0.1) << snr;
  }
  std::vector<float> silence(1000, 0.0f);
  AddNoise(&silence, 10, &rng);
  EXPECT_EQ(Power(silence), 0.0);
}

TEST(Augment, TimeShiftIsCircular) {
  std::vector<float> x = {1, 2, 3, 4, 5};
  TimeShift(&x, 2);
  EXPECT_EQ(x, (std::vector<float>{4, 5, 1, 2, 3}));
  TimeShift(&x, -2);
  EXPECT_EQ(x, (std::vector<float>{1, 2, 3, 4, 5}));
}

TEST(Augment, TimeStretchChangesDurationNotPitch) {
  const std::vector<float> tone = test::Sine(440, kRate, 3.0, 0.5);
  for (const double rate : {0.8, 1.25}) {
    const std::vector<float> out = TimeStretch(tone, rate, kRate);
    EXPECT_NEAR(static_cast<double>(out.size()), tone.size() / rate, 2.0) << rate;
    EXPECT_NEAR(test::ZeroCrossingFrequency(out, kRate), 440.0, 440.0 * 0.01) << rate;
    EXPECT_NEAR(test::Rms(out, out.size() / 10, out.size() * 9 / 10), 0.5 / std::sqrt(2.0), 0.05) << rate;
  }
}

TEST(Augment, PitchShiftChangesPitchNotDuration) {
  const std::vector<float> tone = test::Sine(440, kRate, 3.0, 0.5);
  for (const double semitones : {12.0, -5.0, 2.0}) {
    const std::vector<float> out = PitchShift(tone, semitones, kRate);
    EXPECT_EQ(out.size(), tone.size());
    const double expected = 440.0 * std::pow(2.0, semitones / 12.0);
    EXPECT_NEAR(test::ZeroCrossingFrequency(out, kRate), expected, expected * 0.01) << semitones;
  }
}

TEST(Augment, WaveformPipelineIsSeededAndKeepsTheLength) {
  AugmentConfig c;
  c.gain_db = 6;
  c.noise_probability = 1;
  c.time_shift = 0.3;
  c.pitch_shift = 3;
  c.time_stretch = 0.2;
  const std::vector<float> crop = test::Sine(330, kRate, 1.2, 0.4);
  std::mt19937_64 a(5), b(5), other(6);
  const auto x = AugmentWaveform(crop, kRate, kRate, c, &a);
  EXPECT_EQ(x.size(), static_cast<std::size_t>(kRate));
  EXPECT_EQ(x, AugmentWaveform(crop, kRate, kRate, c, &b));
  EXPECT_NE(x, AugmentWaveform(crop, kRate, kRate, c, &other));
}

TEST(Augment, SpecAugmentMasksStayWithinTheirLimits) {
  AugmentConfig c;
  c.time_masks = 2;
  c.time_mask_width = 0.1;
  c.freq_masks = 2;
  c.freq_mask_width = 5;
  const int bands = 40;
  const int64_t frames = 200;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::vector<float> f(static_cast<std::size_t>(bands * frames), 1.0f);
    std::mt19937_64 rng(seed);
    SpecAugment(&f, bands, frames, c, &rng, -7.0f);
    int64_t masked_frames = 0, masked_bands = 0;
    for (int64_t t = 0; t < frames; ++t) {
      bool all = true;
      for (int m = 0; m < bands; ++m) all = all && f[static_cast<std::size_t>(m * frames + t)] == -7.0f;
      masked_frames += all;
    }
    for (int m = 0; m < bands; ++m) {
      bool all = true;
      for (int64_t t = 0; t < frames; ++t) all = all && f[static_cast<std::size_t>(m * frames + t)] == -7.0f;
      masked_bands += all;
    }
    EXPECT_LE(masked_frames, 2 * 20);  // two masks of at most 10% of 200 frames
    EXPECT_LE(masked_bands, 2 * 5);
    // Every masked value lies in a fully masked row or column.
    for (int m = 0; m < bands; ++m) {
      for (int64_t t = 0; t < frames; ++t) {
        if (f[static_cast<std::size_t>(m * frames + t)] != -7.0f) continue;
        bool column = true, row = true;
        for (int k = 0; k < bands; ++k) column = column && f[static_cast<std::size_t>(k * frames + t)] == -7.0f;
        for (int64_t k = 0; k < frames; ++k) row = row && f[static_cast<std::size_t>(m * frames + k)] == -7.0f;
        ASSERT_TRUE(column || row);
      }
    }
  }
}

TEST(Augment, MixupIsAConvexCombinationWithBetaWeights) {
  std::mt19937_64 rng(3);
  double mean = 0;
  for (int i = 0; i < 2000; ++i) {
    const MixupPlan plan = MakeMixupPlan(8, 0.4, &rng);
    ASSERT_GE(plan.lambda, 0.0);
    ASSERT_LE(plan.lambda, 1.0);
    mean += plan.lambda / 2000;
  }
  EXPECT_NEAR(mean, 0.5, 0.03);  // Beta(a, a) has mean 1/2
  const MixupPlan plan = MakeMixupPlan(3, 0.4, &rng);
  std::vector<float> rows = {1, 10, 2, 20, 3, 30};
  MixRows(rows.data(), 2, plan);
  for (std::size_t i = 0; i < 3; ++i) {
    const float own = static_cast<float>(i + 1), partner = static_cast<float>(plan.partner[i] + 1);
    EXPECT_NEAR(rows[i * 2], plan.lambda * own + (1 - plan.lambda) * partner, 1e-5);
    EXPECT_NEAR(rows[i * 2 + 1], 10 * (plan.lambda * own + (1 - plan.lambda) * partner), 1e-4);
  }
}

TEST(Augment, ConfigErrorsNameTheKey) {
  EXPECT_THROW(ParseAugmentConfig({{"gain_db", -1}}), ConfigError);
  try {
    ParseAugmentConfig({{"pitch_shift", 30}});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("augment.pitch_shift = 30"), std::string::npos) << e.what();
  }
  try {
    ParseAugmentConfig({{"specaugment", 1}});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown key 'augment.specaugment'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mer::data
