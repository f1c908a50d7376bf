// musicnn and its VGG baseline (Pons & Serra 2019, musicnn 0.1.0's models.py), for inference with the authors'
// trained weights (pretrained/musicnn/, ISC licence).
#include "mer/models/musicnn.h"

#include <set>

#include <nlohmann/json.hpp>

#include "mer/core/error.h"
#include "mer/core/safetensors.h"

namespace mer::models {
namespace {

namespace F = torch::nn::functional;

constexpr double kTfBatchNormEpsilon = 1e-3;  // tf.compat.v1.layers.batch_normalization's default

// conv -> ReLU -> batch norm, as every musicnn block (and the VGG's convolutions) does.
struct ConvReluBnImpl : torch::nn::Module {
  ConvReluBnImpl(int64_t in, int64_t out, int64_t kernel_time, int64_t kernel_freq)
      : conv(register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, {kernel_time, kernel_freq})))),
        bn(register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(kTfBatchNormEpsilon)))) {}
  torch::Tensor forward(const torch::Tensor& x) { return bn(torch::relu(conv(x))); }
  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d bn;
};
TORCH_MODULE(ConvReluBn);

// Zero padding of the time axis (dim 2 of [N, C, time, freq]) by `before` and `after` frames.
torch::Tensor PadTime(const torch::Tensor& x, int64_t before, int64_t after) {
  return F::pad(x, F::PadFuncOptions({0, 0, before, after}));
}

// TF 'same' padding of a stride-1 kernel of k frames: (k - 1) / 2 before, the rest after.
torch::Tensor PadSame(const torch::Tensor& x, int64_t k) { return PadTime(x, (k - 1) / 2, k - 1 - (k - 1) / 2); }

class MusicnnImpl : public PretrainedNetworkImpl {
 public:
  MusicnnImpl() {
    input_bn_ = register_module("input_bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(1).eps(kTfBatchNormEpsilon)));
    // Front end: timbral filters spanning 40% and 70% of the 96 mel bands over 7 frames (204 = int(1.6 * 128)),
    // temporal filters over 128, 64 and 32 frames of one band (51 = int(1.6 * 32)); each max-pooled over frequency.
    timbral74_ = register_module("timbral74", ConvReluBn(1, 204, 7, 38));
    timbral77_ = register_module("timbral77", ConvReluBn(1, 204, 7, 67));
    temporal128_ = register_module("temporal128", ConvReluBn(1, 51, 128, 1));
    temporal64_ = register_module("temporal64", ConvReluBn(1, 51, 64, 1));
    temporal32_ = register_module("temporal32", ConvReluBn(1, 51, 32, 1));
    // Mid end: three 7-frame convolutions over all features (561, then 64), the last two residual.
    mid1_ = register_module("mid1", ConvReluBn(1, 64, 7, 561));
    mid2_ = register_module("mid2", ConvReluBn(1, 64, 7, 64));
    mid3_ = register_module("mid3", ConvReluBn(1, 64, 7, 64));
    // Back end: max and mean over time of the 753 features, batch norm, dense 200 (ReLU, batch norm), dense 50.
    pool_bn_ = register_module("pool_bn", torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(1506).eps(kTfBatchNormEpsilon)));
    penultimate_ = register_module("penultimate", torch::nn::Linear(1506, 200));
    penultimate_bn_ = register_module("penultimate_bn", torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(200).eps(kTfBatchNormEpsilon)));
    logits_ = register_module("logits", torch::nn::Linear(200, 50));
  }

  std::vector<torch::Tensor> ForwardLayers(const torch::Tensor& patches, const std::vector<std::string>& layers) override {
    const torch::Tensor x = input_bn_(patches.unsqueeze(1));  // [P, 1, 187, 96]
    const auto over_freq = [](const torch::Tensor& t) { return std::get<0>(t.max(3)); };  // [P, C, time]
    const torch::Tensor timbral_input = PadTime(x, 3, 3);
    const torch::Tensor front = torch::cat({over_freq(timbral74_(timbral_input)), over_freq(timbral77_(timbral_input)),
                                            over_freq(temporal128_(PadSame(x, 128))), over_freq(temporal64_(PadSame(x, 64))),
                                            over_freq(temporal32_(PadSame(x, 32)))},
                                           1);  // [P, 561, time]
    // A mid-end layer reads [P, C, time] as a one-channel image [P, 1, time + 6, C] and writes [P, 64, time].
    const auto mid = [](ConvReluBn& block, const torch::Tensor& t) {
      return block(PadTime(t.transpose(1, 2).unsqueeze(1), 3, 3)).squeeze(3);
    };
    const torch::Tensor m1 = mid(mid1_, front);
    const torch::Tensor m2 = mid(mid2_, m1) + m1;
    const torch::Tensor m3 = mid(mid3_, m2) + m2;
    const torch::Tensor features = torch::cat({front, m1, m2, m3}, 1);  // [P, 753, time]
    const torch::Tensor max_pool = std::get<0>(features.max(2)), mean_pool = features.mean(2);
    // tf.concat([max, mean], 2) of [P, 753, 1] tensors, flattened: max and mean interleaved per feature.
    const torch::Tensor pooled = pool_bn_(torch::stack({max_pool, mean_pool}, 2).flatten(1));
    const torch::Tensor penultimate = penultimate_bn_(torch::relu(penultimate_(pooled)));
    std::vector<torch::Tensor> out;
    for (const std::string& layer : layers) {
      if (layer == "max_pool") out.push_back(max_pool);
      else if (layer == "mean_pool") out.push_back(mean_pool);
      else if (layer == "penultimate") out.push_back(penultimate);
      else if (layer == "taggram") out.push_back(torch::sigmoid(logits_(penultimate)));
      else throw ConfigError("--layer " + layer + ": musicnn has no such layer");
    }
    return out;
  }

 private:
  torch::nn::BatchNorm2d input_bn_{nullptr};
  ConvReluBn timbral74_{nullptr}, timbral77_{nullptr}, temporal128_{nullptr}, temporal64_{nullptr}, temporal32_{nullptr};
  ConvReluBn mid1_{nullptr}, mid2_{nullptr}, mid3_{nullptr};
  torch::nn::BatchNorm1d pool_bn_{nullptr}, penultimate_bn_{nullptr};
  torch::nn::Linear penultimate_{nullptr}, logits_{nullptr};
};

class VggImpl : public PretrainedNetworkImpl {
 public:
  VggImpl() {
    input_bn_ = register_module("input_bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(1).eps(kTfBatchNormEpsilon)));
    for (int i = 1; i <= 5; ++i) {
      convs_.push_back(register_module("conv" + std::to_string(i), ConvReluBn(i == 1 ? 1 : 128, 128, 3, 3)));
    }
    logits_ = register_module("logits", torch::nn::Linear(256, 50));
  }

  std::vector<torch::Tensor> ForwardLayers(const torch::Tensor& patches, const std::vector<std::string>& layers) override {
    torch::Tensor x = input_bn_(patches.unsqueeze(1));  // [P, 1, 187, 96]
    // 3x3 'same' convolutions; max pooling (TF 'valid'): [4, 1] stride 2, then [2, 2] three times, then [4, 4].
    const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> pools = {
        {{4, 1}, {2, 2}}, {{2, 2}, {2, 2}}, {{2, 2}, {2, 2}}, {{2, 2}, {2, 2}}, {{4, 4}, {4, 4}}};
    for (std::size_t i = 0; i < convs_.size(); ++i) {
      x = F::max_pool2d(convs_[i](F::pad(x, F::PadFuncOptions({1, 1, 1, 1}))),
                        F::MaxPool2dFuncOptions(pools[i].first).stride(pools[i].second));
    }
    const torch::Tensor pool5 = x.permute({0, 2, 3, 1}).flatten(1);  // TF's NHWC order: [P, 2 * 1 * 128]
    std::vector<torch::Tensor> out;
    for (const std::string& layer : layers) {
      if (layer == "pool5") out.push_back(pool5);
      else if (layer == "taggram") out.push_back(torch::sigmoid(logits_(pool5)));
      else throw ConfigError("--layer " + layer + ": the VGG has no such layer");
    }
    return out;
  }

 private:
  torch::nn::BatchNorm2d input_bn_{nullptr};
  std::vector<ConvReluBn> convs_;
  torch::nn::Linear logits_{nullptr};
};

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::vector<std::string> LoadWeights(const PretrainedModel& model, torch::nn::Module& module,
                                     const std::filesystem::path& path) {
  SafeTensorsFile file = LoadSafeTensors(path);
  const auto meta = [&](const std::string& key) { return file.metadata.count(key) ? file.metadata.at(key) : ""; };
  if (meta("format") != "mer-pretrained-1" || meta("architecture") != model.architecture) {
    throw InputError(path.string() + ": not a weight file of scripts/import_musicnn.py for a " + model.architecture +
                     " network (__metadata__ format \"" + meta("format") + "\", architecture \"" +
                     meta("architecture") + "\")");
  }
  const nlohmann::json tags = nlohmann::json::parse(meta("tags"), nullptr, false);
  if (!tags.is_array() || tags.size() != 50) throw InputError(path.string() + ": __metadata__.tags is not a list of 50 tags");
  std::set<std::string> unused;
  for (const auto& [name, tensor] : file.tensors) unused.insert(name);
  torch::NoGradGuard no_grad;
  const auto load = [&](const std::string& name, torch::Tensor& target) {
    const auto it = file.tensors.find(name);
    if (it == file.tensors.end()) throw InputError(path.string() + ": weight \"" + name + "\" is missing (not this network's file?)");
    if (it->second.shape != target.sizes().vec()) {
      throw InputError(path.string() + ": weight \"" + name + "\" has shape " + ShapeText(it->second.shape) +
                       ", the network's is " + ShapeText(target.sizes().vec()));
    }
    target.copy_(torch::from_blob(it->second.data.data(), target.sizes(), torch::kFloat32));
    unused.erase(name);
  };
  for (auto& p : module.named_parameters()) load(p.key(), p.value());
  for (auto& b : module.named_buffers()) {
    const std::string counter = "num_batches_tracked";  // a training counter, not a weight
    const std::string& key = b.key();
    if (key.size() < counter.size() || key.compare(key.size() - counter.size(), counter.size(), counter) != 0) {
      load(key, b.value());
    }
  }
  if (!unused.empty()) {
    throw InputError(path.string() + ": weight \"" + *unused.begin() + "\" belongs to no layer of this network (another network's file?)");
  }
  std::vector<std::string> names;
  for (const auto& t : tags) {
    if (!t.is_string()) throw InputError(path.string() + ": __metadata__.tags holds a tag that is not a string");
    names.push_back(t.get<std::string>());
  }
  return names;
}

}  // namespace

LoadedPretrained LoadPretrainedNetwork(const PretrainedModel& model, const std::filesystem::path& weights) {
  LoadedPretrained loaded;
  if (model.architecture == "musicnn") {
    loaded.network = std::make_shared<MusicnnImpl>();
  } else {
    loaded.network = std::make_shared<VggImpl>();
  }
  loaded.tags = LoadWeights(model, *loaded.network, weights);
  loaded.network->eval();
  return loaded;
}

torch::Tensor PretrainedPatches(const features::Spectrogram& logmel) {
  const int64_t frames = logmel.frames, patches = PretrainedPatchCount(frames);
  const int64_t used = std::min(frames, patches * kPretrainedPatchFrames);
  // [96, frames] -> [frames, 96], the first `used` frames, zero-padded to whole patches (only when shorter than one).
  const torch::Tensor mel = torch::from_blob(const_cast<float*>(logmel.values.data()), {logmel.n_mels, frames},
                                             torch::kFloat32).narrow(1, 0, used).t();
  torch::Tensor out = torch::zeros({patches * kPretrainedPatchFrames, logmel.n_mels});
  out.narrow(0, 0, used).copy_(mel);
  return out.view({patches, kPretrainedPatchFrames, logmel.n_mels});
}

}  // namespace mer::models
