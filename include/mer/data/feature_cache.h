// Log-mel spectrograms cached on disk, keyed by the audio file's identity (absolute path, size, modification time)
// and a hash of the frontend configuration, so they are computed once and reused across epochs and runs.
// Entries are written atomically (temporary file + rename): concurrent writers and crashes never leave a corrupt
// entry in place, and an entry that is truncated, damaged or belongs to another key is detected (header + checksum)
// and recomputed.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "mer/features/frontend.h"

namespace mer::data {

// What the cache holds per audio file: the log-mel of the frontend, or the decoded mono waveform at the frontend's
// sample rate as a one-band "spectrogram" [1, samples] (for raw-audio models and the learnable frontend).
enum class FeatureKind { kLogMel, kWaveform };

// Features computed from the log-mel by code this library does not hold (a pretrained network, run by the LibTorch
// plugin): the cache stores `compute`'s output in place of the log-mel. `key` names the computation (networks,
// layers, weight files' checksums) and enters every entry's key, so entries of another network, layer or weight file
// are never read as these.
struct FeatureTransform {
  std::string key;
  int rows = 0;                   // rows of every output
  double columns_per_second = 0;  // output columns per second of audio
  // [n_mels, frames] log-mel of the whole file -> [rows, columns]; may be called from several threads at once.
  std::function<features::Spectrogram(const features::Spectrogram& logmel)> compute;
};

class FeatureCache {
 public:
  // An empty dir disables the disk cache. Recently used spectrograms are also kept in memory, up to
  // `memory_bytes` (0 disables), so epochs after the first read neither disk nor checksum.
  FeatureCache(std::filesystem::path dir, const features::FrontendConfig& config,
               std::size_t memory_bytes = std::size_t{512} << 20, FeatureKind kind = FeatureKind::kLogMel);
  // The log-mel of `config` through `transform` (null: the log-mel itself).
  FeatureCache(std::filesystem::path dir, const features::FrontendConfig& config, std::size_t memory_bytes,
               std::shared_ptr<const FeatureTransform> transform);
  ~FeatureCache();

  // The log-mel of the whole audio file. Throws InputError naming the file when it cannot be decoded.
  features::Spectrogram Get(const std::filesystem::path& audio) const { return *Share(audio); }
  // The same, shared with the in-memory cache (no copy).
  std::shared_ptr<const features::Spectrogram> Share(const std::filesystem::path& audio) const;

  // Where the entry for `audio` lives (its key depends on the file's current size and mtime).
  std::filesystem::path EntryPath(const std::filesystem::path& audio) const;
  const features::Frontend& frontend() const { return *frontend_; }
  FeatureKind kind() const { return kind_; }
  const FeatureTransform* transform() const { return transform_.get(); }
  // Rows of every entry: 1 for waveforms, the transform's rows, else the frontend's mel and chroma rows.
  int Rows() const;
  // Columns per second of audio: frames (sample_rate / hop_length), samples (sample_rate) or the transform's.
  double FramesPerSecond() const;

  struct Stats {
    uint64_t hits = 0, misses = 0, rejected = 0;  // disk entries used, computed, found corrupt or stale
    uint64_t memory_hits = 0;
  };
  Stats stats() const { return {hits_.load(), misses_.load(), rejected_.load(), memory_hits_.load()}; }

 private:
  uint64_t KeyOf(const std::filesystem::path& audio) const;
  features::Spectrogram Load(const std::filesystem::path& audio) const;
  struct Memory;
  std::unique_ptr<Memory> memory_;

  std::filesystem::path dir_;
  FeatureKind kind_ = FeatureKind::kLogMel;
  std::shared_ptr<const FeatureTransform> transform_;
  uint64_t config_hash_;
  std::unique_ptr<features::Frontend> frontend_;
  mutable std::atomic<uint64_t> hits_{0}, misses_{0}, rejected_{0}, memory_hits_{0};
};

// FNV-1a, 64 bit.
uint64_t Fnv1a(const void* data, std::size_t size, uint64_t seed = 0xcbf29ce484222325ull);

}  // namespace mer::data
