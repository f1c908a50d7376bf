// Audio decoding with libsndfile (WAV, FLAC, Ogg Vorbis, Opus, MP3, AIFF, ...), downmix to mono by the channel
// mean (librosa.to_mono) and optional resampling with libsoxr, streamed block by block so that a long file is
// never held twice in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mer::audio {

struct AudioInfo {
  int sample_rate = 0;
  int channels = 0;
  int64_t frames = 0;    // as the container announces it (an estimate for some MP3s)
  std::string format;    // libsndfile's name of the major format, e.g. "WAV (Microsoft)", "MPEG-1/2 Audio"
};

// What a file may declare and make mer allocate (README, "Input policy"): a sample rate outside these bounds is
// refused from the header, and so is more audio than kMaxDurationSeconds (declared or decoded), which bounds the
// memory one file can claim at about kMaxDurationSeconds x rate x 4 bytes (~1 GB at 22,050 Hz).
inline constexpr int kMinSampleRate = 1000;
inline constexpr int kMaxSampleRate = 768000;
inline constexpr double kMaxDurationSeconds = 3 * 3600.0;

struct DecodeOptions {
  int target_sample_rate = 0;         // Hz; 0 keeps the file's own rate
  std::size_t block_frames = 1 << 16; // frames decoded per block
};

struct MonoAudio {
  std::vector<float> samples;  // [n], mono, nominally in [-1, 1]
  int sample_rate = 0;         // Hz of `samples`
  AudioInfo source;            // the file as it was before downmix and resampling
  double duration_seconds() const { return sample_rate > 0 ? double(samples.size()) / sample_rate : 0.0; }
};

// Reads the header only. Throws mer::InputError naming the file and the problem.
// The file extensions mer looks for when it searches folders for audio (lower case, with the dot; .mp3 first, as
// datasets release it): wav, flac, ogg/oga, opus, mp3, aif/aiff, au, w64, caf.
const std::vector<std::string>& AudioFileExtensions();

AudioInfo ProbeAudio(const std::filesystem::path& path);

// Decodes, downmixes and resamples. Throws mer::InputError "<path>: <problem>" for a missing file, a folder, an
// empty file, an unrecognised or corrupt stream, a sample rate or duration beyond the bounds above, a truncated MP3
// or PCM file (WAV, AIFF, ... holding fewer frames than its header announces), zero frames, or NaN/Inf samples.
// With a target rate the output has ceil(n * target / source) samples, as librosa.load(res_type="soxr_hq").
MonoAudio DecodeMono(const std::filesystem::path& path, const DecodeOptions& options = {});

}  // namespace mer::audio
