// `mer features` end to end through the built binary: outputs, config and overrides, parallel == serial bytes,
// exit codes and one-line errors, and nothing the user had is lost when a run fails.
#include <algorithm>
#include <fstream>

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "mer/audio/writer.h"
#include "mer/core/npy.h"
#include "support/test_support.h"

namespace mer {
namespace {

using test::RunMer;
using test::TempDir;

using test::Q;

std::size_t CountLines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

void WriteSong(const std::filesystem::path& path, double frequency, double seconds = 2.0) {
  const auto ext = path.extension().string().substr(1);
  audio::WriteAudio(path, test::Sine(frequency, 44100, seconds, 0.4), 1, 44100, audio::ContainerFromName(ext));
}

TEST(CliFeatures, WritesLibrosaOrientedNpyAndASummary) {
  TempDir dir;
  WriteSong(dir / "song.wav", 440.0);
  const auto r = RunMer("features " + Q(dir / "song.wav") + " --out " + Q(dir / "song.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const NpyArray a = LoadNpy(dir / "song.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{128, 1 + 44100 / 512}));  // 2 s resampled to 22050 Hz
  EXPECT_NE(r.out.find("[128 x 87]"), std::string::npos) << r.out;
  EXPECT_EQ(CountLines(r.out), 1u);
}

TEST(CliFeatures, ConfigFileAndSetOverrides) {
  TempDir dir;
  WriteSong(dir / "song.flac", 440.0);
  std::ofstream(dir / "run.json") << R"({"frontend": {"n_mels": 64, "sample_rate": 16000, "hop_length": 160,
                                        "n_fft": 512}, "model": {"ignored": "by mer features"}})";
  auto r = RunMer("features " + Q(dir / "song.flac") + " --out " + Q(dir / "a.npy") + " --config " + Q(dir / "run.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(LoadNpy(dir / "a.npy").shape, (std::vector<int64_t>{64, 1 + 32000 / 160}));
  r = RunMer("features --set frontend.n_mels=32 --set frontend.mel_scale=htk " + Q(dir / "song.flac") + " --out " +
             Q(dir / "b.npy") + " --config " + Q(dir / "run.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(LoadNpy(dir / "b.npy").shape[0], 32);
}

TEST(CliFeatures, ConfigErrorsExitTwoWithOneLine) {
  TempDir dir;
  WriteSong(dir / "song.wav", 440.0);
  const std::string base = "features " + Q(dir / "song.wav") + " --out " + Q(dir / "x.npy");
  struct Case {
    std::string args, expected;
  };
  std::ofstream(dir / "bad.json") << R"({"frontend": {"hop": 3}})";
  const Case cases[] = {
      {base + " --set frontend.fmax=20000", "frontend.fmax = 20000"},
      {base + " --set frontend.hop_length=0", "frontend.hop_length = 0"},
      {base + " --set frontend.colour=blue", "unknown key 'frontend.colour'"},
      {base + " --set data.root=x", "only takes frontend.KEY=VALUE"},
      {base + " --config " + Q(dir / "bad.json"), "bad.json: unknown key 'frontend.hop'"},
      {base + " --config " + Q(dir / "none.json"), "config file not found"},
      {"features " + Q(dir / "song.wav") + " " + Q(dir / "song.wav") + " --out " + Q(dir / "x.npy"), "--out takes one input"},
      {"features " + Q(dir / "song.wav"), "exactly one of --out"},
      {"features --bogus", "usage error"},
  };
  for (const auto& c : cases) {
    const auto r = RunMer(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(CountLines(r.err), 1u) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "x.npy"));
}

TEST(CliFeatures, BadAudioExitsOneWithOneLineAndKeepsOldOutput) {
  TempDir dir;
  WriteSong(dir / "full.mp3", 440.0, 10.0);
  const std::string bytes = test::ReadBytes(dir / "full.mp3");
  test::WriteBytes(dir / "cut.mp3", bytes.substr(0, bytes.size() / 3));
  test::WriteBytes(dir / "old.npy", "precious");
  for (const std::string name : {"cut.mp3", "missing.wav"}) {
    const auto r = RunMer("features " + Q(dir / name) + " --out " + Q(dir / "old.npy"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(CountLines(r.err), 1u) << "library chatter must not reach the user:\n" << r.err;
    EXPECT_NE(r.err.find((dir / name).string()), std::string::npos) << r.err;
    EXPECT_EQ(test::ReadBytes(dir / "old.npy"), "precious");
  }
  std::vector<std::string> leftovers;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) leftovers.push_back(e.path().filename());
  EXPECT_EQ(leftovers.size(), 3u) << "temporary files left behind";
}

TEST(CliFeatures, ManyFilesInParallelGiveTheSameBytesAsOneAtATime) {
  TempDir dir;
  std::string inputs;
  for (int i = 0; i < 6; ++i) {
    const auto path = dir / ("song" + std::to_string(i) + (i % 2 ? ".mp3" : ".wav"));
    WriteSong(path, 200.0 + 150.0 * i, 3.0);
    inputs += " " + Q(path);
  }
  const auto parallel = RunMer("features" + inputs + " --out-dir " + Q(dir / "par") + " --threads 4");
  ASSERT_EQ(parallel.exit_code, 0) << parallel.err;
  EXPECT_EQ(CountLines(parallel.out), 6u);
  for (int i = 0; i < 6; ++i) {
    const auto input = dir / ("song" + std::to_string(i) + (i % 2 ? ".mp3" : ".wav"));
    const auto one = dir / ("one" + std::to_string(i) + ".npy");
    const auto r = RunMer("features " + Q(input) + " --out " + Q(one) + " --threads 1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(test::ReadBytes(dir / "par" / ("song" + std::to_string(i) + ".npy")), test::ReadBytes(one)) << i;
  }
}

TEST(CliFeatures, OneBadFileDoesNotStopTheOthers) {
  TempDir dir;
  WriteSong(dir / "a.wav", 300.0);
  WriteSong(dir / "c.wav", 500.0);
  test::WriteBytes(dir / "b.wav", "not audio at all");
  const auto r = RunMer("features " + Q(dir / "a.wav") + " " + Q(dir / "b.wav") + " " + Q(dir / "c.wav") +
                        " --out-dir " + Q(dir / "out"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "a.npy"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "c.npy"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "b.npy"));
  EXPECT_NE(r.err.find((dir / "b.wav").string() + ": not a readable audio file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 3 files failed"), std::string::npos) << r.err;
}

TEST(CliFeatures, OutputNameCollisionsAreRefusedBeforeAnyWork) {
  TempDir dir;
  std::filesystem::create_directories(dir / "x");
  WriteSong(dir / "song.wav", 300.0);
  WriteSong(dir / "x" / "song.flac", 300.0);
  const auto r = RunMer("features " + Q(dir / "song.wav") + " " + Q(dir / "x" / "song.flac") + " --out-dir " +
                        Q(dir / "out"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("would both write"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

// Outputs only ever replace regular files; inputs are regular files of bounded size, refused before they are opened
// (a FIFO would block the read, /dev/zero would grow without bound).
TEST(CliFeatures, OutputsReplaceOnlyRegularFilesAndInputsAreRegularFiles) {
  TempDir dir;
  WriteSong(dir / "song.wav", 440.0);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  std::filesystem::create_directories(dir / "folder.npy");
  for (const char* target : {"fifo", "folder.npy"}) {
    const auto r = RunMer("features " + Q(dir / "song.wav") + " --out " + Q(dir / target));
    EXPECT_EQ(r.exit_code, 1) << target;
    EXPECT_NE(r.err.find("exists and is not a regular file"), std::string::npos) << r.err;
    EXPECT_EQ(CountLines(r.err), 1u) << r.err;
  }
  EXPECT_TRUE(std::filesystem::is_fifo(dir / "fifo"));
  EXPECT_TRUE(std::filesystem::is_directory(dir / "folder.npy"));
  const auto c = RunMer("features " + Q(dir / "song.wav") + " --out " + Q(dir / "x.npy") + " --config " + Q(dir / "fifo"));
  EXPECT_EQ(c.exit_code, 2) << c.err;
  EXPECT_NE(c.err.find("fifo: is not a regular file (a device, FIFO or socket)"), std::string::npos) << c.err;
  const auto z = RunMer("features " + Q(dir / "song.wav") + " --out " + Q(dir / "x.npy") + " --config /dev/zero");
  EXPECT_EQ(z.exit_code, 2) << z.err;
  EXPECT_NE(z.err.find("/dev/zero: is not a regular file"), std::string::npos) << z.err;
  const auto d = RunMer("data check --dataset fourq --root " + Q(dir.path()) + " --set data.split_file=" + Q(dir / "fifo"));
  EXPECT_EQ(d.exit_code, 2) << d.err;
  EXPECT_NE(d.err.find("data.split_file"), std::string::npos) << d.err;
}

}  // namespace
}  // namespace mer
