// The model registry (each model in its own file: cnn.cpp, adff.cpp, ...) and the learnable-frontend wrapper.
#include <map>
#include <mutex>

#include "mer/core/error.h"
#include "mer/core/registry.h"
#include "mer/core/task_kind.h"
#include "mer/models/learnable_frontend.h"
#include "mer/models/model.h"

namespace mer::models {
namespace {

NamedRegistry<ModelEntry>& Registry() {
  static NamedRegistry<ModelEntry> registry("model");
  return registry;
}

}  // namespace

// Each model file's Entries() (the list is generated from MER_MODELS in CMakeLists.txt).
#define MER_MODEL(file) \
  namespace file {       \
  std::vector<ModelEntry> Entries(); \
  }
#include "mer_models.inc"
#undef MER_MODEL

void RegisterBuiltinModels() {
  static std::once_flag once;
  std::call_once(once, [] {
#define MER_MODEL(file) \
  for (const ModelEntry& entry : file::Entries()) Registry().Register(entry.name, entry);
#include "mer_models.inc"
#undef MER_MODEL
  });
}

std::vector<std::string> RegisteredModels() { return Registry().Names(); }

bool IsValenceArousalTask(const ModelSpec& spec) {
  const TaskKind* kind = FindTask(spec.task);
  return kind != nullptr && kind->valence_arousal;
}

bool IsDynamicTask(const ModelSpec& spec) {
  const TaskKind* kind = FindTask(spec.task);
  return kind != nullptr && kind->dynamic;
}

std::shared_ptr<EmotionModel> CreateModel(const std::string& name, const ModelSpec& spec) {
  RegisterBuiltinModels();
  std::shared_ptr<EmotionModel> model = Registry().Find(name).create(spec);
  if (!spec.pretrained_layers.empty()) return std::make_shared<WithPretrainedNetworks>(spec, model);
  if (!spec.learnable_frontend) return model;
  return std::make_shared<WithLearnableFrontend>(spec, model);
}

WithLearnableFrontend::WithLearnableFrontend(const ModelSpec& spec, std::shared_ptr<EmotionModel> inner_model)
    : frontend(std::make_shared<LearnableFrontendImpl>(spec.frontend, spec.train_stft, spec.train_mel)),
      inner(std::move(inner_model)) {
  register_module("frontend", frontend);
  register_module("model", inner);
  band_mean = register_buffer("band_mean", torch::zeros({spec.n_mels}));
  band_std = register_buffer("band_std", torch::ones({spec.n_mels}));
}

void WithLearnableFrontend::SetBandNorm(const std::vector<float>& mean, const std::vector<float>& std) {
  torch::NoGradGuard no_grad;
  band_mean.copy_(torch::tensor(mean));
  band_std.copy_(torch::tensor(std));
}

torch::Tensor WithLearnableFrontend::Features(const torch::Tensor& waveform) {
  torch::Tensor features = (frontend->forward(waveform) - band_mean.view({1, -1, 1})) / band_std.view({1, -1, 1});
  if (is_training() && train_transform) train_transform(features);
  return features;
}

torch::Tensor WithLearnableFrontend::forward(torch::Tensor waveform) { return inner->forward(Features(waveform)); }

torch::Tensor WithLearnableFrontend::TrainingLoss(const TrainingBatch& batch) {
  if (!inner->HasTrainingLoss()) return {};
  TrainingBatch features = batch;
  features.x = Features(batch.x);
  return inner->TrainingLoss(features);
}

namespace {
EmbeddingModel& InnerEmbedding(const std::shared_ptr<EmotionModel>& inner) {
  EmbeddingModel* embedding = inner->Embedding();
  if (embedding == nullptr) throw Error("internal error: the model behind the learnable frontend does not embed");
  return *embedding;
}
}  // namespace

torch::Tensor WithLearnableFrontend::EmbedMusic(torch::Tensor waveform) {
  return InnerEmbedding(inner).EmbedMusic(Features(waveform));
}
torch::Tensor WithLearnableFrontend::EmbedEmotion(torch::Tensor va) { return InnerEmbedding(inner).EmbedEmotion(va); }
torch::Tensor WithLearnableFrontend::EmbedEmotionCurve(torch::Tensor curve) {
  return InnerEmbedding(inner).EmbedEmotionCurve(curve);
}
torch::Tensor WithLearnableFrontend::EmbedMusicWithCca(torch::Tensor waveform) {
  return InnerEmbedding(inner).EmbedMusicWithCca(Features(waveform));
}
torch::Tensor WithLearnableFrontend::EmbedEmotionWithCca(torch::Tensor va_or_curve) {
  return InnerEmbedding(inner).EmbedEmotionWithCca(va_or_curve);
}
torch::Tensor WithLearnableFrontend::EstimateEmotion(const torch::Tensor& music) {
  return InnerEmbedding(inner).EstimateEmotion(music);
}
int WithLearnableFrontend::CurveSteps() const {
  const EmbeddingModel* embedding = inner->Embedding();
  return embedding != nullptr ? embedding->CurveSteps() : 0;
}

int64_t ParameterCount(const torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& p : module.parameters()) count += p.numel();
  return count;
}

}  // namespace mer::models
