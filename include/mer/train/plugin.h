// LibTorch lives in a plugin (libmer_torch.so beside the `mer` executable, or $MER_TORCH_PLUGIN) that `mer` loads
// only for train, eval and predict: loading LibTorch and its ~290 libraries takes about 0.6 s, which `mer features`
// and `mer data` should not pay, and which `mer predict` overlaps with decoding. Errors cross the boundary as a
// kind and a message and are rethrown as mer's own exception types.
#pragma once

#include <future>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/train/api.h"

namespace mer::train {

constexpr int kPluginAbi = 6;

struct PluginError {
  int kind = 0;  // 0 none, 1 runtime (mer::Error), 2 configuration (mer::ConfigError)
  std::string message;
};

struct TorchPlugin {
  int abi = kPluginAbi;
  // Returns the exit code of Train (0, 130, 143), or -1 with *error set.
  int (*train)(const nlohmann::json& config, const TrainOptions& options, PluginError* error);
  bool (*evaluate)(const EvalOptions& options, nlohmann::json* result, PluginError* error);
  bool (*predict)(const PredictOptions& options, const std::vector<PredictInput>& inputs,
                  std::vector<TrackPrediction>* result, PluginError* error);
  bool (*embed)(const std::filesystem::path& run_dir, const std::string& device, const std::vector<PredictInput>& inputs,
                SearchCache* cache, std::vector<std::string>* errors, PluginError* error);
  bool (*export_run)(const ExportOptions& options, nlohmann::json* result, PluginError* error);
  bool (*pretrained)(const PretrainedOptions& options, const std::vector<PredictInput>& inputs,
                     std::vector<PretrainedResult>* result, std::vector<std::string>* tags, PluginError* error);
};

// Loads the plugin (once); throws mer::Error naming the file when it cannot be loaded.
const TorchPlugin& LoadTorchPlugin();
// Starts loading it on another thread.
std::shared_future<const TorchPlugin*> LoadTorchPluginAsync();
// Rethrows a PluginError as ConfigError or Error.
[[noreturn]] void Rethrow(const PluginError& error);

}  // namespace mer::train

extern "C" const mer::train::TorchPlugin* mer_torch_plugin();
