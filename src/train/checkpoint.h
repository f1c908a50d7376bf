// Checkpoints: one LibTorch archive holding the model's parameters and buffers, the optimiser state (for resuming)
// and a JSON string "meta" with everything eval and predict need (format version, resolved config, model spec, task,
// output names, label normalisation, progress counters). Written to a temporary file, then renamed.
#pragma once

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "mer/models/model.h"

namespace mer::train {

constexpr int kCheckpointFormat = 1;

void SaveCheckpoint(const std::filesystem::path& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                    const nlohmann::json& meta);

struct LoadedCheckpoint {
  nlohmann::json meta;
  std::shared_ptr<models::EmotionModel> model;  // built from the meta and loaded, on `device`
  std::unique_ptr<torch::serialize::InputArchive> archive;
};

// Throws InputError naming the file for a missing, truncated or foreign file, an unknown format version, or
// weights that do not fit the model the meta describes.
LoadedCheckpoint LoadCheckpoint(const std::filesystem::path& path, const torch::Device& device);
void LoadOptimizerState(const LoadedCheckpoint& checkpoint, torch::optim::Optimizer* optimizer,
                        const std::filesystem::path& path);

models::ModelSpec SpecFromJson(const nlohmann::json& j);
nlohmann::json SpecToJson(const models::ModelSpec& spec);

// "cpu", "cuda" or "auto"; ConfigError for cuda without a CUDA build or GPU.
torch::Device ResolveDevice(const std::string& name);

// The checksum of a run's split.json as written (FNV-1a, hex), kept in its checkpoints: eval refuses a split.json
// edited since training (moving training items into test raised R² from 0.004 to 0.37 without a word).
std::string SplitChecksum(const std::string& split_json_text);

}  // namespace mer::train
