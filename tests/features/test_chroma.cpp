// The frontend's chroma rows (frontend.chroma = 12): against a float64 numpy implementation of their definition
// (tests/reference/make_chroma_golden.py), on musical signals whose pitch classes are known, and the config rules.
#include <algorithm>
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mer/core/error.h"
#include "mer/core/npy.h"
#include "mer/features/frontend.h"
#include "support/test_support.h"

namespace mer::features {
namespace {

using test::TestData;

nlohmann::json LoadManifest() {
  std::ifstream in(TestData("reference/chroma/cases.json"));
  return nlohmann::json::parse(in);
}

TEST(Chroma, MatchesNumpyFloat64) {
  const nlohmann::json manifest = LoadManifest();
  ASSERT_EQ(manifest["cases"].size(), 4u);
  for (const nlohmann::json& c : manifest["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const FrontendConfig config = c["frontend"].get<FrontendConfig>();
    const NpyArray input = LoadNpy(TestData("reference/frontend/" + c["input"].get<std::string>()));
    const NpyArray golden = LoadNpy(TestData("reference/chroma/" + c["name"].get<std::string>() + ".npy"));
    const Spectrogram s = Frontend(config).Compute(input.data);
    ASSERT_EQ(s.n_mels, config.n_mels + 12);
    ASSERT_EQ(golden.shape[0], 12);
    ASSERT_EQ(s.frames, golden.shape[1]);
    double worst = 0;
    for (int p = 0; p < 12; ++p) {
      for (int64_t t = 0; t < s.frames; ++t) {
        worst = std::max(worst, std::abs(double(s.at(config.n_mels + p, t)) - golden.data[p * s.frames + t]));
      }
    }
    EXPECT_LE(worst, 1e-4);
  }
}

std::vector<float> Tones(const std::vector<double>& hz, int sample_rate, double seconds) {
  std::vector<float> x(static_cast<std::size_t>(seconds * sample_rate));
  for (std::size_t i = 0; i < x.size(); ++i) {
    for (double f : hz) x[i] += static_cast<float>(0.2 * std::sin(2 * M_PI * f * i / sample_rate));
  }
  return x;
}

// The pitch classes whose mean chroma over the middle frames is at least half the largest.
std::vector<int> StrongClasses(const Spectrogram& s, int n_mels) {
  std::vector<int> strong;
  double mean[12] = {0}, peak = 0;
  for (int p = 0; p < 12; ++p) {
    for (int64_t t = 8; t < s.frames - 8; ++t) mean[p] += s.at(n_mels + p, t);
    peak = std::max(peak, mean[p]);
  }
  for (int p = 0; p < 12; ++p) {
    if (mean[p] >= 0.5 * peak) strong.push_back(p);
  }
  return strong;
}

TEST(Chroma, FindsThePitchClassesOfChords) {
  FrontendConfig config;
  config.chroma = 12;
  const Frontend frontend(config);
  // A4 alone; C major (C4 E4 G4); A minor an octave lower (A2 C3 E3); F#3 and its octave.
  EXPECT_EQ(StrongClasses(frontend.Compute(Tones({440.0}, 22050, 2)), 128), std::vector<int>({9}));
  EXPECT_EQ(StrongClasses(frontend.Compute(Tones({261.63, 329.63, 392.0}, 22050, 2)), 128),
            std::vector<int>({0, 4, 7}));
  EXPECT_EQ(StrongClasses(frontend.Compute(Tones({110.0, 130.81, 164.81}, 22050, 2)), 128),
            std::vector<int>({0, 4, 9}));
  EXPECT_EQ(StrongClasses(frontend.Compute(Tones({185.0, 370.0}, 22050, 2)), 128), std::vector<int>({6}));
}

TEST(Chroma, LeavesTheMelRowsAsTheyWere) {
  const std::vector<float> x = Tones({220.0, 555.0, 1234.5}, 22050, 1.5);
  FrontendConfig plain;
  FrontendConfig with = plain;
  with.chroma = 12;
  const Spectrogram a = Frontend(plain).Compute(x), b = Frontend(with).Compute(x);
  ASSERT_EQ(b.n_mels, a.n_mels + 12);
  ASSERT_EQ(a.frames, b.frames);
  EXPECT_TRUE(std::equal(a.values.begin(), a.values.end(), b.values.begin()));  // bitwise, top_db from mels only
  for (std::size_t i = a.values.size(); i < b.values.size(); ++i) {
    ASSERT_GE(b.values[i], 0.0f);
    ASSERT_LE(b.values[i], 1.0f);
  }
  // Threads do not change a value.
  const Spectrogram c = Frontend(with).ComputeParallel(x.data(), x.size(), 3);
  EXPECT_EQ(b.values, c.values);
}

TEST(Chroma, SilenceIsZeroNotNan) {
  FrontendConfig config;
  config.chroma = 12;
  const Spectrogram s = Frontend(config).Compute(std::vector<float>(22050, 0.0f));
  for (int p = 0; p < 12; ++p) EXPECT_EQ(s.at(128 + p, 10), 0.0f);
}

std::string ErrorOf(const nlohmann::json& frontend) {
  try {
    frontend.get<FrontendConfig>();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Chroma, ConfigRules) {
  EXPECT_NE(ErrorOf({{"chroma", 7}}).find("frontend.chroma"), std::string::npos);
  EXPECT_NE(ErrorOf({{"chroma", 12}, {"chroma_fmin", 60}, {"chroma_fmax", 70}}).find("all 12 pitch classes"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"chroma", 12}, {"chroma_fmax", 20000}}).find("frontend.chroma_fmax"), std::string::npos);
  EXPECT_NE(ErrorOf({{"chroma", 12}, {"chroma_n_fft", 100}}).find("frontend.chroma_n_fft"), std::string::npos);
  EXPECT_EQ(ErrorOf({{"chroma", 12}}), "");
  // Without chroma the resolved frontend has no chroma keys (feature-cache keys of older runs stay valid); with it,
  // all four, and they read back.
  EXPECT_FALSE(nlohmann::json(FrontendConfig{}).contains("chroma"));
  FrontendConfig on;
  on.chroma = 12;
  on.chroma_fmin = 80;
  const nlohmann::json j = on;
  EXPECT_EQ(j.at("chroma"), 12);
  const FrontendConfig back = j.get<FrontendConfig>();
  EXPECT_EQ(back.chroma, 12);
  EXPECT_EQ(back.chroma_fmin, 80);
  EXPECT_EQ(back.NumRows(), 140);
}

}  // namespace
}  // namespace mer::features
