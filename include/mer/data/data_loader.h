// Batches of log-mel examples produced by worker threads ahead of the consumer. Features come from the
// FeatureCache (decoded and computed on a miss), so memory is bounded by the prefetch depth, not by the corpus.
//   training:   one random crop of `crop_frames` per item, items shuffled per epoch;
//   evaluation: the full item ("full"), or sliding windows of `crop_frames` every `hop_frames` ("windows").
// The order of batches and every crop offset depend only on (seed, epoch, position), never on thread timing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "mer/data/corpus.h"
#include "mer/data/feature_cache.h"
#include "mer/data/prefetcher.h"
#include "mer/data/split.h"

namespace mer::data {

struct LoaderOptions {
  std::string mode = "train";  // "train" (random crops), "full", "windows"
  std::size_t batch_size = 16;
  int64_t crop_frames = 128;   // train and windows: frames per example; shorter items are zero-padded at the end
  int64_t hop_frames = 64;     // windows: frames between window starts
  int workers = 2;                  // threads producing batches ahead; 0 = produce in the caller's thread
  std::size_t prefetch_batches = 4;
  uint64_t seed = 0;
  // "train" mode only: called on every example with a generator seeded from (seed, epoch, position), e.g. to
  // augment it; may change its size (a waveform crop turned into log-mel). Evaluation modes never call it.
  std::function<void(struct Example&, std::mt19937_64&)> transform;
  // "train" mode, data-parallel: this rank's share of the epoch's order, as PyTorch's DistributedSampler
  // (drop_last false): the shuffled order is padded by repeating its start to a multiple of `world`, and rank r
  // takes positions r, r + world, ... Crops keep the seed of their position in the whole order, so `world` ranks
  // of batch b see together what one rank of batch world * b sees.
  int rank = 0;
  int world = 1;
};

struct Example {
  std::size_t item = 0;         // index into the dataset
  int64_t first_frame = 0;      // where the example starts in the item's spectrogram
  int n_mels = 0;
  int64_t frames = 0;
  std::vector<float> features;  // [n_mels, frames]
  std::vector<float> labels;    // normalised when the loader has a normaliser
};

struct Batch {
  std::vector<Example> examples;
};

// Frames [start, start + frames) of a spectrogram as [n_mels, frames], taking no frame at or after `end`; what is
// missing is padded with `pad`, by default the spectrogram's floor (the minimum of its mel rows; a waveform pads
// with 0; chroma rows always with 0). Used for crops, windows and prediction alike.
std::vector<float> CutFrames(const features::Spectrogram& s, int64_t start, int64_t frames, int64_t end,
                             std::optional<float> pad = std::nullopt);

// One example to cut: an item, where its crop starts (-1: drawn from `seed` when it is cut, for a random training
// crop), and the seed of the item's position in the epoch's order.
struct CropTask {
  std::size_t item;
  int64_t first_frame;
  uint64_t seed;
};

// Stages: the epoch's order (shuffled for training) -> tasks (one crop per item, or sliding windows) -> this rank's
// share -> batches of tasks -> cut + transform -> prefetch (Prefetcher).
class DataLoader {
 public:
  DataLoader(const Dataset& dataset, std::vector<std::size_t> indices, const FeatureCache& cache,
             LoaderOptions options, std::optional<LabelNormalizer> normalizer = std::nullopt);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Starts producing the batches of an epoch (stops any unfinished one).
  void StartEpoch(int epoch);
  // The next batch in order, or nullopt at the end of the epoch. Rethrows a worker's error (InputError naming
  // the audio file).
  std::optional<Batch> Next();
  std::size_t BatchesPerEpoch() const;

 private:
  // Cuts (and, training, transforms) the examples of batch `batch` of the epoch's tasks.
  Batch Produce(std::size_t batch) const;

  const Dataset& dataset_;
  std::vector<std::size_t> indices_;
  const FeatureCache& cache_;
  LoaderOptions options_;
  std::optional<LabelNormalizer> normalizer_;
  std::vector<CropTask> tasks_;  // the epoch's examples to cut, in order
  Prefetcher<Batch> prefetcher_;
};

}  // namespace mer::data
