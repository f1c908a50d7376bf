// liu_cnn, quan_cnn and quan_cnn_deep: the spectrogram CNNs.
#include "mer/core/error.h"
#include "mer/models/model.h"

namespace mer::models {
namespace {

// Quan & Dong: Conv1d over time with the mel bands as channels. quan_cnn: 32 filters of width 8, max-pool 4, 16
// filters of width 8, max-pool 4, dense 64, outputs. quan_cnn_deep: six conv + max-pool pairs of width 4 and pool 2
// with 32, 32, 16, 16, 8, 8 filters, dense 64, outputs.
struct QuanCnnImpl : EmotionModel {
  QuanCnnImpl(const ModelSpec& spec, std::vector<int> filters, int width, int pool) {
    int channels = spec.n_mels;
    int64_t length = spec.frames;
    for (std::size_t i = 0; i < filters.size(); ++i) {
      convs.push_back(register_module("conv" + std::to_string(i + 1),
                                      torch::nn::Conv1d(torch::nn::Conv1dOptions(channels, filters[i], width))));
      channels = filters[i];
      length = (length - width + 1) / pool;
      if (length < 1) {
        throw ConfigError("model.input_frames = " + std::to_string(spec.frames) + " is too short for " +
                          std::to_string(filters.size()) + " conv/pool stages (width " + std::to_string(width) +
                          ", pool " + std::to_string(pool) + ")");
      }
    }
    pool_size = pool;
    dense = register_module("dense", torch::nn::Linear(channels * length, 64));
    head = register_module("head", torch::nn::Linear(64, spec.outputs));
    dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
  }
  torch::Tensor forward(torch::Tensor x) override {
    for (auto& conv : convs) x = torch::max_pool1d(torch::relu(conv->forward(x)), pool_size);
    x = torch::relu(dense->forward(x.flatten(1)));
    return head->forward(dropout->options.p() > 0 ? dropout->forward(x) : x);
  }
  std::vector<torch::nn::Conv1d> convs;
  torch::nn::Linear dense{nullptr}, head{nullptr};
  torch::nn::Dropout dropout{nullptr};
  int pool_size = 4;
};
TORCH_MODULE(QuanCnn);

// After Liu, Chen, Wu, Liu & Liu, "CNN based music emotion classification" (2017): a 2-D CNN over the
// spectrogram. Three conv(3x3) + batch-norm + ReLU + max-pool(2x2) blocks with 32, 64 and 128 filters, then
// global average pooling over frequency and time, dropout and a dense layer per tag. (The paper's exact layer sizes
// were not available; this keeps its structure: spectrogram in, convolution + pooling, fully connected out.)
struct LiuCnnImpl : EmotionModel {
  explicit LiuCnnImpl(const ModelSpec& spec) {
    int channels = 1;
    int64_t h = spec.n_mels, w = spec.frames;
    for (int i = 0; i < 3; ++i) {
      const int filters = 32 << i;
      convs.push_back(register_module("conv" + std::to_string(i + 1),
                                      torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, filters, 3).padding(1))));
      norms.push_back(register_module("bn" + std::to_string(i + 1), torch::nn::BatchNorm2d(filters)));
      channels = filters;
      h /= 2;
      w /= 2;
    }
    if (h < 1 || w < 1) {
      throw ConfigError("liu_cnn needs at least 8 mel bands and 8 frames (n_mels " + std::to_string(spec.n_mels) +
                        ", input_frames " + std::to_string(spec.frames) + ")");
    }
    dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
    head = register_module("head", torch::nn::Linear(channels, spec.outputs));
  }
  torch::Tensor forward(torch::Tensor x) override {
    x = x.unsqueeze(1);  // [batch, 1, n_mels, frames]
    for (std::size_t i = 0; i < convs.size(); ++i) {
      x = torch::max_pool2d(torch::relu(norms[i]->forward(convs[i]->forward(x))), 2);
    }
    x = x.mean({2, 3});
    return head->forward(dropout->options.p() > 0 ? dropout->forward(x) : x);
  }
  std::vector<torch::nn::Conv2d> convs;
  std::vector<torch::nn::BatchNorm2d> norms;
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(LiuCnn);

}  // namespace

namespace cnn {
std::vector<ModelEntry> Entries() {
  return {{"quan_cnn", [](const ModelSpec& s) { return QuanCnn(s, std::vector<int>{32, 16}, 8, 4).ptr(); }},
          {"quan_cnn_deep", [](const ModelSpec& s) { return QuanCnn(s, std::vector<int>{32, 32, 16, 16, 8, 8}, 4, 2).ptr(); }},
          {"liu_cnn", [](const ModelSpec& s) { return LiuCnn(s).ptr(); }}};
}
}  // namespace cnn

}  // namespace mer::models
