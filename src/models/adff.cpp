// ADFF, attention-based deep feature fusion for music emotion recognition (../shared/papers/adff_vgg_se_fusion.txt,
// an abstract naming neither authors nor venue; docs/papers.md says what is the paper's and what is ours).
//  - Multi-channel data processing: the log-mel window [n_mels, frames] is cut along time into `channels` equal
//    slices stacked as input channels [channels, n_mels, frames / channels].
//  - Spatial feature learning: an adapted VGG of four blocks (two 3x3 conv + batch norm + ReLU, then 2x2 max-pool)
//    with model.filters << block filters (16, 32, 64, 128 by default); every block's output is one level of features.
//  - Temporal feature learning: per level, a squeeze-and-excitation attention module (the frequency axis averaged
//    away, channels re-weighted by SE with reduction 4) followed by attention pooling over time.
//  - Fusion: the levels' vectors concatenated into the spatial-temporal feature, a dense layer, and heads for the
//    outputs (valence and arousal) and, for multi-task training, the four VA quadrants.
// The default filter counts are a quarter of VGG's, sized for CPU training; model.filters = 64 gives the paper's
// full width (64, 128, 256, 512). The structure follows the paper.
#include "mer/core/error.h"
#include "mer/models/model.h"

namespace mer::models {
namespace {

constexpr int kBlocks = 4;

struct VggBlockImpl : torch::nn::Module {
  VggBlockImpl(int in, int out)
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)))),
        conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out, 3).padding(1)))),
        bn1(register_module("bn1", torch::nn::BatchNorm2d(out))),
        bn2(register_module("bn2", torch::nn::BatchNorm2d(out))) {}
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(bn1->forward(conv1->forward(x)));
    x = torch::relu(bn2->forward(conv2->forward(x)));
    return torch::max_pool2d(x, 2);
  }
  torch::nn::Conv2d conv1, conv2;
  torch::nn::BatchNorm2d bn1, bn2;
};
TORCH_MODULE(VggBlock);

// Squeeze-and-excitation over channels of a level's time sequence, then attention pooling over time.
struct SeTemporalAttentionImpl : torch::nn::Module {
  explicit SeTemporalAttentionImpl(int channels)
      : squeeze(register_module("squeeze", torch::nn::Linear(channels, std::max(1, channels / 4)))),
        excite(register_module("excite", torch::nn::Linear(std::max(1, channels / 4), channels))),
        score(register_module("score", torch::nn::Linear(channels, 1))) {}
  // level: [batch, channels, freq, time] -> [batch, channels]
  torch::Tensor forward(const torch::Tensor& level) {
    const torch::Tensor sequence = level.mean(2);  // [batch, channels, time]
    const torch::Tensor weights = torch::sigmoid(excite->forward(torch::relu(squeeze->forward(sequence.mean(2)))));
    const torch::Tensor reweighted = (sequence * weights.unsqueeze(2)).transpose(1, 2);  // [batch, time, channels]
    const torch::Tensor attention = torch::softmax(score->forward(reweighted), 1);       // [batch, time, 1]
    return (reweighted * attention).sum(1);
  }
  torch::nn::Linear squeeze, excite, score;
};
TORCH_MODULE(SeTemporalAttention);

struct AdffImpl : EmotionModel {
  explicit AdffImpl(const ModelSpec& spec) : spec_(spec) {
    if (spec.channels < 1 || spec.frames / spec.channels < 16 || spec.n_mels < 16) {
      throw ConfigError("adff needs n_mels >= 16 and input_frames / channels >= 16 (n_mels " +
                        std::to_string(spec.n_mels) + ", input_frames " + std::to_string(spec.frames) +
                        ", channels " + std::to_string(spec.channels) + ")");
    }
    int in = spec.channels, fused = 0;
    for (int i = 0; i < kBlocks; ++i) {
      const int out = spec.filters << i;
      blocks.push_back(register_module("block" + std::to_string(i + 1), VggBlock(in, out)));
      attention.push_back(register_module("se" + std::to_string(i + 1), SeTemporalAttention(out)));
      in = out;
      fused += out;
    }
    fuse = register_module("fuse", torch::nn::Linear(fused, 128));
    dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
    head = register_module("head", torch::nn::Linear(128, spec.outputs));
    const bool va_task = IsValenceArousalTask(spec);
    if (spec.quadrant_weight > 0 && va_task) quadrant_head = register_module("quadrant_head", torch::nn::Linear(128, 4));
  }

  // [batch, 128]: the fused spatial-temporal feature.
  torch::Tensor Features(torch::Tensor x) {
    const int64_t slice = x.size(2) / spec_.channels;
    x = x.narrow(2, 0, slice * spec_.channels)
            .reshape({x.size(0), x.size(1), spec_.channels, slice})
            .permute({0, 2, 1, 3});  // [batch, channels, n_mels, slice]
    std::vector<torch::Tensor> levels;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      x = blocks[i]->forward(x);
      levels.push_back(attention[i]->forward(x));
    }
    const torch::Tensor fused = torch::relu(fuse->forward(torch::cat(levels, 1)));
    return dropout->options.p() > 0 ? dropout->forward(fused) : fused;
  }
  torch::Tensor forward(torch::Tensor x) override { return head->forward(Features(x)); }

  bool HasTrainingLoss() const override { return !quadrant_head.is_empty(); }

  // Multi-task: MSE on valence/arousal + quadrant_weight * cross-entropy on the quadrant.
  torch::Tensor TrainingLoss(const TrainingBatch& batch) override {
    if (!quadrant_head) return {};
    const torch::Tensor features = Features(batch.x);
    return torch::mse_loss(head->forward(features), batch.target) +
           spec_.quadrant_weight *
               torch::nn::functional::cross_entropy(quadrant_head->forward(features), batch.quadrant);
  }

  ModelSpec spec_;
  std::vector<VggBlock> blocks;
  std::vector<SeTemporalAttention> attention;
  torch::nn::Linear fuse{nullptr}, head{nullptr}, quadrant_head{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(Adff);

}  // namespace

namespace adff {
std::vector<ModelEntry> Entries() { return {{"adff", [](const ModelSpec& s) { return Adff(s).ptr(); }}}; }
}  // namespace adff

}  // namespace mer::models
