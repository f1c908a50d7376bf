// mer embed and mer predict --tags from the command line (the networks' equality with the authors' extractor is
// test_musicnn.cpp): outputs against the authors' references, the list mode's resume, and one-line errors for bad
// models, layers and weight files, before any audio is read.
#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mer/core/npy.h"
#include "mer/models/pretrained.h"
#include "musicnn_reference.h"
#include "support/test_support.h"

namespace mer {
namespace {

namespace fs = std::filesystem;
using test::MaxDifference;
using test::MusicnnReference;
using test::Q;
using test::RunMer;

constexpr double kTolerance = 1e-4;

TEST(MusicnnCli, EmbedWritesPatchesAndTrackMeanEqualToTheAuthors) {
  MER_REQUIRE_SHARED(a16, "datasets/4Q/Q1/MT0013621344.opus");
  MER_REQUIRE_SHARED(a24, "datasets/4Q/Q4/MT0011051663.opus");
  test::TempDir dir;
  const auto r = RunMer("embed --model msd_musicnn " + Q(a16) + " " + Q(a24) + " --out-dir " + Q(dir / "emb"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("MT0013621344.opus: 3 patches x 200 (msd_musicnn penultimate)"), std::string::npos) << r.out;
  const NpyArray patches = LoadNpy(dir / "emb/MT0013621344.npy"), mean = LoadNpy(dir / "emb/MT0013621344.mean.npy");
  const NpyArray expected = LoadNpy(MusicnnReference("4q_16k_10s.msd_musicnn.penultimate.npy"));
  EXPECT_LE(MaxDifference(expected, patches.data.data(), patches.shape), kTolerance);
  ASSERT_EQ(mean.shape, (std::vector<int64_t>{200}));
  for (int d = 0; d < 200; ++d) {
    const double m = (expected.data[d] + expected.data[200 + d] + expected.data[400 + d]) / 3.0;
    EXPECT_NEAR(mean.data[static_cast<std::size_t>(d)], m, kTolerance);
  }
  const auto layer = RunMer("embed --model mtt_vgg --layer taggram " + Q(a24) + " --out-dir " + Q(dir / "vgg"));
  ASSERT_EQ(layer.exit_code, 0) << layer.err;
  const NpyArray tags = LoadNpy(dir / "vgg/MT0011051663.npy");
  EXPECT_LE(MaxDifference(LoadNpy(MusicnnReference("4q_24k_25s.mtt_vgg.taggram.npy")), tags.data.data(), tags.shape), kTolerance);
}

TEST(MusicnnCli, EmbedListIsResumable) {
  MER_REQUIRE_SHARED(a16, "datasets/4Q/Q1/MT0013621344.opus");
  MER_REQUIRE_SHARED(a48, "datasets/4Q/Q2/MT0002385077.opus");
  test::TempDir dir;
  test::WriteBytes(dir / "list.txt", a16.string() + "\n" + (dir / "missing.mp3").string() + "\n" + a48.string() + "\n");
  const auto first = RunMer("embed --model mtt_musicnn --layer mean_pool --list " + Q(dir / "list.txt") + " --out " + Q(dir / "emb.jsonl"));
  EXPECT_EQ(first.exit_code, 1) << first.err;  // the missing file is a line with its error; the others are embedded
  std::ifstream in(dir / "emb.jsonl");
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[1].contains("error"));
  EXPECT_EQ(lines[0]["patches"], 3);
  EXPECT_EQ(lines[0]["layer"], "mean_pool");
  const NpyArray expected = LoadNpy(MusicnnReference("4q_16k_10s.mtt_musicnn.mean_pool.npy"));
  ASSERT_EQ(lines[0]["mean"].size(), 753u);
  for (int d = 0; d < 753; d += 50) {
    const double m = (expected.data[d] + expected.data[753 + d] + expected.data[1506 + d]) / 3.0;
    EXPECT_NEAR(lines[0]["mean"][static_cast<std::size_t>(d)].get<double>(), m, kTolerance);
  }
  const auto again = RunMer("embed --model mtt_musicnn --layer mean_pool --list " + Q(dir / "list.txt") + " --out " + Q(dir / "emb.jsonl"));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("3 songs in the list, 3 already in"), std::string::npos) << again.err;
}

TEST(MusicnnCli, PredictTagsPrintsTheTopTagsOfTheMeanTaggram) {
  MER_REQUIRE_SHARED(a16, "datasets/4Q/Q1/MT0013621344.opus");
  const auto r = RunMer("predict --tags msd_musicnn --top 3 --json " + Q(a16));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json song = nlohmann::json::parse(r.out)[0];
  const NpyArray taggram = LoadNpy(MusicnnReference("4q_16k_10s.msd_musicnn.taggram.npy"));
  const nlohmann::json manifest = test::ReadJson(MusicnnReference("manifest.json"));
  const auto& names = manifest["tags"]["msd_musicnn"];
  std::vector<std::pair<double, std::string>> ranked;
  for (int k = 0; k < 50; ++k) {
    ranked.push_back({-(taggram.data[k] + taggram.data[50 + k] + taggram.data[100 + k]) / 3.0, names[k].get<std::string>()});
  }
  std::sort(ranked.begin(), ranked.end());
  for (int k = 0; k < 3; ++k) EXPECT_EQ(song["top"][k], ranked[static_cast<std::size_t>(k)].second) << r.out;
  EXPECT_NEAR(song["tags"][ranked[0].second].get<double>(), -ranked[0].first, kTolerance);
  const auto text = RunMer("predict --tags mtt_musicnn " + Q(a16));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Top3 tags (mtt_musicnn, 3 patches):\n - "), std::string::npos) << text.out;
}

TEST(MusicnnCli, BadModelsLayersAndWeightFilesAreOneLineBeforeAnyAudio) {
  test::TempDir dir;
  const std::string missing_audio = " " + Q(dir / "no_such_song.mp3") + " --out-dir " + Q(dir / "out");
  const auto unknown = RunMer("embed --model msd_musicnnn" + missing_audio);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "mer: config error: pretrained model \"msd_musicnnn\" does not exist; choose one of mtt_musicnn, "
                         "msd_musicnn, mtt_vgg, msd_vgg\n");
  const auto layer = RunMer("embed --model msd_vgg --layer penultimate" + missing_audio);
  EXPECT_EQ(layer.exit_code, 2);
  EXPECT_EQ(layer.err, "mer: config error: --layer penultimate: msd_vgg has no such layer; choose one of taggram, pool5\n");
  const auto tags = RunMer("predict --tags nope " + Q(dir / "no_such_song.mp3"));
  EXPECT_EQ(tags.exit_code, 2);

  // Weight files: missing, cut short, another network's, not safetensors at all.
  const std::string weights = test::ReadBytes(models::FindPretrained("msd_musicnn").WeightsFile());
  fs::create_directories(dir / "cut");
  test::WriteBytes(dir / "cut/msd_musicnn.safetensors", weights.substr(0, weights.size() / 2));
  fs::create_directories(dir / "foreign");
  fs::copy_file(models::FindPretrained("msd_vgg").WeightsFile(), dir / "foreign/msd_musicnn.safetensors");
  fs::create_directories(dir / "junk");
  test::WriteBytes(dir / "junk/msd_musicnn.safetensors", "{\"not\": \"weights\"}");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", "msd_musicnn.safetensors: not found"},
      {"cut", "lies outside the file's"},
      {"foreign", "not a weight file of scripts/import_musicnn.py for a musicnn network"},
      {"junk", "runs past the end of the file"}};
  for (const auto& [folder, why] : cases) {
    fs::create_directories(dir / folder);
    const auto r = RunMer("embed --model msd_musicnn" + missing_audio, "MER_PRETRAINED_DIR=" + Q(dir / folder));
    EXPECT_EQ(r.exit_code, 1) << folder;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find((dir / folder / "msd_musicnn.safetensors").string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("no_such_song"), std::string::npos) << "the audio was read before the weights: " << r.err;
  }
}

}  // namespace
}  // namespace mer
