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
  const float floor = available == frames ? 0.0f : pad ? *pad : *std::min_element(s.values.begin(), s.values.end());
  std::vector<float> out(static_cast<std::size_t>(s.n_mels * frames), floor);
  for (int m = 0; m < s.n_mels; ++m) {
    const float* src = s.values.data() + static_cast<std::size_t>(m) * s.frames + start;
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

DataLoader::~DataLoader() { Stop(); }

void DataLoader::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

// Frames of an item: the segment's frames for segment items, all frames otherwise. Needs the spectrogram for
// windows, so window tasks are built from the cached entry's frame count.
void DataLoader::BuildTasks(int epoch) {
  tasks_.clear();
  std::vector<std::size_t> order = indices_;
  if (options_.mode == "train") {
    std::mt19937_64 rng(Mix(options_.seed, static_cast<uint64_t>(epoch)));
    std::shuffle(order.begin(), order.end(), rng);
  }
  // Windows need each item's length: whole files are decoded (or read from the cache) in parallel first.
  std::vector<int64_t> lengths(order.size(), 0);
  if (options_.mode == "windows") {
    std::exception_ptr failure;
    std::mutex failure_mutex;
    ParallelFor(order.size(), DefaultThreadCount(), [&](std::size_t position) {
      const Item& it = dataset_.get(order[position]);
      if (it.end_seconds > it.start_seconds) return;
      try {
        lengths[position] = cache_.Share(it.audio)->frames;
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    });
    if (failure) std::rethrow_exception(failure);
  }
  for (std::size_t position = 0; position < order.size(); ++position) {
    const std::size_t item = order[position];
    const uint64_t seed = Mix(Mix(options_.seed, static_cast<uint64_t>(epoch)), position);
    if (options_.mode != "windows") {
      tasks_.push_back({item, options_.mode == "train" ? -1 : 0, seed});
      continue;
    }
    const Item& it = dataset_.get(item);
    const double frames_per_second = cache_.FramesPerSecond();
    int64_t length;
    if (it.end_seconds > it.start_seconds) {
      length = static_cast<int64_t>(std::llround((it.end_seconds - it.start_seconds) * frames_per_second));
    } else {
      length = lengths[position];
    }
    for (int64_t start = 0;; start += options_.hop_frames) {
      tasks_.push_back({item, start, seed});
      if (start + options_.crop_frames >= length) break;
    }
  }
  if (options_.mode == "train" && options_.world > 1 && !tasks_.empty()) {
    const std::size_t world = static_cast<std::size_t>(options_.world);
    const std::size_t padded = (tasks_.size() + world - 1) / world * world;
    std::vector<Task> mine;
    for (std::size_t t = static_cast<std::size_t>(options_.rank); t < padded; t += world) {
      mine.push_back(tasks_[t % tasks_.size()]);
    }
    tasks_ = std::move(mine);
  }
}

std::size_t DataLoader::BatchesPerEpoch() const {
  return (tasks_.size() + options_.batch_size - 1) / options_.batch_size;
}

Batch DataLoader::Produce(std::size_t batch) const {
  Batch out;
  const std::size_t begin = batch * options_.batch_size, end = std::min(tasks_.size(), begin + options_.batch_size);
  const double frames_per_second = cache_.FramesPerSecond();
  const std::optional<float> pad = cache_.kind() == FeatureKind::kWaveform ? std::optional<float>(0.0f) : std::nullopt;
  for (std::size_t t = begin; t < end; ++t) {
    const Task& task = tasks_[t];
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

void DataLoader::StartEpoch(int epoch) {
  Stop();
  BuildTasks(epoch);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = false;
    ready_.clear();
    failure_ = nullptr;
    next_to_hand_out_ = next_to_produce_ = 0;
    batches_ = BatchesPerEpoch();
  }
  for (int w = 0; w < options_.workers; ++w) {  // workers = 0: Next() produces each batch itself
    workers_.emplace_back([this] {
      while (true) {
        std::size_t batch;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          changed_.wait(lock, [&] {
            return stopping_ || next_to_produce_ >= batches_ ||
                   next_to_produce_ < next_to_hand_out_ + options_.prefetch_batches;
          });
          if (stopping_ || next_to_produce_ >= batches_) return;
          batch = next_to_produce_++;
        }
        Batch produced;
        std::exception_ptr error;
        try {
          produced = Produce(batch);
        } catch (...) {
          error = std::current_exception();
        }
        {
          std::lock_guard<std::mutex> lock(mutex_);
          if (error && !failure_) failure_ = error;
          ready_[batch] = std::move(produced);
        }
        changed_.notify_all();
      }
    });
  }
}

std::optional<Batch> DataLoader::Next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_to_hand_out_ >= batches_) return std::nullopt;
  if (options_.workers == 0) {
    const std::size_t batch = next_to_hand_out_++;
    lock.unlock();
    return Produce(batch);
  }
  changed_.wait(lock, [&] { return failure_ || ready_.count(next_to_hand_out_); });
  if (failure_) std::rethrow_exception(failure_);
  Batch batch = std::move(ready_[next_to_hand_out_]);
  ready_.erase(next_to_hand_out_++);
  lock.unlock();
  changed_.notify_all();
  return batch;
}

}  // namespace mer::data
