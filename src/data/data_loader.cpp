#include "mer/data/data_loader.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "mer/core/error.h"
#include "mer/core/parallel.h"

namespace mer::data {
namespace {

uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  return x ^ (x >> 29);
}

}  // namespace

std::vector<float> CutFrames(const features::Spectrogram& s, int64_t start, int64_t frames, int64_t end,
                             std::optional<float> pad) {
  const int64_t available = std::max<int64_t>(0, std::min(frames, std::min(end, s.frames) - start));
  // The floor of the mel rows; chroma rows (the last s.chroma) pad with 0, the chroma of silence.
  const auto mel_end = s.values.begin() + static_cast<long>((s.n_mels - s.chroma) * s.frames);
  const float floor = available == frames ? 0.0f : pad ? *pad : *std::min_element(s.values.begin(), mel_end);
  std::vector<float> out(static_cast<std::size_t>(s.n_mels * frames), floor);
  for (int m = 0; m < s.n_mels; ++m) {
    const float* src = s.values.data() + static_cast<std::size_t>(m) * s.frames + start;
    if (m >= s.n_mels - s.chroma) std::fill_n(out.begin() + static_cast<long>(m * frames), frames, 0.0f);
    std::copy(src, src + available, out.begin() + static_cast<long>(m * frames));
  }
  return out;
}

DataLoader::DataLoader(const Dataset& dataset, std::vector<std::size_t> indices, const FeatureCache& cache,
                       LoaderOptions options, std::optional<LabelNormalizer> normalizer)
    : dataset_(dataset), indices_(std::move(indices)), cache_(cache), options_(std::move(options)),
      normalizer_(std::move(normalizer)) {
  if (options_.mode != "train" && options_.mode != "full" && options_.mode != "windows") {
    throw ConfigError("loader mode '" + options_.mode + "': expected train, full or windows");
  }
  if (options_.batch_size == 0) throw ConfigError("batch size must be at least 1");
  if (options_.mode != "full" && options_.crop_frames < 1) throw ConfigError("crop_frames must be at least 1");
  if (options_.mode == "windows" && options_.hop_frames < 1) throw ConfigError("hop_frames must be at least 1");
  if (options_.world < 1 || options_.rank < 0 || options_.rank >= options_.world) {
    throw ConfigError("loader rank " + std::to_string(options_.rank) + " of " + std::to_string(options_.world));
  }
  options_.workers = std::max(0, options_.workers);
  options_.prefetch_batches = std::max<std::size_t>(1, options_.prefetch_batches);
}

DataLoader::~DataLoader() { prefetcher_.Stop(); }

namespace {

// Stage 1: the epoch's order of the items; for training shuffled by (seed, epoch).
std::vector<std::size_t> EpochOrder(std::vector<std::size_t> order, bool shuffle, uint64_t seed, int epoch) {
  if (shuffle) {
    std::mt19937_64 rng(Mix(seed, static_cast<uint64_t>(epoch)));
    std::shuffle(order.begin(), order.end(), rng);
  }
  return order;
}

// Frames of each item in `order`: a segment item's from its times, else the whole file's (decoded, or read from
// the cache, in parallel).
std::vector<int64_t> ItemLengths(const Dataset& dataset, const FeatureCache& cache, const std::vector<std::size_t>& order) {
  std::vector<int64_t> lengths(order.size(), 0);
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const double frames_per_second = cache.FramesPerSecond();
  ParallelFor(order.size(), DefaultThreadCount(), [&](std::size_t position) {
    const Item& it = dataset.get(order[position]);
    if (it.end_seconds > it.start_seconds) {
      lengths[position] = static_cast<int64_t>(std::llround((it.end_seconds - it.start_seconds) * frames_per_second));
      return;
    }
    try {
      lengths[position] = cache.Share(it.audio)->frames;
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
  });
  if (failure) std::rethrow_exception(failure);
  return lengths;
}

// Stage 2: the examples to cut. Each position's seed depends only on (seed, epoch, position). "train": one crop
// per item at an offset drawn from that seed; "full": the whole item; "windows": windows of `crop` frames every
// `hop` until one reaches the item's end (`lengths`).
std::vector<CropTask> Tasks(const std::vector<std::size_t>& order, const LoaderOptions& o, int epoch,
                            const std::vector<int64_t>& lengths) {
  std::vector<CropTask> tasks;
  for (std::size_t position = 0; position < order.size(); ++position) {
    const uint64_t seed = Mix(Mix(o.seed, static_cast<uint64_t>(epoch)), position);
    if (o.mode != "windows") {
      tasks.push_back({order[position], o.mode == "train" ? -1 : 0, seed});
      continue;
    }
    for (int64_t start = 0;; start += o.hop_frames) {
      tasks.push_back({order[position], start, seed});
      if (start + o.crop_frames >= lengths[position]) break;
    }
  }
  return tasks;
}

// Stage 3: this rank's share, as PyTorch's DistributedSampler (drop_last false): padded by repeating the start
// to a multiple of `world`, then positions rank, rank + world, ...
std::vector<CropTask> RankShare(std::vector<CropTask> tasks, int rank, int world) {
  if (world <= 1 || tasks.empty()) return tasks;
  const std::size_t w = static_cast<std::size_t>(world);
  const std::size_t padded = (tasks.size() + w - 1) / w * w;
  std::vector<CropTask> mine;
  for (std::size_t t = static_cast<std::size_t>(rank); t < padded; t += w) mine.push_back(tasks[t % tasks.size()]);
  return mine;
}

}  // namespace

void DataLoader::StartEpoch(int epoch) {
  prefetcher_.Stop();
  const bool train = options_.mode == "train";
  const std::vector<std::size_t> order = EpochOrder(indices_, train, options_.seed, epoch);
  const std::vector<int64_t> lengths =
      options_.mode == "windows" ? ItemLengths(dataset_, cache_, order) : std::vector<int64_t>{};
  tasks_ = Tasks(order, options_, epoch, lengths);
  if (train) tasks_ = RankShare(std::move(tasks_), options_.rank, options_.world);
  prefetcher_.Start(BatchesPerEpoch(), [this](std::size_t batch) { return Produce(batch); }, options_.workers,
                    options_.prefetch_batches);
}

std::optional<Batch> DataLoader::Next() { return prefetcher_.Next(); }

std::size_t DataLoader::BatchesPerEpoch() const {
  return (tasks_.size() + options_.batch_size - 1) / options_.batch_size;
}

Batch DataLoader::Produce(std::size_t batch) const {
  Batch out;
  const std::size_t begin = batch * options_.batch_size, end = std::min(tasks_.size(), begin + options_.batch_size);
  const double frames_per_second = cache_.FramesPerSecond();
  const std::optional<float> pad = cache_.kind() == FeatureKind::kWaveform ? std::optional<float>(0.0f) : std::nullopt;
  for (std::size_t t = begin; t < end; ++t) {
    const CropTask& task = tasks_[t];
    const Item& item = dataset_.get(task.item);
    const std::shared_ptr<const features::Spectrogram> shared = cache_.Share(item.audio);
    const features::Spectrogram& s = *shared;
    // The item's own frames: a segment of the file (CAL500exp) or all of it.
    int64_t first = 0, count = s.frames;
    if (item.end_seconds > item.start_seconds) {
      first = std::min<int64_t>(s.frames - 1, std::llround(item.start_seconds * frames_per_second));
      count = std::max<int64_t>(1, std::min<int64_t>(s.frames, std::llround(item.end_seconds * frames_per_second)) - first);
    }
    Example e;
    e.item = task.item;
    e.n_mels = s.n_mels;
    e.frames = options_.mode == "full" ? count : options_.crop_frames;
    int64_t offset = task.first_frame;
    if (offset < 0) {  // random crop
      const int64_t room = std::max<int64_t>(0, count - e.frames);
      offset = room == 0 ? 0 : static_cast<int64_t>(task.seed % static_cast<uint64_t>(room + 1));
    }
    e.first_frame = offset;
    e.features = CutFrames(s, first + offset, e.frames, first + count, pad);
    e.labels = normalizer_ ? normalizer_->Normalize(item.labels) : item.labels;
    if (options_.mode == "train" && options_.transform) {
      std::mt19937_64 rng(Mix(task.seed, 0x617567));  // independent of the crop offset drawn from task.seed
      options_.transform(e, rng);
    }
    out.examples.push_back(std::move(e));
  }
  return out;
}

}  // namespace mer::data
