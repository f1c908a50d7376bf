#include "mer/models/pretrained.h"

#include <cstdlib>

#include "mer/core/error.h"
#include "mer/core/strings.h"

namespace mer::models {

std::filesystem::path PretrainedModel::WeightsFile() const {
  const char* dir = std::getenv("MER_PRETRAINED_DIR");
  const std::filesystem::path folder = dir && *dir ? std::filesystem::path(dir) : std::filesystem::path(MER_PRETRAINED_SOURCE_DIR);
  return folder / (name + ".safetensors");
}

const PretrainedLayer& PretrainedModel::Layer(const std::string& layer) const {
  std::vector<std::string> names;
  for (const PretrainedLayer& l : layers) {
    if (l.name == layer) return l;
    names.push_back(l.name);
  }
  throw ConfigError("--layer " + layer + ": " + name + " has no such layer; choose one of " + Joined(names));
}

features::FrontendConfig PretrainedFrontend() {
  features::FrontendConfig c;
  c.sample_rate = 16000;
  c.n_fft = 512;
  c.hop_length = 256;
  c.n_mels = 96;
  c.mel_scale = "slaney";
  c.norm = "slaney";
  c.power = 2.0;
  c.center = true;
  c.pad_mode = "constant";
  c.log = "log1p";
  c.log1p_scale = 10000.0;
  c.mel_precision = "float16";
  c.top_db.reset();
  return c;
}

const std::vector<PretrainedModel>& PretrainedModels() {
  static const std::vector<PretrainedModel> models = [] {
    const std::vector<PretrainedLayer> musicnn = {
        {"taggram", 50, "sigmoid tag probabilities"},
        {"penultimate", 200, "the back end's dense layer after ReLU and batch norm"},
        {"max_pool", 753, "the mid end's features, max over the patch's frames"},
        {"mean_pool", 753, "the mid end's features, mean over the patch's frames"}};
    const std::vector<PretrainedLayer> vgg = {
        {"taggram", 50, "sigmoid tag probabilities"},
        {"pool5", 256, "the last pooling layer, flattened as the dense layer reads it ([time 2, freq 1, 128])"}};
    return std::vector<PretrainedModel>{
        {"mtt_musicnn", "musicnn", "MagnaTagATune", musicnn, "penultimate"},
        {"msd_musicnn", "musicnn", "Million Song Dataset", musicnn, "penultimate"},
        {"mtt_vgg", "vgg", "MagnaTagATune", vgg, "pool5"},
        {"msd_vgg", "vgg", "Million Song Dataset", vgg, "pool5"}};
  }();
  return models;
}

const PretrainedModel& FindPretrained(const std::string& name) {
  std::vector<std::string> names;
  for (const PretrainedModel& m : PretrainedModels()) {
    if (m.name == name) return m;
    names.push_back(m.name);
  }
  throw ConfigError("pretrained model \"" + name + "\" does not exist; choose one of " + Joined(names));
}

int PretrainedPatchCount(int64_t frames) {
  return static_cast<int>(std::max<int64_t>(1, frames / kPretrainedPatchFrames));
}

}  // namespace mer::models
