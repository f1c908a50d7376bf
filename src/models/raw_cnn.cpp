// raw_cnn: a 1-D CNN on the raw waveform, after "Music Emotion Recognition using Deep Neural Networks" (PMEmo):
// 5 s chunks of mono audio at 22,050 Hz (model.input_frames counts samples; windows overlap by half at evaluation).
//  - stem: Conv1d(1 -> 32, width 64, stride 16) + batch norm + ReLU + max-pool 4 (a learned filterbank);
//  - multi-scale block: three Conv1d(32 -> 32) of widths 3, 9 and 27 in parallel, concatenated (96 channels),
//    batch norm + ReLU + max-pool 4;
//  - Conv1d(96 -> 128, width 9) + batch norm + ReLU + max-pool 4;
//  - adaptive average pooling to 8 steps (any input length gives the same size), dense 128 + ReLU, dropout, outputs
//    (valence/arousal regression, or the four quadrants).
#include "mer/core/error.h"
#include "mer/models/model.h"

namespace mer::models {
namespace {

constexpr int kPooledSteps = 8;

struct RawCnnImpl : EmotionModel {
  explicit RawCnnImpl(const ModelSpec& spec) {
    if (spec.n_mels != 1) throw ConfigError("raw_cnn reads the waveform (one channel), not a spectrogram");
    if (spec.frames < 16 * 4 * 4 * 4 * 2) throw ConfigError("raw_cnn needs input_frames >= 2048 samples");
    stem = register_module("stem", torch::nn::Conv1d(torch::nn::Conv1dOptions(1, 32, 64).stride(16)));
    stem_bn = register_module("stem_bn", torch::nn::BatchNorm1d(32));
    for (int width : {3, 9, 27}) {
      branches.push_back(register_module("branch" + std::to_string(width),
                                         torch::nn::Conv1d(torch::nn::Conv1dOptions(32, 32, width).padding(width / 2))));
    }
    branch_bn = register_module("branch_bn", torch::nn::BatchNorm1d(96));
    conv = register_module("conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(96, 128, 9).padding(4)));
    conv_bn = register_module("conv_bn", torch::nn::BatchNorm1d(128));
    dense = register_module("dense", torch::nn::Linear(128 * kPooledSteps, 128));
    dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
    head = register_module("head", torch::nn::Linear(128, spec.outputs));
  }
  // x: [batch, 1, samples]
  torch::Tensor forward(torch::Tensor x) override {
    x = torch::max_pool1d(torch::relu(stem_bn->forward(stem->forward(x))), 4);
    std::vector<torch::Tensor> parallel;
    for (auto& branch : branches) parallel.push_back(branch->forward(x));
    x = torch::max_pool1d(torch::relu(branch_bn->forward(torch::cat(parallel, 1))), 4);
    x = torch::max_pool1d(torch::relu(conv_bn->forward(conv->forward(x))), 4);
    x = torch::adaptive_avg_pool1d(x, kPooledSteps).flatten(1);
    x = torch::relu(dense->forward(x));
    return head->forward(dropout->options.p() > 0 ? dropout->forward(x) : x);
  }
  torch::nn::Conv1d stem{nullptr}, conv{nullptr};
  std::vector<torch::nn::Conv1d> branches;
  torch::nn::BatchNorm1d stem_bn{nullptr}, branch_bn{nullptr}, conv_bn{nullptr};
  torch::nn::Linear dense{nullptr}, head{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(RawCnn);

}  // namespace

ModelEntry RawCnnEntry() {
  return {"raw_cnn", "1-D CNN on the raw waveform: strided stem, parallel widths 3/9/27, adaptive pooling, dense",
          [](const ModelSpec& s) { return RawCnn(s).ptr(); }};
}

}  // namespace mer::models
