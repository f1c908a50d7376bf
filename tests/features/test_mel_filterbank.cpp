#include <cmath>

#include <gtest/gtest.h>

#include "mer/features/mel_filterbank.h"

namespace mer::features {
namespace {

TEST(MelScale, SlaneyAndHtkKnownValues) {
  // librosa.hz_to_mel(1000) = 15 (Slaney's break point), hz_to_mel(440) = 6.6, htk: 2595 log10(1 + f / 700).
  EXPECT_NEAR(HzToMel(1000.0, "slaney"), 15.0, 1e-12);
  EXPECT_NEAR(HzToMel(440.0, "slaney"), 6.6, 1e-12);
  EXPECT_NEAR(HzToMel(4000.0, "slaney"), 15.0 + std::log(4.0) / (std::log(6.4) / 27.0), 1e-9);
  EXPECT_NEAR(HzToMel(1000.0, "htk"), 999.9855371, 1e-6);
  for (double hz : {0.0, 123.4, 999.0, 1000.0, 5000.0, 11025.0}) {
    EXPECT_NEAR(MelToHz(HzToMel(hz, "slaney"), "slaney"), hz, 1e-9);
    EXPECT_NEAR(MelToHz(HzToMel(hz, "htk"), "htk"), hz, 1e-9);
  }
}

TEST(MelFilterbank, SparseEqualsDenseAndSlaneyNormalisesArea) {
  const MelFilterbank fb(22050, 2048, 128, 0.0, 11025.0, "slaney", "slaney");
  EXPECT_EQ(fb.n_mels(), 128);
  EXPECT_EQ(fb.n_freqs(), 1025);
  EXPECT_EQ(fb.FirstEmptyBand(), -1);
  const std::vector<float> dense = fb.Dense();
  std::vector<float> spectrum(1025);
  for (int k = 0; k < 1025; ++k) spectrum[k] = std::cos(0.01 * k) + 1.5f;
  std::vector<float> mel(128);
  fb.Apply(spectrum.data(), mel.data());
  for (int m = 0; m < 128; ++m) {
    double expected = 0;
    for (int k = 0; k < 1025; ++k) expected += double(dense[m * 1025 + k]) * spectrum[k];
    EXPECT_NEAR(mel[m], expected, 1e-5 * std::abs(expected));
  }
  // Slaney norm: the triangle's area in Hz is 1 (weight 2 / width times half the width), up to bin sampling.
  const double bin_hz = 22050.0 / 2048;
  for (int m = 40; m < 128; m += 20) {
    double area = 0;
    for (int k = 0; k < 1025; ++k) area += dense[m * 1025 + k] * bin_hz;
    EXPECT_NEAR(area, 1.0, 0.03) << "band " << m;
  }
}

TEST(MelFilterbank, EmptyBandsAreReported) {
  // 128 bands over 0-11 kHz with 86 Hz FFT bins: the low triangles fall between bins.
  const MelFilterbank fb(22050, 256, 128, 0.0, 11025.0, "slaney", "slaney");
  EXPECT_GE(fb.FirstEmptyBand(), 0);
}

}  // namespace
}  // namespace mer::features
