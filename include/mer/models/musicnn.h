// The pretrained networks of mer/models/pretrained.h in LibTorch, layer for layer as musicnn/models.py builds them
// in TensorFlow (musicnn 0.1.0): batch norm with TF's epsilon 1e-3, ReLU before batch norm, TF's 'same' padding
// (asymmetric for even kernels), the back end's max and mean pooling interleaved per channel as tf.concat + flatten
// lay them out. Inference only (the extractor's is_training = False).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "mer/features/frontend.h"
#include "mer/models/pretrained.h"

namespace mer::models {

struct PretrainedNetworkImpl : public torch::nn::Module {
  // patches [P, 187, 96] (time, mel) of the authors' log-mel -> each of `layers`' values [P, dims], in that order,
  // from one pass through the network. ConfigError for a layer the network does not have.
  virtual std::vector<torch::Tensor> ForwardLayers(const torch::Tensor& patches, const std::vector<std::string>& layers) = 0;
  torch::Tensor Forward(const torch::Tensor& patches, const std::string& layer) { return ForwardLayers(patches, {layer})[0]; }
};

struct LoadedPretrained {
  std::shared_ptr<PretrainedNetworkImpl> network;  // in eval mode, on the CPU
  std::vector<std::string> tags;                   // the taggram's tag names (the weight file's vocabulary)
};
// Builds `model`'s network and loads its weights from `weights` (a safetensors file of scripts/import_musicnn.py,
// whose metadata names the architecture): every parameter and batch-norm statistic must be there with its shape and
// nothing else may be; InputError naming the file and the tensor otherwise.
LoadedPretrained LoadPretrainedNetwork(const PretrainedModel& model, const std::filesystem::path& weights);

// The extractor's patches of one log-mel (mer's [96, frames] layout) as [P, 187, 96]: see PretrainedPatchCount.
torch::Tensor PretrainedPatches(const features::Spectrogram& logmel);

}  // namespace mer::models
