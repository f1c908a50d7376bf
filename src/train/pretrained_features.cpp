#include "pretrained_features.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>

#include "mer/core/error.h"

namespace mer::train {
namespace {

namespace fs = std::filesystem;

// "size:fnv1a" of a weight file (a few MB: read once per transform).
std::string FileChecksum(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw InputError(path.string() + ": cannot be read");
  return std::to_string(bytes.size()) + ":" + std::to_string(data::Fnv1a(bytes.data(), bytes.size()));
}

}  // namespace

const models::LoadedPretrained& PretrainedNetwork(const models::PretrainedModel& model, const torch::Device& device) {
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

std::vector<torch::Tensor> ForwardInChunks(models::PretrainedNetworkImpl& network, const torch::Tensor& patches,
                                           const std::vector<std::string>& layers) {
  std::vector<std::vector<torch::Tensor>> chunks(layers.size());
  for (int64_t start = 0; start < patches.size(0); start += kPretrainedChunk) {
    const std::vector<torch::Tensor> values =
        network.ForwardLayers(patches.narrow(0, start, std::min(kPretrainedChunk, patches.size(0) - start)), layers);
    for (std::size_t l = 0; l < layers.size(); ++l) chunks[l].push_back(values[l]);
  }
  std::vector<torch::Tensor> out;
  for (const auto& c : chunks) out.push_back(c.size() == 1 ? c[0] : torch::cat(c, 0));
  return out;
}

std::shared_ptr<const data::FeatureTransform> PretrainedTransform(const PretrainedFrontendConfig& config) {
  if (!config.enabled()) return nullptr;
  // One pass per network for all of its layers; `order` puts the values back in the config's order.
  struct Part {
    std::shared_ptr<models::PretrainedNetworkImpl> network;
    std::vector<std::string> layers;
  };
  std::vector<Part> parts;
  std::vector<std::pair<std::size_t, std::size_t>> order;  // (part, layer within it) per config layer
  auto transform = std::make_shared<data::FeatureTransform>();
  transform->key = "pretrained-v1";
  std::map<std::string, std::string> checksums;
  std::map<std::string, std::size_t> part_of;
  for (const std::string& dotted : config.layers) {
    const std::size_t dot = dotted.find('.');
    const models::PretrainedModel& model = models::FindPretrained(dotted.substr(0, dot));
    const std::string layer = model.Layer(dotted.substr(dot + 1)).name;
    if (!part_of.count(model.name)) {
      part_of[model.name] = parts.size();
      parts.push_back({PretrainedNetwork(model, torch::kCPU).network, {}});
      checksums[model.name] = FileChecksum(model.WeightsFile());
    }
    Part& part = parts[part_of[model.name]];
    order.emplace_back(part_of[model.name], part.layers.size());
    part.layers.push_back(layer);
    transform->key += " " + dotted + "=" + checksums[model.name];
  }
  transform->rows = config.Rows();
  const features::FrontendConfig frontend = models::PretrainedFrontend();
  transform->columns_per_second =
      static_cast<double>(frontend.sample_rate) / (frontend.hop_length * models::kPretrainedPatchFrames);
  const int rows = transform->rows;
  transform->compute = [parts, order, rows](const features::Spectrogram& logmel) {
    torch::NoGradGuard no_grad;
    const torch::Tensor patches = models::PretrainedPatches(logmel);
    std::vector<std::vector<torch::Tensor>> outputs;
    for (const Part& part : parts) outputs.push_back(ForwardInChunks(*part.network, patches, part.layers));
    std::vector<torch::Tensor> values;
    for (const auto& [part, layer] : order) values.push_back(outputs[part][layer]);
    const torch::Tensor rows_by_patch = torch::cat(values, 1).t().contiguous();  // [rows, patches]
    features::Spectrogram out;
    out.n_mels = rows;
    out.frames = rows_by_patch.size(1);
    out.values.assign(rows_by_patch.data_ptr<float>(), rows_by_patch.data_ptr<float>() + rows_by_patch.numel());
    return out;
  };
  return transform;
}

}  // namespace mer::train
