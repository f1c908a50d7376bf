#include "mer/audio/decoder.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include <sndfile.h>

#include "mer/audio/resampler.h"
#include "mer/core/error.h"

namespace mer::audio {

const std::vector<std::string>& AudioFileExtensions() {
  static const std::vector<std::string> extensions = {".mp3", ".wav", ".flac", ".ogg", ".oga", ".opus",
                                                      ".aif", ".aiff", ".au", ".w64", ".caf"};
  return extensions;
}
namespace {

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfileHandle = std::unique_ptr<SNDFILE, SndfileCloser>;

InputError Fail(const std::filesystem::path& path, const std::string& problem) {
  return InputError(path.string() + ": " + problem);
}

std::string Lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// libsndfile's messages end with a period and sometimes span lines; keep one line.
std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Seconds(double seconds) {
  char text[48];
  std::snprintf(text, sizeof(text), "%.0f s", std::ceil(seconds));
  return text;
}

std::string DurationBound() { return Seconds(kMaxDurationSeconds) + " (3 h)"; }

// libsndfile clamps a WAV's or AIFF's data chunk to the bytes the file holds and notes the difference in its log
// ("data : 88200 (should be 44100)"). A header announcing more than the file holds means the file was cut short;
// sizes of 0 and from 0x7fffffff up are the "length unknown" marks of streaming writers and are accepted.
// Returns the problem, or "" when the lengths agree.
std::string TruncatedPcmProblem(SNDFILE* file) {
  std::string log(1 << 14, '\0');
  sf_command(file, SFC_GET_LOG_INFO, log.data(), static_cast<int>(log.size()));
  log.resize(std::strlen(log.c_str()));
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    unsigned long long claimed = 0, held = 0;
    char chunk[8] = {};
    if (std::sscanf(line.c_str(), "%4s : %llu (should be %llu)", chunk, &claimed, &held) != 3) continue;
    if (std::strcmp(chunk, "data") != 0 && std::strcmp(chunk, "SSND") != 0) continue;
    if (claimed == 0 || claimed >= 0x7fffffffULL || claimed <= held + held / 100 + 1024) continue;
    return "truncated: header announces " + std::to_string(claimed) + " bytes of audio, file holds " +
           std::to_string(held);
  }
  return "";
}

void CheckIsNonEmptyFile(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) throw Fail(path, "cannot open: " + ec.message());
  if (!std::filesystem::exists(status)) throw Fail(path, "no such file");
  if (std::filesystem::is_directory(status)) throw Fail(path, "is a directory, expected an audio file");
  if (!std::filesystem::is_regular_file(status)) throw Fail(path, "not a regular file");
  if (std::filesystem::file_size(path, ec) == 0) throw Fail(path, "empty file (0 bytes)");
}

std::pair<SndfileHandle, SF_INFO> Open(const std::filesystem::path& path) {
  CheckIsNonEmptyFile(path);
  SF_INFO info{};
  SndfileHandle file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) {
    const std::string reason = OneLine(sf_strerror(nullptr));
    const std::string ext = Lowercase(path.extension().string());
    static const char* kUnsupported[] = {".m4a", ".aac", ".mp4", ".wma", ".ape", ".webm", ".mka", ".alac"};
    for (const char* unsupported : kUnsupported) {
      if (ext == unsupported) {
        throw Fail(path, "unsupported audio format '" + ext +
                             "' (supported: WAV, FLAC, Ogg Vorbis, Opus, MP3, AIFF and other libsndfile formats)");
      }
    }
    // libsndfile says "File does not exist" for a file it found no audio stream in (e.g. an MP3 of tags only).
    throw Fail(path, "not a readable audio file: " +
                         (reason.find("does not exist") != std::string::npos ? "no audio stream found" : reason));
  }
  if (info.channels <= 0 || info.samplerate <= 0) {
    throw Fail(path, "invalid header (" + std::to_string(info.channels) + " channels at " +
                         std::to_string(info.samplerate) + " Hz)");
  }
  if (info.frames == 0) throw Fail(path, "contains no audio frames (valid header, zero samples)");
  if (info.samplerate < kMinSampleRate || info.samplerate > kMaxSampleRate) {
    throw Fail(path, "declares a sample rate of " + std::to_string(info.samplerate) + " Hz, outside the accepted " +
                         std::to_string(kMinSampleRate) + ".." + std::to_string(kMaxSampleRate) + " Hz");
  }
  if (info.frames > 0 && double(info.frames) / info.samplerate > kMaxDurationSeconds) {
    throw Fail(path, "declares " + Seconds(double(info.frames) / info.samplerate) + " of audio, more than the " +
                         DurationBound() + " mer decodes from one file");
  }
  if (const std::string truncated = TruncatedPcmProblem(file.get()); !truncated.empty()) throw Fail(path, truncated);
  return {std::move(file), info};
}

std::string FormatName(int format) {
  SF_FORMAT_INFO format_info{};
  format_info.format = format & SF_FORMAT_TYPEMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &format_info, sizeof(format_info)) == 0 && format_info.name) {
    return format_info.name;
  }
  return "unknown";
}

AudioInfo ToInfo(const SF_INFO& info) {
  AudioInfo out;
  out.sample_rate = info.samplerate;
  out.channels = info.channels;
  out.frames = info.frames;
  out.format = FormatName(info.format);
  return out;
}

// True when the MP3's first frame carries a Xing/Info (LAME) or VBRI header, i.e. the file states its exact length.
// Without one, libmpg123 estimates the length from the file size and the first frame's bit rate, which can be far
// off for VBR files, so a short stream proves nothing.
bool Mp3StatesItsLength(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(1 << 16, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  std::size_t pos = 0;
  if (head.size() >= 10 && head.compare(0, 3, "ID3") == 0) {
    pos = 10 + (static_cast<std::size_t>(head[6] & 0x7f) << 21 | static_cast<std::size_t>(head[7] & 0x7f) << 14 |
                static_cast<std::size_t>(head[8] & 0x7f) << 7 | static_cast<std::size_t>(head[9] & 0x7f));
    if (pos >= head.size()) {  // a large tag (cover art): read the first frame from after it
      in.clear();
      in.seekg(static_cast<std::streamoff>(pos));
      head.assign(4096, '\0');
      in.read(head.data(), static_cast<std::streamsize>(head.size()));
      head.resize(static_cast<std::size_t>(in.gcount()));
      pos = 0;
    }
  }
  for (; pos + 1 < head.size(); ++pos) {
    if (static_cast<unsigned char>(head[pos]) == 0xff && (static_cast<unsigned char>(head[pos + 1]) & 0xe0) == 0xe0) break;
  }
  const std::string first_frame = head.substr(std::min(pos, head.size()), 200);
  return first_frame.find("Xing") != std::string::npos || first_frame.find("Info") != std::string::npos ||
         first_frame.find("VBRI") != std::string::npos;
}

// True when no value is NaN or infinite: an exponent of all ones, tested on the bits so that the loop vectorises.
bool AllFinite(const float* values, std::size_t n) {
  uint32_t special = 0;
  for (std::size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], sizeof(bits));
    special |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
  }
  return special == 0;
}

}  // namespace

AudioInfo ProbeAudio(const std::filesystem::path& path) { return ToInfo(Open(path).second); }

MonoAudio DecodeMono(const std::filesystem::path& path, const DecodeOptions& options) {
  auto [file, info] = Open(path);
  MonoAudio audio;
  audio.source = ToInfo(info);
  const bool resample = options.target_sample_rate > 0 && options.target_sample_rate != info.samplerate;
  audio.sample_rate = resample ? options.target_sample_rate : info.samplerate;
  std::optional<Resampler> resampler;
  if (resample) resampler.emplace(info.samplerate, options.target_sample_rate);
  const bool mp3 = (info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_MPEG;

  const std::size_t block = std::max<std::size_t>(1, options.block_frames);
  const std::size_t channels = static_cast<std::size_t>(info.channels);
  std::vector<float> interleaved(block * channels);
  std::vector<float> mono(channels > 1 ? block : 0);  // the downmix of a block (mono files need none)
  const double ratio = resample ? double(audio.sample_rate) / info.samplerate : 1.0;
  if (info.frames > 0) {  // bounded by kMaxDurationSeconds in Open
    audio.samples.reserve(static_cast<std::size_t>(std::ceil(info.frames * ratio)) + 64);
  }
  const auto max_frames = static_cast<int64_t>(kMaxDurationSeconds * info.samplerate);
  int64_t frames_read = 0;
  while (true) {
    const sf_count_t got = sf_readf_float(file.get(), interleaved.data(), static_cast<sf_count_t>(block));
    if (got <= 0) break;
    if (frames_read + got > max_frames) {  // a header that stated less, or no length at all
      throw Fail(path, "holds more than the " + DurationBound() + " of audio mer decodes from one file");
    }
    const std::size_t values = static_cast<std::size_t>(got) * channels;
    if (!AllFinite(interleaved.data(), values)) {
      const std::size_t at = static_cast<std::size_t>(
          std::find_if(interleaved.begin(), interleaved.begin() + static_cast<long>(values),
                       [](float v) { return !std::isfinite(v); }) -
          interleaved.begin());
      throw Fail(path, std::string("contains ") + (std::isnan(interleaved[at]) ? "NaN" : "infinite") +
                           " samples (first at frame " + std::to_string(frames_read + int64_t(at / channels)) +
                           ", channel " + std::to_string(at % channels) + ")");
    }
    for (sf_count_t i = 0; channels > 1 && i < got; ++i) {  // mono files are used as read
      const float* frame = &interleaved[static_cast<std::size_t>(i) * channels];
      float sum = 0.0f;
      for (std::size_t c = 0; c < channels; ++c) sum += frame[c];
      mono[static_cast<std::size_t>(i)] = sum / static_cast<float>(channels);
    }
    const float* block_mono = channels == 1 ? interleaved.data() : mono.data();
    frames_read += got;
    if (resampler) {
      resampler->Process(block_mono, static_cast<std::size_t>(got), &audio.samples);
    } else {
      audio.samples.insert(audio.samples.end(), block_mono, block_mono + got);
    }
  }
  const int error = sf_error(file.get());
  if (error != SF_ERR_NO_ERROR) {
    throw Fail(path, "decoding failed after " + std::to_string(frames_read) + " frames: " +
                         OneLine(sf_error_number(error)));
  }
  if (frames_read == 0) throw Fail(path, "contains no decodable audio frames (corrupt or truncated)");
  // An MP3 whose LAME/Xing header announces more audio than the stream holds was cut short. Allow a little slack
  // for encoder padding and decoders' gapless trimming.
  if (mp3 && info.frames > 0 && frames_read + std::max<int64_t>(4608, info.frames / 100) < info.frames &&
      Mp3StatesItsLength(path)) {
    throw Fail(path, "truncated MP3: header announces " + std::to_string(info.frames) + " frames, stream holds " +
                         std::to_string(frames_read));
  }
  if (resampler) resampler->Finish(&audio.samples);
  // The buffer was reserved from the header's length; copy it into a tight one only when that was far off (a
  // header that overstated the length), not for the few samples of a resampler's or decoder's rounding.
  if (audio.samples.capacity() - audio.samples.size() > audio.samples.size() / 16 + 4096) audio.samples.shrink_to_fit();
  return audio;
}

}  // namespace mer::audio
