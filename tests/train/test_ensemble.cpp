// An ensemble's prediction is the mean of its members' (track and every window); a member's failure on a file is
// that file's error; members that predict other outputs or other windows are refused, naming both runs.
#include <gtest/gtest.h>

#include "mer/core/error.h"
#include "mer/train/ensemble.h"

namespace mer::train {
namespace {

TrackPrediction Prediction(const std::string& file, std::vector<double> track, std::vector<std::vector<double>> curve) {
  TrackPrediction p;
  p.file = file;
  p.names = {"Q1", "Q2"};
  p.classification = true;
  p.track = std::move(track);
  for (std::size_t w = 0; w < curve.size(); ++w) p.times.push_back(2.5 + 5.0 * static_cast<double>(w));
  p.curve = std::move(curve);
  return p;
}

const std::vector<std::filesystem::path> kRuns = {"runs/a", "runs/b", "runs/c"};

TEST(Ensemble, MeanOfTheMembersTrackAndWindows) {
  const std::vector<std::vector<TrackPrediction>> members = {
      {Prediction("x.mp3", {0.9, 0.1}, {{1.0, 0.0}, {0.8, 0.2}}), Prediction("y.mp3", {0.2, 0.8}, {{0.2, 0.8}})},
      {Prediction("x.mp3", {0.3, 0.7}, {{0.4, 0.6}, {0.2, 0.8}}), Prediction("y.mp3", {0.5, 0.5}, {{0.5, 0.5}})},
      {Prediction("x.mp3", {0.6, 0.4}, {{0.7, 0.3}, {0.5, 0.5}}), Prediction("y.mp3", {0.2, 0.8}, {{0.2, 0.8}})}};
  const std::vector<TrackPrediction> mean = MeanOfMembers(members, kRuns);
  ASSERT_EQ(mean.size(), 2u);
  EXPECT_EQ(mean[0].file, "x.mp3");
  EXPECT_NEAR(mean[0].track[0], 0.6, 1e-12);
  EXPECT_NEAR(mean[0].track[1], 0.4, 1e-12);
  EXPECT_NEAR(mean[0].curve[0][0], 0.7, 1e-12);
  EXPECT_NEAR(mean[0].curve[1][1], 0.5, 1e-12);
  EXPECT_NEAR(mean[1].track[0], 0.3, 1e-12);
  EXPECT_EQ(mean[0].MostProbable(mean[0].track), "Q1");
  EXPECT_EQ(mean[0].times, members[0][0].times);
  EXPECT_EQ(MeanOfMembers({members[1]}, {kRuns[1]})[0].track, members[1][0].track);  // one member: as it is
}

TEST(Ensemble, AFileThatFailedForAMemberKeepsThatError) {
  TrackPrediction failed;
  failed.file = "y.mp3";
  failed.error = "y.mp3: not an audio file";
  const std::vector<TrackPrediction> mean = MeanOfMembers(
      {{Prediction("x.mp3", {0.9, 0.1}, {{0.9, 0.1}}), Prediction("y.mp3", {0.2, 0.8}, {{0.2, 0.8}})},
       {Prediction("x.mp3", {0.3, 0.7}, {{0.3, 0.7}}), failed}},
      kRuns);
  EXPECT_TRUE(mean[0].error.empty());
  EXPECT_NEAR(mean[0].track[0], 0.6, 1e-12);
  EXPECT_EQ(mean[1].error, "y.mp3: not an audio file");
  EXPECT_TRUE(mean[1].track.empty());
  EXPECT_TRUE(mean[1].curve.empty());
}

TEST(Ensemble, MembersWithOtherOutputsOrWindowsAreRefused) {
  const TrackPrediction x = Prediction("x.mp3", {0.9, 0.1}, {{0.9, 0.1}, {0.9, 0.1}});
  TrackPrediction renamed = x;
  renamed.names = {"Q1", "Q3"};
  TrackPrediction longer_windows = Prediction("x.mp3", {0.9, 0.1}, {{0.9, 0.1}});
  const auto error = [&](const TrackPrediction& other) -> std::string {
    try {
      MeanOfMembers({{x}, {other}}, kRuns);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error(renamed), "--run runs/b and --run runs/a predict different outputs: an ensemble's runs must agree");
  EXPECT_EQ(error(longer_windows),
            "--run runs/b and --run runs/a window the audio differently (model.input_frames): an ensemble's runs must "
            "agree");
  EXPECT_EQ(error(x), "");
}

}  // namespace
}  // namespace mer::train
