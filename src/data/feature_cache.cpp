#include "mer/data/feature_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "mer/audio/decoder.h"
#include "mer/core/error.h"
#include "mer/core/file_io.h"

namespace mer::data {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'M', 'E', 'R', 'M', 'E', 'L', '0', '1'};
// magic, key, n_mels (int64), frames (int64), checksum of the values
constexpr std::size_t kHeaderBytes = 8 + 8 + 8 + 8 + 8;

template <typename T>
void Put(std::string* out, T value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T ReadAt(const std::string& in, std::size_t offset) {
  T value;
  std::memcpy(&value, in.data() + offset, sizeof(T));
  return value;
}

// Larger entries are not read but recomputed (and not kept): 1 GiB holds 3 h of 22.05 kHz waveform or of a 128-band
// log-mel at hop 32; longer or denser features cost their computation each time.
constexpr uint64_t kMaxEntryBytes = uint64_t{1} << 30;

// Reads `size` bytes at the descriptor's position; false when the file ends first or a read fails.
bool ReadFully(int fd, char* out, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::read(fd, out, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// A cache entry read by the input policy (README): opened without blocking and read only when it is a regular file
// (a planted FIFO, device, folder or link to one can neither hang nor flood a run), at most kMaxEntryBytes, its header
// checked (magic, key, rows, size) before the values are read, once, into their place. nullopt when there is no entry;
// *rejected when there is one that cannot be used (it is then recomputed and replaced).
std::optional<features::Spectrogram> ReadEntry(const fs::path& entry, uint64_t key, int rows, bool* rejected) {
  Descriptor file;
  file.fd = ::open(entry.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (file.fd < 0) {
    *rejected = errno != ENOENT && errno != ENOTDIR;
    return std::nullopt;
  }
  *rejected = true;
  struct stat st {};
  if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < static_cast<off_t>(kHeaderBytes) ||
      static_cast<uint64_t>(st.st_size) > kMaxEntryBytes) {
    return std::nullopt;
  }
  std::string header(kHeaderBytes, '\0');
  if (!ReadFully(file.fd, header.data(), kHeaderBytes) || std::memcmp(header.data(), kMagic, 8) != 0 ||
      ReadAt<uint64_t>(header, 8) != key) {
    return std::nullopt;
  }
  const int64_t n_mels = ReadAt<int64_t>(header, 16), frames = ReadAt<int64_t>(header, 24);
  if (n_mels != rows || frames <= 0 || frames > static_cast<int64_t>(kMaxEntryBytes) ||
      static_cast<uint64_t>(st.st_size) != kHeaderBytes + static_cast<uint64_t>(n_mels * frames) * sizeof(float)) {
    return std::nullopt;
  }
  features::Spectrogram s;
  s.n_mels = static_cast<int>(n_mels);
  s.frames = frames;
  s.values.resize(static_cast<std::size_t>(n_mels * frames));
  if (!ReadFully(file.fd, reinterpret_cast<char*>(s.values.data()), s.values.size() * sizeof(float)) ||
      Fnv1a(s.values.data(), s.values.size() * sizeof(float)) != ReadAt<uint64_t>(header, 32)) {
    return std::nullopt;
  }
  *rejected = false;
  return s;
}

}  // namespace

uint64_t Fnv1a(const void* data, std::size_t size, uint64_t hash) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// A byte-bounded least-recently-used map from key to spectrogram.
struct FeatureCache::Memory {
  std::mutex mutex;
  std::size_t capacity = 0, used = 0;
  std::list<uint64_t> order;  // most recent first
  std::unordered_map<uint64_t, std::pair<std::shared_ptr<const features::Spectrogram>, std::list<uint64_t>::iterator>> map;

  std::shared_ptr<const features::Spectrogram> Find(uint64_t key) {
    std::lock_guard<std::mutex> lock(mutex);
    const auto it = map.find(key);
    if (it == map.end()) return nullptr;
    order.splice(order.begin(), order, it->second.second);
    return it->second.first;
  }
  void Put(uint64_t key, std::shared_ptr<const features::Spectrogram> s) {
    const std::size_t bytes = s->values.size() * sizeof(float);
    if (bytes > capacity) return;
    std::lock_guard<std::mutex> lock(mutex);
    if (map.count(key)) return;
    order.push_front(key);
    map.emplace(key, std::make_pair(std::move(s), order.begin()));
    used += bytes;
    while (used > capacity && !order.empty()) {
      const auto victim = map.find(order.back());
      used -= victim->second.first->values.size() * sizeof(float);
      map.erase(victim);
      order.pop_back();
    }
  }
};

FeatureCache::~FeatureCache() = default;

FeatureCache::FeatureCache(fs::path dir, const features::FrontendConfig& config, std::size_t memory_bytes,
                           FeatureKind kind)
    : memory_(std::make_unique<Memory>()), dir_(std::move(dir)), kind_(kind),
      frontend_(std::make_unique<features::Frontend>(config)) {
  memory_->capacity = memory_bytes;
  // Waveform entries depend only on the sample rate; log-mel entries on the whole frontend.
  const std::string text = kind == FeatureKind::kWaveform
                               ? "mer-waveform-cache-v1 " + std::to_string(config.sample_rate)
                               : "mer-feature-cache-v1 " + nlohmann::json(config).dump();
  config_hash_ = Fnv1a(text.data(), text.size());
}

FeatureCache::FeatureCache(fs::path dir, const features::FrontendConfig& config, std::size_t memory_bytes,
                           std::shared_ptr<const FeatureTransform> transform)
    : FeatureCache(std::move(dir), config, memory_bytes, FeatureKind::kLogMel) {
  if (!transform) return;
  transform_ = std::move(transform);
  const std::string text = "mer-transform-cache-v1 " + transform_->key;
  config_hash_ = Fnv1a(text.data(), text.size(), config_hash_);
}

int FeatureCache::Rows() const {
  if (kind_ == FeatureKind::kWaveform) return 1;
  return transform_ ? transform_->rows : frontend_->config().NumRows();
}

double FeatureCache::FramesPerSecond() const {
  const auto& c = frontend_->config();
  if (transform_) return transform_->columns_per_second;
  return kind_ == FeatureKind::kWaveform ? double(c.sample_rate) : double(c.sample_rate) / c.hop_length;
}

uint64_t FeatureCache::KeyOf(const fs::path& audio) const {
  std::error_code ec;
  const fs::path absolute = fs::absolute(audio, ec).lexically_normal();
  const auto size = static_cast<uint64_t>(fs::file_size(audio, ec));
  const auto mtime = static_cast<int64_t>(fs::last_write_time(audio, ec).time_since_epoch().count());
  uint64_t key = Fnv1a(absolute.c_str(), std::strlen(absolute.c_str()), config_hash_);
  key = Fnv1a(&size, sizeof(size), key);
  return Fnv1a(&mtime, sizeof(mtime), key);
}

fs::path FeatureCache::EntryPath(const fs::path& audio) const {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(KeyOf(audio)));
  return dir_ / std::string(hex, 2) / (std::string(hex) + ".mel");
}

std::shared_ptr<const features::Spectrogram> FeatureCache::Share(const fs::path& audio) const {
  std::error_code ec;
  if (memory_->capacity == 0 || !fs::is_regular_file(audio, ec)) {
    return std::make_shared<const features::Spectrogram>(Load(audio));
  }
  const uint64_t key = KeyOf(audio);
  if (auto found = memory_->Find(key)) {
    ++memory_hits_;
    return found;
  }
  auto loaded = std::make_shared<const features::Spectrogram>(Load(audio));
  memory_->Put(key, loaded);
  return loaded;
}

features::Spectrogram FeatureCache::Load(const fs::path& audio) const {
  const auto compute = [&] {
    audio::DecodeOptions options;
    options.target_sample_rate = frontend_->config().sample_rate;
    audio::MonoAudio decoded = audio::DecodeMono(audio, options);
    if (kind_ == FeatureKind::kWaveform) {
      features::Spectrogram s;
      s.n_mels = 1;
      s.frames = static_cast<int64_t>(decoded.samples.size());
      s.values = std::move(decoded.samples);
      return s;
    }
    try {
      features::Spectrogram logmel = frontend_->Compute(decoded.samples);
      if (!transform_) return logmel;
      features::Spectrogram out = transform_->compute(logmel);
      if (out.n_mels != transform_->rows || out.frames < 1 ||
          out.values.size() != static_cast<std::size_t>(out.n_mels) * static_cast<std::size_t>(out.frames)) {
        throw Error("feature transform " + transform_->key + " returned a malformed matrix");
      }
      return out;
    } catch (const InputError& e) {
      throw InputError(audio.string() + ": " + e.what());
    }
  };
  if (dir_.empty()) {
    ++misses_;
    return compute();
  }
  std::error_code ec;
  if (!fs::is_regular_file(audio, ec)) return compute();  // the decoder names the problem
  const uint64_t key = KeyOf(audio);
  const fs::path entry = EntryPath(audio);
  bool rejected = false;
  if (std::optional<features::Spectrogram> cached = ReadEntry(entry, key, Rows(), &rejected)) {
    cached->chroma = kind_ == FeatureKind::kWaveform || transform_ ? 0 : frontend_->config().chroma;
    ++hits_;
    return std::move(*cached);
  }
  if (rejected) {
    ++rejected_;
    // The atomic write below replaces only regular files: a planted FIFO or link goes first (the link, not its
    // target); a folder stays, and the entry is computed each time.
    if (!fs::is_regular_file(fs::symlink_status(entry, ec)) && !fs::is_directory(fs::symlink_status(entry, ec))) {
      fs::remove(entry, ec);
    }
  }
  ++misses_;
  features::Spectrogram s = compute();
  std::string bytes(kMagic, 8);
  Put<uint64_t>(&bytes, key);
  Put<int64_t>(&bytes, s.n_mels);
  Put<int64_t>(&bytes, s.frames);
  Put<uint64_t>(&bytes, Fnv1a(s.values.data(), s.values.size() * sizeof(float)));
  bytes.append(reinterpret_cast<const char*>(s.values.data()), s.values.size() * sizeof(float));
  fs::create_directories(entry.parent_path(), ec);
  try {
    WriteFileAtomically(entry, bytes);
  } catch (const OutputError&) {
    // A read-only or full cache folder costs speed, not correctness.
  }
  return s;
}

}  // namespace mer::data
