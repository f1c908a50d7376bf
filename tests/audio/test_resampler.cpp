#include <cmath>

#include <gtest/gtest.h>

#include "mer/audio/resampler.h"
#include "support/test_support.h"

namespace mer::audio {
namespace {

struct ToneCase {
  int from, to;
  double frequency;
};

class ResampleTone : public ::testing::TestWithParam<ToneCase> {};

TEST_P(ResampleTone, KeepsFrequencyAndLevel) {
  const ToneCase c = GetParam();
  const std::vector<float> in = test::Sine(c.frequency, c.from, 2.0, 0.5);
  const std::vector<float> out = Resampler::Resample(in, c.from, c.to);
  EXPECT_EQ(out.size(), static_cast<std::size_t>(std::ceil(in.size() * double(c.to) / c.from)));
  EXPECT_NEAR(test::ZeroCrossingFrequency(out, c.to), c.frequency, 0.01);
  const double level_db = 20 * std::log10(test::Rms(out, out.size() / 4, 3 * out.size() / 4) /
                                          test::Rms(in, in.size() / 4, 3 * in.size() / 4));
  EXPECT_NEAR(level_db, 0.0, 0.01);
}

INSTANTIATE_TEST_SUITE_P(Rates, ResampleTone,
                         ::testing::Values(ToneCase{44100, 22050, 1000.0}, ToneCase{48000, 16000, 1000.0},
                                           ToneCase{48000, 16000, 3500.0}, ToneCase{22050, 44100, 2500.0}));

TEST(Resampler, RemovesContentAboveTheNewNyquist) {
  const std::vector<float> in = test::Sine(15000, 44100, 1.0, 0.5);
  const std::vector<float> out = Resampler::Resample(in, 44100, 22050);
  EXPECT_LT(test::Rms(out, out.size() / 4, 3 * out.size() / 4), 0.5 * 1e-4);  // below -80 dB
}

TEST(Resampler, StreamingInChunksEqualsOneShot) {
  const std::vector<float> in = test::WhiteNoise(44100, 3.0, 0.5, 9);
  const std::vector<float> whole = Resampler::Resample(in, 44100, 22050);
  Resampler streaming(44100, 22050);
  std::vector<float> out;
  for (std::size_t start = 0; start < in.size(); start += 777) {
    streaming.Process(in.data() + start, std::min<std::size_t>(777, in.size() - start), &out);
  }
  streaming.Finish(&out);
  EXPECT_EQ(out, whole);
}

}  // namespace
}  // namespace mer::audio
