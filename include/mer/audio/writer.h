// Writing audio with libsndfile: test fixtures, the demo song and synthetic corpora.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mer::audio {

enum class Container { kWav16, kWavFloat, kFlac, kOggVorbis, kOpus, kMp3 };

// Parses "wav", "wav-float", "flac", "ogg", "opus", "mp3"; throws ConfigError listing the valid names.
Container ContainerFromName(const std::string& name);

// Writes interleaved samples ([frames * channels], nominally in [-1, 1]) atomically. Opus needs 8/12/16/24/48 kHz.
void WriteAudio(const std::filesystem::path& path, const std::vector<float>& interleaved, int channels,
                int sample_rate, Container container);

}  // namespace mer::audio
