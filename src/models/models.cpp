// liu_cnn, quan_cnn and quan_cnn_deep, and the model registry.
#include <map>
#include <mutex>

#include "mer/core/error.h"
#include "mer/core/registry.h"
#include "mer/core/task_kind.h"
#include "mer/models/learnable_frontend.h"
#include "mer/models/model.h"

namespace mer::models {
namespace {

// Quan & Dong: Conv1d over time with the mel bands as channels. quan_cnn: 32 filters of width 8, max-pool 4, 16
// filters of width 8, max-pool 4, dense 64, outputs. quan_cnn_deep: six conv + max-pool pairs of width 4 and pool 2
// with 32, 32, 16, 16, 8, 8 filters, dense 64, outputs.
struct QuanCnnImpl : EmotionModel {
  QuanCnnImpl(const ModelSpec& spec, std::vector<int> filters, int width, int pool) {
    int channels = spec.n_mels;
    int64_t length = spec.frames;
    for (std::size_t i = 0; i < filters.size(); ++i) {
      convs.push_back(register_module("conv" + std::to_string(i + 1),
                                      torch::nn::Conv1d(torch::nn::Conv1dOptions(channels, filters[i], width))));
      channels = filters[i];
      length = (length - width + 1) / pool;
      if (length < 1) {
        throw ConfigError("model.input_frames = " + std::to_string(spec.frames) + " is too short for " +
                          std::to_string(filters.size()) + " conv/pool stages (width " + std::to_string(width) +
                          ", pool " + std::to_string(pool) + ")");
      }
    }
    pool_size = pool;
    dense = register_module("dense", torch::nn::Linear(channels * length, 64));
    head = register_module("head", torch::nn::Linear(64, spec.outputs));
    dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
  }
  torch::Tensor forward(torch::Tensor x) override {
    for (auto& conv : convs) x = torch::max_pool1d(torch::relu(conv->forward(x)), pool_size);
    x = torch::relu(dense->forward(x.flatten(1)));
    return head->forward(dropout->options.p() > 0 ? dropout->forward(x) : x);
  }
  std::vector<torch::nn::Conv1d> convs;
  torch::nn::Linear dense{nullptr}, head{nullptr};
  torch::nn::Dropout dropout{nullptr};
  int pool_size = 4;
};
TORCH_MODULE(QuanCnn);

// After Liu, Chen, Wu, Wang & Li, "CNN based music emotion classification" (2017): a 2-D CNN over the
// spectrogram. Three conv(3x3) + batch-norm + ReLU + max-pool(2x2) blocks with 32, 64 and 128 filters, then
// global average pooling over frequency and time, dropout and a dense layer per tag. (The paper's exact layer sizes
// were not available; this keeps its structure: spectrogram in, convolution + pooling, fully connected out.)
struct LiuCnnImpl : EmotionModel {
  explicit LiuCnnImpl(const ModelSpec& spec) {
    int channels = 1;
    int64_t h = spec.n_mels, w = spec.frames;
    for (int i = 0; i < 3; ++i) {
      const int filters = 32 << i;
      convs.push_back(register_module("conv" + std::to_string(i + 1),
                                      torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, filters, 3).padding(1))));
      norms.push_back(register_module("bn" + std::to_string(i + 1), torch::nn::BatchNorm2d(filters)));
      channels = filters;
      h /= 2;
      w /= 2;
    }
    if (h < 1 || w < 1) {
      throw ConfigError("liu_cnn needs at least 8 mel bands and 8 frames (n_mels " + std::to_string(spec.n_mels) +
                        ", input_frames " + std::to_string(spec.frames) + ")");
    }
    dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
    head = register_module("head", torch::nn::Linear(channels, spec.outputs));
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = x.unsqueeze(1);  // [batch, 1, n_mels, frames]
    for (std::size_t i = 0; i < convs.size(); ++i) {
      x = torch::max_pool2d(torch::relu(norms[i]->forward(convs[i]->forward(x))), 2);
    }
    x = x.mean({2, 3});
    return head->forward(dropout->options.p() > 0 ? dropout->forward(x) : x);
  }
  std::vector<torch::nn::Conv2d> convs;
  std::vector<torch::nn::BatchNorm2d> norms;
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(LiuCnn);

NamedRegistry<ModelEntry>& Registry() {
  static NamedRegistry<ModelEntry> registry("model");
  return registry;
}

}  // namespace

void RegisterBuiltinModels() {
  Registry().Register("quan_cnn", {"quan_cnn", [](const ModelSpec& s) { return QuanCnn(s, std::vector<int>{32, 16}, 8, 4).ptr(); }});
  Registry().Register("quan_cnn_deep",
                      {"quan_cnn_deep", [](const ModelSpec& s) { return QuanCnn(s, std::vector<int>{32, 32, 16, 16, 8, 8}, 4, 2).ptr(); }});
  Registry().Register("liu_cnn", {"liu_cnn", [](const ModelSpec& s) { return LiuCnn(s).ptr(); }});
  for (ModelEntry entry : {AdffEntry(), EmbClEntry(), RawCnnEntry(), ClipStatsEntry()}) Registry().Register(entry.name, entry);
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
