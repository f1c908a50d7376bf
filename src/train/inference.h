// Running a model over whole items (internal to the train library).
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include <torch/torch.h>

#include "mer/data/corpus.h"
#include "mer/data/data_loader.h"
#include "mer/data/feature_cache.h"
#include "mer/data/split.h"
#include "checkpoint.h"
#include "mer/models/model.h"
#include "mer/models/retrieval.h"
#include "task.h"

namespace mer::train {

// [batch, outputs] raw model outputs -> output space (regression: dataset scale; tagging: sigmoid; quadrants: softmax).
torch::Tensor ToOutputSpace(const torch::Tensor& raw, const TaskInfo& task, const data::LabelNormalizer& normalizer);

// Stacks examples' features into [batch, n_mels, frames] on `device`, standardised per band by `norm`.
torch::Tensor FeaturesTensor(const std::vector<data::Example>& examples, const FeatureNorm& norm,
                             const torch::Device& device);

// The threshold of the training correlation below which a CCA dimension is left out (the authors' corr_p).
constexpr double kRetrievalCorrP = 0.4;

// Rows to score: one per item (track level: the mean over its windows), or for the dynamic task one per window
// that covers annotated curve values (truth: the curve's mean over the window).
struct Scored {
  std::vector<std::string> ids;
  std::vector<double> times;  // window start in seconds (dynamic), else empty
  std::vector<std::vector<float>> truth;
  std::vector<std::vector<double>> predicted;
};

// What scoring a run's items needs besides the model: the items and their features, the windows, the task and the
// normalisations, the device, and the loader's threads and batch size. Models are run over sliding windows of
// `frames` columns every `hop`.
struct Scorer {
  const data::Corpus& corpus;
  const data::FeatureCache& cache;
  int64_t frames;
  int64_t hop;
  const TaskInfo& task;
  const FeatureNorm& norm;
  const data::LabelNormalizer& normalizer;
  torch::Device device;
  int workers;
  int batch_size;
  bool song_rows = false;  // dynamic task retrieval: one row per song (train.retrieval_rows: song)

  // Track-level outputs per item (output space): the mean over its windows, in the order of `indices`.
  std::vector<std::vector<double>> PredictItems(models::EmotionModel& model, const std::vector<std::size_t>& indices) const;
  // Truth and prediction rows of the items (see Scored).
  Scored Score(models::EmotionModel& model, const std::vector<std::size_t>& indices) const;
  // emb_cl retrieval as the authors evaluate it (models/retrieval.h): the linear CCA fitted on the training part's
  // embeddings (track level, or the annotated windows for the dynamic task), or nullopt when fewer than 2 rows.
  std::optional<models::LinearCca> FitRetrievalCca(models::EmbeddingModel& model,
                                                   const std::vector<std::size_t>& train_indices) const;
  // Retrieval both ways with the authors' M2E and E2M distances (`music_to_emotion`, `emotion_to_music`): lambda x
  // the correlation-weighted line errors in the CCA space + (1 - lambda) x their KL matrices; MRR, ranks,
  // recall@k, chance. lambda is the run's model.cca_weight; without a CCA (nullptr) the KL part alone (lambda 0).
  // Rows are the items (track level), or for the dynamic task the annotated windows, each against its own stretch
  // of the curve.
  nlohmann::json Retrieval(models::EmbeddingModel& model, const std::vector<std::size_t>& indices,
                           const models::LinearCca* cca, double lambda) const;
};

// A run folder's best checkpoint and what scoring with it needs.
struct LoadedRun {
  LoadedCheckpoint checkpoint;
  TaskInfo task;
  data::LabelNormalizer normalizer;
  FeatureNorm feature_norm;
  features::FrontendConfig frontend;
  int64_t frames = 0;      // columns per model input: log-mel frames, or waveform samples
  bool waveform = false;   // inputs are waveforms (raw-audio model, learnable frontend)
  // frontend.pretrained, frozen: the log-mel of `frontend` -> the networks' values per patch (what the model reads)
  PretrainedFrontendConfig pretrained;
  std::shared_ptr<const data::FeatureTransform> transform;
  torch::Device device = torch::kCPU;
  double FramesPerSecond() const {
    if (transform) return transform->columns_per_second;
    return waveform ? double(frontend.sample_rate) : double(frontend.sample_rate) / frontend.hop_length;
  }
  // A whole file's model input from its log-mel (or waveform) as PredictInputs computes it.
  features::Spectrogram Input(const features::Spectrogram& s) const { return transform ? transform->compute(s) : s; }
};
// InputError for a missing folder or checkpoint; ConfigError for an unusable device.
LoadedRun OpenRun(const std::filesystem::path& run_dir, const std::string& device_name);

// Windows of `frames` frames every `hop` frames over a whole spectrogram (the last one reaches its end; short
// spectrograms are padded as in training), handed to `batch` kWindowBatch at a time with their first frames: only
// one batch of windows is ever held, however small the hop (issue 32: --hop 0.0001 s on a 3 h file held 8 GB).
inline constexpr std::size_t kWindowBatch = 16;
void ForEachWindowBatch(const features::Spectrogram& s, int64_t frames, int64_t hop, bool waveform,
                        const std::function<void(const std::vector<data::Example>& windows,
                                                 const std::vector<int64_t>& start_frames)>& batch);

// The items of a corpus that have their audio file (the rest are counted by the caller and left out).
data::Corpus WithAudio(const data::Corpus& corpus, std::size_t* missing);

}  // namespace mer::train
