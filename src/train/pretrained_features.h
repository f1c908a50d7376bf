// The pretrained networks inside the LibTorch plugin: loaded once per process and device, shared by `mer embed`,
// `mer predict --tags` and frontend.pretrained, whose feature-cache transform runs the chosen layers over a log-mel.
#pragma once

#include <memory>

#include <torch/torch.h>

#include "mer/data/feature_cache.h"
#include "mer/models/musicnn.h"
#include "mer/train/run_config.h"

namespace mer::train {

// `model`'s network with the weights of model.WeightsFile(), on `device`, in eval mode; InputError naming the file
// when it is missing or does not fit. Thread-safe; later calls return the same network.
const models::LoadedPretrained& PretrainedNetwork(const models::PretrainedModel& model, const torch::Device& device);

// At most this many patches (3.2 min of audio) go through a network at once, so memory stays bounded for long files
// (musicnn's front end holds ~0.4 MB per patch); batch norm in inference mode treats each patch on its own.
constexpr int64_t kPretrainedChunk = 64;
// The `layers` of `patches` [P, 187, 96] ([P, dims] each), computed kPretrainedChunk patches at a time.
std::vector<torch::Tensor> ForwardInChunks(models::PretrainedNetworkImpl& network, const torch::Tensor& patches,
                                           const std::vector<std::string>& layers);

// frontend.pretrained's transform: the networks' log-mel [96, frames] -> the layers' values per patch, stacked as
// rows in the order of `config.layers` ([Rows(), patches]). Its key names the layers and the weight files' sizes and
// checksums. Loads every network it needs now (errors before any audio is decoded); null when `config` is off.
std::shared_ptr<const data::FeatureTransform> PretrainedTransform(const PretrainedFrontendConfig& config);

}  // namespace mer::train
