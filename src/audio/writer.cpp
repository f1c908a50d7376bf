#include "mer/audio/writer.h"

#include <atomic>
#include <cstdio>
#include <memory>

#include <sndfile.h>
#include <unistd.h>

#include "mer/core/error.h"

namespace mer::audio {
namespace {

struct Named {
  const char* name;
  Container container;
  int format;
};

constexpr Named kContainers[] = {
    {"wav", Container::kWav16, SF_FORMAT_WAV | SF_FORMAT_PCM_16},
    {"wav-float", Container::kWavFloat, SF_FORMAT_WAV | SF_FORMAT_FLOAT},
    {"flac", Container::kFlac, SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
    {"ogg", Container::kOggVorbis, SF_FORMAT_OGG | SF_FORMAT_VORBIS},
    {"opus", Container::kOpus, SF_FORMAT_OGG | SF_FORMAT_OPUS},
    {"mp3", Container::kMp3, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III},
};

}  // namespace

Container ContainerFromName(const std::string& name) {
  std::string valid;
  for (const auto& c : kContainers) {
    if (name == c.name) return c.container;
    valid += (valid.empty() ? "" : ", ") + std::string(c.name);
  }
  throw ConfigError("unknown audio container '" + name + "'; valid: " + valid);
}

void WriteAudio(const std::filesystem::path& path, const std::vector<float>& interleaved, int channels,
                int sample_rate, Container container) {
  int format = 0;
  for (const auto& c : kContainers) {
    if (c.container == container) format = c.format;
  }
  SF_INFO info{};
  info.channels = channels;
  info.samplerate = sample_rate;
  info.format = format;
  if (channels <= 0 || !sf_format_check(&info)) {
    throw OutputError(path.string() + ": libsndfile cannot write this format with " + std::to_string(channels) +
                      " channels at " + std::to_string(sample_rate) + " Hz");
  }
  static std::atomic<unsigned> counter{0};
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  SNDFILE* file = sf_open(tmp.c_str(), SFM_WRITE, &info);
  if (file == nullptr) throw OutputError(path.string() + ": cannot create audio file: " + sf_strerror(nullptr));
  if (container == Container::kWav16 || container == Container::kFlac) {
    sf_command(file, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  }
  const sf_count_t frames = static_cast<sf_count_t>(interleaved.size() / static_cast<std::size_t>(channels));
  const sf_count_t written = sf_writef_float(file, interleaved.data(), frames);
  const int close_error = sf_close(file);
  std::error_code ec;
  if (written != frames || close_error != 0) {
    std::filesystem::remove(tmp, ec);
    throw OutputError(path.string() + ": writing audio failed");
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw OutputError(path.string() + ": cannot replace file: " + ec.message());
  }
}

}  // namespace mer::audio
