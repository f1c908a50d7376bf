// Decoding: every container, any rate and channel count, channel-mean downmix, block-wise == whole-file, the real
// ID3v2.4 1000 Songs MP3s, and a one-line InputError for every kind of bad file.
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <sndfile.h>

#include "mer/audio/decoder.h"
#include "mer/audio/writer.h"
#include "mer/core/error.h"
#include "mer/core/npy.h"
#include "support/test_support.h"

namespace mer::audio {
namespace {

using test::TempDir;

std::vector<float> Interleave(const std::vector<std::vector<float>>& channels) {
  std::vector<float> out(channels[0].size() * channels.size());
  for (std::size_t i = 0; i < channels[0].size(); ++i) {
    for (std::size_t c = 0; c < channels.size(); ++c) out[i * channels.size() + c] = channels[c][i];
  }
  return out;
}

double Db(double ratio) { return 20.0 * std::log10(ratio); }

struct ContainerCase {
  const char* extension;
  Container container;
  int sample_rate;
  double level_tolerance_db;
};

class DecodeContainer : public ::testing::TestWithParam<ContainerCase> {};

TEST_P(DecodeContainer, StereoToneKeepsFrequencyLevelAndLength) {
  const ContainerCase& c = GetParam();
  TempDir dir;
  const auto path = dir / (std::string("tone.") + c.extension);
  const std::vector<float> tone = test::Sine(440.0, c.sample_rate, 3.0, 0.5);
  WriteAudio(path, Interleave({tone, tone}), 2, c.sample_rate, c.container);
  const MonoAudio audio = DecodeMono(path);
  EXPECT_EQ(audio.sample_rate, c.sample_rate);
  EXPECT_EQ(audio.source.channels, 2);
  EXPECT_NEAR(audio.duration_seconds(), 3.0, 0.06);
  EXPECT_NEAR(test::ZeroCrossingFrequency(audio.samples, audio.sample_rate), 440.0, 0.2);
  const std::size_t n = audio.samples.size();
  EXPECT_NEAR(Db(test::Rms(audio.samples, n / 4, 3 * n / 4) / (0.5 / std::sqrt(2.0))), 0.0, c.level_tolerance_db);
}

INSTANTIATE_TEST_SUITE_P(Containers, DecodeContainer,
                         ::testing::Values(ContainerCase{"wav", Container::kWav16, 44100, 0.01},
                                           ContainerCase{"wav", Container::kWavFloat, 22050, 0.001},
                                           ContainerCase{"flac", Container::kFlac, 48000, 0.01},
                                           ContainerCase{"ogg", Container::kOggVorbis, 44100, 0.3},
                                           ContainerCase{"opus", Container::kOpus, 48000, 0.3},
                                           ContainerCase{"mp3", Container::kMp3, 44100, 0.3}),
                         [](const auto& test_info) {
                           return std::string(test_info.param.extension) +
                                  (test_info.param.container == Container::kWavFloat ? "_float" : "");
                         });

TEST(Decoder, DownmixIsTheChannelMean) {
  TempDir dir;
  const std::vector<float> a = test::Sine(300, 16000, 0.5, 0.6), b = test::Sine(1250, 16000, 0.5, 0.3),
                           c = test::WhiteNoise(16000, 0.5, 0.2, 3);
  WriteAudio(dir / "three.wav", Interleave({a, b, c}), 3, 16000, Container::kWavFloat);
  const MonoAudio mono = DecodeMono(dir / "three.wav");
  ASSERT_EQ(mono.samples.size(), a.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_FLOAT_EQ(mono.samples[i], (a[i] + b[i] + c[i]) / 3.0f);
}

TEST(Decoder, AnySampleRateIsResampledToTheTarget) {
  TempDir dir;
  for (int rate : {8000, 11025, 32000, 44100, 96000}) {
    const auto path = dir / ("r" + std::to_string(rate) + ".wav");
    WriteAudio(path, test::Sine(500, rate, 1.0, 0.5), 1, rate, Container::kWavFloat);
    DecodeOptions options;
    options.target_sample_rate = 22050;
    const MonoAudio audio = DecodeMono(path, options);
    EXPECT_EQ(audio.sample_rate, 22050);
    EXPECT_EQ(audio.source.sample_rate, rate);
    EXPECT_EQ(audio.samples.size(), static_cast<std::size_t>(std::ceil(double(rate) * 22050 / rate)));
    EXPECT_NEAR(test::ZeroCrossingFrequency(audio.samples, 22050), 500.0, 0.05) << rate;
  }
}

TEST(Decoder, BlockwiseDecodingEqualsWholeFile) {
  TempDir dir;
  const std::vector<float> left = test::WhiteNoise(44100, 4.0, 0.4, 5), right = test::Sine(660, 44100, 4.0, 0.4);
  WriteAudio(dir / "s.flac", Interleave({left, right}), 2, 44100, Container::kFlac);
  WriteAudio(dir / "s.mp3", Interleave({left, right}), 2, 44100, Container::kMp3);
  for (const char* name : {"s.flac", "s.mp3"}) {
    for (int target : {0, 22050}) {
      DecodeOptions whole, blocks;
      whole.block_frames = 1 << 22;
      blocks.block_frames = 1000;  // not a divisor of anything in the file
      whole.target_sample_rate = blocks.target_sample_rate = target;
      EXPECT_EQ(DecodeMono(dir / name, blocks).samples, DecodeMono(dir / name, whole).samples)
          << name << " at target " << target;
    }
  }
}

// MP3 frame header after an optional ID3v2 tag; returns the channel-mode bits (0 stereo, 1 joint, 2 dual, 3 mono).
int FirstMp3ChannelMode(const std::string& bytes) {
  std::size_t pos = 0;
  if (bytes.compare(0, 3, "ID3") == 0) {
    pos = 10 + ((bytes[6] & 0x7f) << 21 | (bytes[7] & 0x7f) << 14 | (bytes[8] & 0x7f) << 7 | (bytes[9] & 0x7f));
  }
  for (; pos + 4 < bytes.size(); ++pos) {
    if (static_cast<unsigned char>(bytes[pos]) == 0xff && (static_cast<unsigned char>(bytes[pos + 1]) & 0xe0) == 0xe0) {
      return (static_cast<unsigned char>(bytes[pos + 3]) >> 6) & 3;
    }
  }
  return -1;
}

TEST(Decoder, JointStereoMp3DecodesToTheChannelMean) {
  TempDir dir;
  const std::vector<float> left = test::Sine(440, 44100, 3.0, 0.4), right = test::Sine(440, 44100, 3.0, 0.2);
  WriteAudio(dir / "js.mp3", Interleave({left, right}), 2, 44100, Container::kMp3);
  ASSERT_EQ(FirstMp3ChannelMode(test::ReadBytes(dir / "js.mp3")), 1) << "fixture is not joint stereo";
  const MonoAudio audio = DecodeMono(dir / "js.mp3");
  EXPECT_EQ(audio.source.channels, 2);
  EXPECT_NEAR(test::ZeroCrossingFrequency(audio.samples, 44100), 440.0, 0.1);
  const std::size_t n = audio.samples.size();
  EXPECT_NEAR(Db(test::Rms(audio.samples, n / 4, 3 * n / 4) / (0.3 / std::sqrt(2.0))), 0.0, 0.3);
}

TEST(Decoder, RealId3v24Mp3MatchesAnIndependentDecoder) {
  MER_REQUIRE_SHARED(mp3, "datasets/emoMusic/audio/clips_45seconds/10.mp3");
  const std::string head = test::ReadBytes(mp3).substr(0, 4);
  ASSERT_EQ(head, std::string("ID3\x04", 4)) << "expected an ID3v2.4 tag";
  const MonoAudio audio = DecodeMono(mp3);
  EXPECT_EQ(audio.sample_rate, 44100);
  EXPECT_EQ(audio.source.channels, 1);
  EXPECT_EQ(audio.samples.size(), 1986095u);  // ffmpeg's count for this file (gapless)
  // tests/reference/frontend/input_real_44100.npy is ffmpeg's decoding of [20 s, 21.5 s) of this file.
  const NpyArray ffmpeg = LoadNpy(test::TestData("reference/frontend/input_real_44100.npy"));
  double worst = 0;
  for (std::size_t i = 0; i < ffmpeg.data.size(); ++i) {
    worst = std::max(worst, double(std::abs(audio.samples[20 * 44100 + i] - ffmpeg.data[i])));
  }
  EXPECT_LT(worst, 1e-5);
}

TEST(Decoder, AllRealClipsDecode) {
  MER_REQUIRE_SHARED(folder, "datasets/emoMusic/audio/clips_45seconds");
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    DecodeOptions options;
    options.target_sample_rate = 22050;
    const MonoAudio audio = DecodeMono(entry.path(), options);
    EXPECT_NEAR(audio.duration_seconds(), 45.0, 0.5) << entry.path();
    for (float x : audio.samples) ASSERT_TRUE(std::isfinite(x)) << entry.path();
    ++count;
  }
  EXPECT_EQ(count, 10);
}

// Expects DecodeMono(path) to throw an InputError whose one-line message names the file and contains `problem`.
void ExpectBadInput(const std::filesystem::path& path, const std::string& problem) {
  try {
    DecodeMono(path);
    ADD_FAILURE() << path << " decoded without error";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(problem), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(Decoder, BadFilesGiveOneLineErrors) {
  TempDir dir;
  ExpectBadInput(dir / "missing.wav", "no such file");
  ExpectBadInput(dir.path(), "is a directory");
  test::WriteBytes(dir / "empty.wav", "");
  ExpectBadInput(dir / "empty.wav", "empty file");
  std::string noise(4096, '\0');
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 2654435761u) >> 13);
  test::WriteBytes(dir / "random.wav", noise);
  ExpectBadInput(dir / "random.wav", "not a readable audio file");
  test::WriteBytes(dir / "song.m4a", std::string("\0\0\0\x20" "ftypM4A \0\0\0\0", 16) + noise);
  ExpectBadInput(dir / "song.m4a", "unsupported audio format '.m4a'");
  test::WriteBytes(dir / "notes.txt", "just some text, not audio\n");
  ExpectBadInput(dir / "notes.txt", "not a readable audio file");
  // An MP3 of tags only exists, it has no audio (libsndfile says "does not exist"); a symlink loop is not missing.
  test::WriteBytes(dir / "tags_only.mp3", std::string("ID3\x04\0\0\0\0\0\x20", 10) + std::string(32, '\0'));
  ExpectBadInput(dir / "tags_only.mp3", "not a readable audio file: no audio stream found");
  std::filesystem::create_symlink(dir / "b.wav", dir / "a.wav");
  std::filesystem::create_symlink(dir / "a.wav", dir / "b.wav");
  ExpectBadInput(dir / "a.wav", "cannot open: Too many levels of symbolic links");
}

TEST(Decoder, ZeroFramesAndNonFiniteSamplesAreErrors) {
  TempDir dir;
  SF_INFO info{};
  info.channels = 1;
  info.samplerate = 22050;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open((dir / "zero.wav").c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr);
  sf_close(f);
  ExpectBadInput(dir / "zero.wav", "no audio frames");

  std::vector<float> x = test::Sine(440, 22050, 0.5);
  x[1234] = std::nanf("");
  WriteAudio(dir / "nan.wav", x, 1, 22050, Container::kWavFloat);
  ExpectBadInput(dir / "nan.wav", "NaN samples (first at frame 1234");
  x[1234] = 0.0f;
  x[77] = INFINITY;
  WriteAudio(dir / "inf.wav", x, 1, 22050, Container::kWavFloat);
  ExpectBadInput(dir / "inf.wav", "infinite samples (first at frame 77");
  // Stereo: the frame and the channel of the first bad value.
  std::vector<float> stereo(2 * 22050, 0.25f);
  stereo[2 * 20000 + 1] = -INFINITY;
  stereo[2 * 20001] = std::nanf("");
  WriteAudio(dir / "stereo.wav", stereo, 2, 22050, Container::kWavFloat);
  ExpectBadInput(dir / "stereo.wav", "infinite samples (first at frame 20000, channel 1)");
}

TEST(Decoder, TruncatedAndCorruptMp3AreErrors) {
  TempDir dir;
  WriteAudio(dir / "full.mp3", test::Sine(440, 44100, 10.0, 0.5), 1, 44100, Container::kMp3);
  const std::string bytes = test::ReadBytes(dir / "full.mp3");
  test::WriteBytes(dir / "truncated.mp3", bytes.substr(0, bytes.size() * 3 / 10));
  ExpectBadInput(dir / "truncated.mp3", "truncated MP3");
  // A valid ID3v2.4 tag followed by garbage: nothing decodable.
  std::string garbage("ID3\x04\0\0\0\0\0\x10", 10);
  garbage += std::string(16, ' ');
  for (int i = 0; i < 8000; ++i) garbage += static_cast<char>((i * 7919) % 251);
  test::WriteBytes(dir / "corrupt.mp3", garbage);
  try {
    DecodeMono(dir / "corrupt.mp3");
    ADD_FAILURE() << "corrupt.mp3 decoded";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind((dir / "corrupt.mp3").string() + ": ", 0), 0u) << e.what();
  }
}

// A mono 8-bit PCM WAV whose header says `rate` Hz and `claimed_bytes` of data (the file holds `held_bytes`).
std::string RawWav(uint32_t rate, uint32_t claimed_bytes, std::size_t held_bytes) {
  auto u32 = [](uint32_t v) { return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; };
  auto u16 = [](uint16_t v) { return std::string{char(v), char(v >> 8)}; };
  std::string data(held_bytes, '\0');
  for (std::size_t i = 0; i < held_bytes; ++i) data[i] = static_cast<char>(128 + 60 * std::sin(0.05 * double(i)));
  return "RIFF" + u32(36 + claimed_bytes) + "WAVEfmt " + u32(16) + u16(1) + u16(1) + u32(rate) + u32(rate) + u16(1) +
         u16(8) + "data" + u32(claimed_bytes) + data;
}

// Issue 17 cases 3 and 10: what a header declares bounds what mer allocates, and a header announcing more audio
// than the file holds is a truncated file, not a silent shorter clip.
TEST(Decoder, DeclaredRatesLengthsAndTruncationAreChecked) {
  TempDir dir;
  test::WriteBytes(dir / "rate1.wav", RawWav(1, 60000, 60000));  // 60000 "seconds" at 1 Hz: 22 GB at 22,050 Hz
  ExpectBadInput(dir / "rate1.wav", "declares a sample rate of 1 Hz, outside the accepted 1000..768000 Hz");
  test::WriteBytes(dir / "rate_huge.wav", RawWav(2000000, 4000, 4000));
  ExpectBadInput(dir / "rate_huge.wav", "declares a sample rate of 2000000 Hz");
  const std::size_t over = static_cast<std::size_t>(kMaxDurationSeconds * 1000) + 5000;  // 3 h + 5 s at 1 kHz
  test::WriteBytes(dir / "long.wav", RawWav(1000, static_cast<uint32_t>(over), over));
  ExpectBadInput(dir / "long.wav", "declares 10805 s of audio, more than the 10800 s (3 h) mer decodes from one file");
  test::WriteBytes(dir / "cut.wav", RawWav(8000, 16000, 8000));
  ExpectBadInput(dir / "cut.wav", "truncated: header announces 16000 bytes of audio, file holds 8000");
  test::WriteBytes(dir / "ten_hours.wav", RawWav(22050, 22050u * 36000u, 22050));
  ExpectBadInput(dir / "ten_hours.wav", "truncated: header announces 793800000 bytes of audio, file holds 22050");
  // Streaming writers' "length unknown" marks and a padding byte are not truncation.
  test::WriteBytes(dir / "stream.wav", RawWav(8000, 0xffffffffu, 8000));
  EXPECT_EQ(DecodeMono(dir / "stream.wav").samples.size(), 8000u);
  test::WriteBytes(dir / "padded.wav", RawWav(8000, 8001, 8000));
  EXPECT_EQ(DecodeMono(dir / "padded.wav").samples.size(), 8000u);
}

TEST(Decoder, ClipShorterThanOneFrameDecodes) {
  TempDir dir;
  WriteAudio(dir / "tiny.wav", test::Sine(440, 44100, 0.001), 1, 44100, Container::kWav16);
  DecodeOptions options;
  options.target_sample_rate = 22050;
  EXPECT_EQ(DecodeMono(dir / "tiny.wav", options).samples.size(), 22u);  // ceil(44 * 22050 / 44100)
}

}  // namespace
}  // namespace mer::audio
