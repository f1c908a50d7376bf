// mer embed and mer predict --tags, the LibTorch half: the pretrained network over the inputs' log-mels.
#include "checkpoint.h"
#include "mer/core/error.h"
#include "mer/models/musicnn.h"
#include "mer/train/api.h"
#include "pretrained_features.h"

namespace mer::train {

std::vector<PretrainedResult> RunPretrained(const PretrainedOptions& options, const std::vector<PredictInput>& inputs,
                                            std::vector<std::string>* tags) {
  const models::PretrainedModel& model = models::FindPretrained(options.model);
  const models::PretrainedLayer& layer = model.Layer(options.layer);
  const torch::Device device = ResolveDevice(options.device);
  const models::LoadedPretrained& network = PretrainedNetwork(model, device);
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
    const torch::Tensor out =
        ForwardInChunks(*network.network, models::PretrainedPatches(inputs[i].spectrogram).to(device), {layer.name})[0]
            .to(torch::kCPU)
            .contiguous();
    r.patches = out.size(0);
    r.dims = out.size(1);
    r.values.assign(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
  }
  return results;
}

}  // namespace mer::train
