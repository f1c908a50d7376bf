// frontend.pretrained with fine_tune: the pretrained networks inside the model (mer/models/model.h).
#include <map>

#include "mer/core/error.h"
#include "mer/models/model.h"
#include "mer/models/musicnn.h"

namespace mer::models {

WithPretrainedNetworks::WithPretrainedNetworks(const ModelSpec& spec, std::shared_ptr<EmotionModel> inner_model)
    : inner(std::move(inner_model)) {
  if (inner->Embedding() != nullptr) {
    throw ConfigError("frontend.pretrained.fine_tune is not available for embedding models (emb_cl): use the frozen "
                      "frontend");
  }
  std::map<std::string, std::size_t> index;
  for (const std::string& dotted : spec.pretrained_layers) {
    const std::size_t dot = dotted.find('.');
    const PretrainedModel& model = FindPretrained(dotted.substr(0, dot));
    const std::string layer = model.Layer(dotted.substr(dot + 1)).name;
    if (!index.count(model.name)) {
      index[model.name] = networks.size();
      networks.push_back({LoadPretrainedNetwork(model, model.WeightsFile()).network, {}});
      register_module(model.name, networks.back().module);
    }
    Network& network = networks[index[model.name]];
    order.emplace_back(index[model.name], network.layers.size());
    network.layers.push_back(layer);
  }
  register_module("model", inner);
  row_mean = register_buffer("row_mean", torch::zeros({spec.n_mels}));
  row_std = register_buffer("row_std", torch::ones({spec.n_mels}));
  train(is_training());
}

void WithPretrainedNetworks::SetRowNorm(const std::vector<float>& mean, const std::vector<float>& std) {
  torch::NoGradGuard no_grad;
  row_mean.copy_(torch::tensor(mean));
  row_std.copy_(torch::tensor(std));
}

void WithPretrainedNetworks::train(bool on) {
  torch::nn::Module::train(on);
  for (Network& n : networks) n.module->eval();
}

std::vector<torch::Tensor> WithPretrainedNetworks::NetworkParameters() const {
  std::vector<torch::Tensor> out;
  for (const Network& n : networks) {
    for (const torch::Tensor& p : n.module->parameters()) out.push_back(p);
  }
  return out;
}

torch::Tensor WithPretrainedNetworks::Features(const torch::Tensor& logmel) {
  const int64_t batch = logmel.size(0), mels = logmel.size(1), patches = logmel.size(2) / kPretrainedPatchFrames;
  if (patches < 1 || patches * kPretrainedPatchFrames != logmel.size(2)) {
    throw Error("internal error: the pretrained networks read whole 187-frame patches, got " +
                std::to_string(logmel.size(2)) + " frames");
  }
  // [batch, 96, patches x 187] -> [batch x patches, 187, 96], the networks' patches in order.
  const torch::Tensor x = logmel.transpose(1, 2).reshape({batch * patches, kPretrainedPatchFrames, mels});
  std::vector<std::vector<torch::Tensor>> outputs;
  for (Network& n : networks) outputs.push_back(n.module->ForwardLayers(x, n.layers));
  std::vector<torch::Tensor> values;
  for (const auto& [network, layer] : order) values.push_back(outputs[network][layer]);
  const torch::Tensor rows = torch::cat(values, 1).view({batch, patches, -1}).transpose(1, 2);  // [batch, rows, patches]
  return (rows - row_mean.view({1, -1, 1})) / row_std.view({1, -1, 1});
}

torch::Tensor WithPretrainedNetworks::forward(torch::Tensor logmel) { return inner->forward(Features(logmel)); }

torch::Tensor WithPretrainedNetworks::TrainingLoss(const TrainingBatch& batch) {
  if (!inner->HasTrainingLoss()) return {};
  TrainingBatch features = batch;
  features.x = Features(batch.x);
  return inner->TrainingLoss(features);
}

}  // namespace mer::models
