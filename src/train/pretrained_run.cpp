// mer embed and mer predict --tags, the LibTorch half: the pretrained network over the inputs' log-mels.
#include <map>
#include <mutex>

#include "checkpoint.h"
#include "mer/core/error.h"
#include "mer/models/musicnn.h"
#include "mer/train/api.h"

namespace mer::train {
namespace {

// Networks stay loaded for the process (a catalogue calls RunPretrained once per chunk).
const models::LoadedPretrained& Network(const models::PretrainedModel& model, const torch::Device& device) {
  static std::mutex mutex;
  static std::map<std::string, models::LoadedPretrained> loaded;
  const std::lock_guard<std::mutex> lock(mutex);
  const std::string key = model.name + "@" + device.str();
  auto it = loaded.find(key);
  if (it == loaded.end()) {
    models::LoadedPretrained network = models::LoadPretrainedNetwork(model, model.WeightsFile());
    network.network->to(device);
    it = loaded.emplace(key, std::move(network)).first;
  }
  return it->second;
}

}  // namespace

std::vector<PretrainedResult> RunPretrained(const PretrainedOptions& options, const std::vector<PredictInput>& inputs,
                                            std::vector<std::string>* tags) {
  const models::PretrainedModel& model = models::FindPretrained(options.model);
  const models::PretrainedLayer& layer = model.Layer(options.layer);
  const torch::Device device = ResolveDevice(options.device);
  const models::LoadedPretrained& network = Network(model, device);
  if (tags) *tags = network.tags;
  torch::NoGradGuard no_grad;
  std::vector<PretrainedResult> results(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    PretrainedResult& r = results[i];
    r.file = inputs[i].file;
    r.error = inputs[i].error;
    if (!r.error.empty()) continue;
    // The extractor runs one patch at a time (BATCH_SIZE = 1); batch norm is in inference mode, so a song's patches
    // go through together and give the same values.
    const torch::Tensor out = network.network->Forward(models::PretrainedPatches(inputs[i].spectrogram).to(device),
                                                       layer.name).to(torch::kCPU).contiguous();
    r.patches = out.size(0);
    r.dims = out.size(1);
    r.values.assign(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
  }
  return results;
}

}  // namespace mer::train
