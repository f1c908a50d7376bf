// The models behind `mer train`: each maps a batch of log-mel windows [batch, n_mels, frames] to raw outputs
// [batch, outputs] (valence/arousal values, tag logits or class logits). Built by name from a registry.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace mer::models {

struct ModelSpec {
  int n_mels = 40;
  int64_t frames = 1292;  // input window length in frames
  int outputs = 2;
  double dropout = 0.0;
};

struct EmotionModel : torch::nn::Module {
  // x: [batch, n_mels, frames] log-mel; returns [batch, outputs].
  virtual torch::Tensor forward(torch::Tensor x) = 0;
};

using ModelFactory = std::function<std::shared_ptr<EmotionModel>(const ModelSpec&)>;

struct ModelEntry {
  std::string name;
  std::string description;
  ModelFactory create;
};

// Registers liu_cnn, quan_cnn and quan_cnn_deep (idempotent).
void RegisterBuiltinModels();
std::vector<std::string> RegisteredModels();
// ConfigError listing the registered names when `name` is unknown; ConfigError when the spec does not fit.
std::shared_ptr<EmotionModel> CreateModel(const std::string& name, const ModelSpec& spec);
int64_t ParameterCount(const torch::nn::Module& module);

}  // namespace mer::models
