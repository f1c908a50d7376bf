// The musicnn references (tests/reference/musicnn/, made by tests/reference/make_musicnn_golden.py from real music in
// ../shared with the authors' extractor), shared by test_musicnn.cpp and test_musicnn_cli.cpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mer/core/npy.h"
#include "support/test_support.h"

namespace mer::test {

// The inputs: name -> path under ../shared (4Q Opus at 16, 24 and 48 kHz; 1000 Songs MP3 at 44.1 kHz).
inline const std::vector<std::pair<std::string, std::string>>& MusicnnInputs() {
  static const std::vector<std::pair<std::string, std::string>> inputs = {
      {"4q_16k_10s", "datasets/4Q/Q1/MT0013621344.opus"},
      {"4q_24k_25s", "datasets/4Q/Q4/MT0011051663.opus"},
      {"4q_48k_27s", "datasets/4Q/Q2/MT0002385077.opus"},
      {"clip10_45s", "datasets/emoMusic/audio/clips_45seconds/10.mp3"},
      {"clip2_45s", "datasets/emoMusic/audio/clips_45seconds/2.mp3"}};
  return inputs;
}

inline fs::path MusicnnReference(const std::string& name) { return TestData("reference/musicnn/" + name); }

// Largest |a - b| over two [P, dims] arrays of equal shape.
inline double MaxDifference(const NpyArray& expected, const float* actual, const std::vector<int64_t>& shape) {
  EXPECT_EQ(expected.shape, shape);
  if (expected.shape != shape) return INFINITY;
  double worst = 0;
  for (std::size_t i = 0; i < expected.data.size(); ++i) worst = std::max(worst, std::fabs(double(expected.data[i]) - actual[i]));
  return worst;
}

}  // namespace mer::test
