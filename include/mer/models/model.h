// The models behind `mer train`: each maps a batch of log-mel windows [batch, n_mels, frames] to raw outputs
// [batch, outputs] (valence/arousal values, tag logits or class logits). Built by name from a registry.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "mer/features/frontend_config.h"
#include "mer/models/model_config.h"

namespace mer::models {

// What a model is built from: the window's shape, the task and the model options (ModelOptions: channels, filters,
// embedding_dim, ... as declared in the models' descriptors).
struct ModelSpec : ModelOptions {
  int n_mels = 40;
  int64_t frames = 1292;  // input window length in frames
  int outputs = 2;
  double dropout = 0.0;
  std::string task = "regression";  // a TaskKind's name (mer/core/task_kind.h)
  int curve_steps = 0;  // dynamic task: points of the valence/arousal curve sampled over one window (2 Hz)
  // frontend.learnable: the model reads the waveform [batch, 1, samples] and computes the log-mel itself
  bool learnable_frontend = false;
  bool train_stft = true, train_mel = true;
  features::FrontendConfig frontend;  // the fixed frontend the learnable one starts from
  // frontend.pretrained with fine_tune: the model reads the networks' log-mel [batch, 96, frames x 187] and runs these
  // layers ("MODEL.LAYER") inside; n_mels and frames above are what the model behind them reads (rows, patches).
  std::vector<std::string> pretrained_layers;
};

// One training batch as the trainer hands it to a model with its own objective.
struct TrainingBatch {
  torch::Tensor x;         // [batch, n_mels, frames] standardised log-mel
  torch::Tensor target;    // regression: [batch, outputs] z-scored; tagging: [batch, tags]; quadrants: [batch] int64
  torch::Tensor quadrant;  // valence/arousal tasks: [batch] int64 quadrant index 0..3 of each target; else undefined
  torch::Tensor curve;     // dynamic task: [batch, curve_steps, 2] z-scored valence/arousal over each window
};

struct EmbeddingModel;
struct EmotionModel : torch::nn::Module {
  // x: [batch, n_mels, frames] log-mel; returns [batch, outputs].
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // A model with its own training objective (multi-task, embedding losses) returns it here; an undefined tensor
  // means "the task's loss on forward()" (MSE, BCE with logits, cross-entropy).
  virtual torch::Tensor TrainingLoss(const TrainingBatch& batch) {
    (void)batch;
    return {};
  }
  virtual bool HasTrainingLoss() const { return false; }
  // The model as an embedding model (emb_cl, also behind the learnable frontend), or nullptr.
  virtual EmbeddingModel* Embedding() { return nullptr; }
};

// A model that places music and emotions in one space (emb_cl): each side is a diagonal Gaussian.
struct EmbeddingModel : EmotionModel {
  // x: [batch, n_mels, frames] -> [batch, 2 * dim]: mean | log-variance of the music Gaussian.
  virtual torch::Tensor EmbedMusic(torch::Tensor x) = 0;
  // va: [batch, 2] z-scored valence/arousal -> [batch, 2 * dim]: mean | log-variance of the emotion Gaussian.
  virtual torch::Tensor EmbedEmotion(torch::Tensor va) = 0;
  // curve: [batch, steps, 2] z-scored valence/arousal over each window -> [batch, 2 * dim]. A static encoder takes
  // the curve's mean; a recurrent one reads the sequence of CurveSteps() points.
  virtual torch::Tensor EmbedEmotionCurve(torch::Tensor curve) { return EmbedEmotion(curve.mean(1)); }
  virtual int CurveSteps() const { return 0; }  // 0: a static emotion encoder
  // As EmbedMusic / EmbedEmotion (a [batch, 2] pair or a [batch, steps, 2] curve), with each side's CCA embedding
  // appended: [batch, 3 * dim] = mean | log-variance | embedding, what the retrieval's linear CCA reads.
  virtual torch::Tensor EmbedMusicWithCca(torch::Tensor x) = 0;
  virtual torch::Tensor EmbedEmotionWithCca(torch::Tensor va_or_curve) = 0;
  EmbeddingModel* Embedding() override { return this; }
  // [batch, 2 * dim] music Gaussians (EmbedMusic's output) -> [batch, 2] z-scored valence/arousal estimate;
  // forward(x) is EstimateEmotion(EmbedMusic(x)), so callers needing both run the encoder once.
  virtual torch::Tensor EstimateEmotion(const torch::Tensor& music) = 0;
};

// frontend.learnable around any model: waveform -> LearnableFrontend -> per-band standardisation (statistics of the
// fixed log-mel on the training items, kept as buffers so they travel with the weights) -> the model. Around an
// embedding model it is one too (Embedding() is non-null): the music side reads the waveform, the rest is the inner
// model's.
struct LearnableFrontendImpl;
struct WithLearnableFrontend : EmbeddingModel {
  WithLearnableFrontend(const ModelSpec& spec, std::shared_ptr<EmotionModel> inner);
  void SetBandNorm(const std::vector<float>& mean, const std::vector<float>& std);
  torch::Tensor Features(const torch::Tensor& waveform);  // [batch, n_mels, frames], standardised
  torch::Tensor forward(torch::Tensor waveform) override;
  torch::Tensor TrainingLoss(const TrainingBatch& batch) override;
  bool HasTrainingLoss() const override { return inner->HasTrainingLoss(); }
  EmbeddingModel* Embedding() override { return inner->Embedding() != nullptr ? this : nullptr; }
  torch::Tensor EmbedMusic(torch::Tensor waveform) override;
  torch::Tensor EmbedEmotion(torch::Tensor va) override;
  torch::Tensor EmbedEmotionCurve(torch::Tensor curve) override;
  torch::Tensor EmbedMusicWithCca(torch::Tensor waveform) override;
  torch::Tensor EmbedEmotionWithCca(torch::Tensor va_or_curve) override;
  torch::Tensor EstimateEmotion(const torch::Tensor& music) override;
  int CurveSteps() const override;

  std::shared_ptr<LearnableFrontendImpl> frontend;
  std::shared_ptr<EmotionModel> inner;
  torch::Tensor band_mean, band_std;
  // Training only: applied to the standardised features [batch, n_mels, frames] (SpecAugment), when set.
  std::function<void(torch::Tensor&)> train_transform;
};

// frontend.pretrained with fine_tune around any model but emb_cl: the networks' log-mel [batch, 96, patches x 187]
// -> the networks' layers per 187-frame patch (weights from pretrained/, trainable; batch norm always in inference
// mode, with the networks' own statistics) -> [batch, rows, patches], standardised per row (statistics of the frozen
// layers on the training items, buffers) -> the model.
struct PretrainedNetworkImpl;
struct WithPretrainedNetworks : EmotionModel {
  WithPretrainedNetworks(const ModelSpec& spec, std::shared_ptr<EmotionModel> inner);
  void SetRowNorm(const std::vector<float>& mean, const std::vector<float>& std);
  torch::Tensor Features(const torch::Tensor& logmel);  // [batch, rows, patches], standardised
  torch::Tensor forward(torch::Tensor logmel) override;
  torch::Tensor TrainingLoss(const TrainingBatch& batch) override;
  bool HasTrainingLoss() const override { return inner->HasTrainingLoss(); }
  void train(bool on = true) override;  // the networks stay in inference mode
  std::vector<torch::Tensor> NetworkParameters() const;  // what frontend.pretrained.lr trains

  struct Network {
    std::shared_ptr<PretrainedNetworkImpl> module;
    std::vector<std::string> layers;
  };
  std::vector<Network> networks;
  std::vector<std::pair<std::size_t, std::size_t>> order;  // (network, layer within it) of each spec layer
  std::shared_ptr<EmotionModel> inner;
  torch::Tensor row_mean, row_std;
};

using ModelFactory = std::function<std::shared_ptr<EmotionModel>(const ModelSpec&)>;

// The LibTorch half of a model; what it is (description, options, traits) is its ModelDescriptor
// (mer/models/descriptor.h, in the model's *_info.cpp).
struct ModelEntry {
  std::string name;
  ModelFactory create;
};

// What the spec's task is (an unknown name is neither).
bool IsValenceArousalTask(const ModelSpec& spec);
bool IsDynamicTask(const ModelSpec& spec);

// Registers every model of MER_MODELS (CMakeLists.txt): each file's Entries() (idempotent, thread-safe).
void RegisterBuiltinModels();
std::vector<std::string> RegisteredModels();
// ConfigError listing the registered names when `name` is unknown; ConfigError when the spec does not fit.
std::shared_ptr<EmotionModel> CreateModel(const std::string& name, const ModelSpec& spec);
int64_t ParameterCount(const torch::nn::Module& module);

}  // namespace mer::models
