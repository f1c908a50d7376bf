// The entry point of libmer_torch.so: wraps Train / Evaluate / Predict, turning exceptions into PluginError.
#include <new>

#include "mer/core/error.h"
#include "mer/train/plugin.h"

namespace mer::train {
namespace {

template <typename F>
bool Guard(PluginError* error, F&& body) {
  try {
    body();
    return true;
  } catch (const ConfigError& e) {
    *error = {2, e.what()};
  } catch (const Error& e) {
    *error = {1, e.what()};
  } catch (const std::bad_alloc&) {
    *error = {1, "out of memory"};
  } catch (const std::exception& e) {  // LibTorch's messages carry a backtrace after the first line
    const std::string what = e.what();
    *error = {1, "internal error: " + what.substr(0, what.find('\n'))};
  }
  return false;
}

int TrainEntry(const nlohmann::json& config, const TrainOptions& options, PluginError* error) {
  int code = -1;
  return Guard(error, [&] { code = Train(ParseRunConfig(config), options); }) ? code : -1;
}

bool EvaluateEntry(const EvalOptions& options, nlohmann::json* result, PluginError* error) {
  return Guard(error, [&] { *result = Evaluate(options); });
}

bool PredictEntry(const PredictOptions& options, const std::vector<PredictInput>& inputs,
                  std::vector<TrackPrediction>* result, PluginError* error) {
  return Guard(error, [&] { *result = Predict(options, inputs); });
}

bool EmbedEntry(const std::filesystem::path& run_dir, const std::string& device, const std::vector<PredictInput>& inputs,
                SearchCache* cache, std::vector<std::string>* errors, PluginError* error) {
  return Guard(error, [&] { *errors = EmbedSongs(run_dir, device, inputs, cache); });
}

bool ExportEntry(const ExportOptions& options, nlohmann::json* result, PluginError* error) {
  return Guard(error, [&] { *result = Export(options); });
}

bool PretrainedEntry(const PretrainedOptions& options, const std::vector<PredictInput>& inputs,
                     std::vector<PretrainedResult>* result, std::vector<std::string>* tags, PluginError* error) {
  return Guard(error, [&] { *result = RunPretrained(options, inputs, tags); });
}

const TorchPlugin kPlugin{kPluginAbi, TrainEntry, EvaluateEntry, PredictEntry, EmbedEntry, ExportEntry, PretrainedEntry};

}  // namespace
}  // namespace mer::train

extern "C" const mer::train::TorchPlugin* mer_torch_plugin() { return &mer::train::kPlugin; }
