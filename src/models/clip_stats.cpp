// clip_stats: clip-level statistics of the log-mel window, the kind of summary features classical MER systems feed
// to an SVM (Panda et al. 2018 summarise frame features by their mean and standard deviation), computed inside the
// model so that training crops, evaluation windows and `mer predict` all see the same thing, then a small MLP.
//   per mel band: mean, standard deviation, mean |first difference| over time          3 x n_mels
//   MFCC-like: orthonormal DCT-II of each frame's bands, first 20 coefficients: mean, sd    40
//   frame level (band mean) and onset strength (mean positive difference): mean, sd         4
// -> batch-norm (the statistics' scales differ by orders of magnitude) -> dropout -> dense 128 + ReLU -> dropout
// -> outputs. Regression, tagging or classes alike.
#include <cmath>

#include "mer/core/error.h"
#include "mer/models/model.h"

namespace mer::models {
namespace {

constexpr int kCepstra = 20;

struct ClipStatsImpl : EmotionModel {
  explicit ClipStatsImpl(const ModelSpec& spec) : n_mels(spec.n_mels) {
    if (spec.frames < 4) {
      throw ConfigError("clip_stats needs model.input_frames >= 4 (it is " + std::to_string(spec.frames) + ")");
    }
    const int cepstra = std::min(kCepstra, n_mels);
    // DCT-II, orthonormal (scipy.fft.dct(norm="ortho")), rows = coefficients.
    torch::Tensor dct = torch::empty({cepstra, n_mels});
    for (int k = 0; k < cepstra; ++k) {
      const double scale = std::sqrt((k == 0 ? 1.0 : 2.0) / n_mels);
      for (int m = 0; m < n_mels; ++m) dct[k][m] = scale * std::cos(M_PI * k * (2 * m + 1) / (2.0 * n_mels));
    }
    dct_matrix = register_buffer("dct", dct);
    const int64_t features = 3 * n_mels + 2 * cepstra + 4;
    norm = register_module("norm", torch::nn::BatchNorm1d(features));
    dense = register_module("dense", torch::nn::Linear(features, 128));
    head = register_module("head", torch::nn::Linear(128, spec.outputs));
    dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
  }

  // x: [batch, n_mels, frames] -> [batch, 3 n_mels + 2 cepstra + 4]
  torch::Tensor Statistics(const torch::Tensor& x) {
    const torch::Tensor diff = x.slice(2, 1) - x.slice(2, 0, -1);
    const torch::Tensor cepstra = torch::matmul(dct_matrix, x);  // [batch, cepstra, frames]
    const torch::Tensor level = x.mean(1), onset = torch::relu(diff).mean(1);
    return torch::cat({x.mean(2), x.std(2, false), diff.abs().mean(2), cepstra.mean(2), cepstra.std(2, false),
                       level.mean(1, true), level.std(1, false, true), onset.mean(1, true), onset.std(1, false, true)},
                      1);
  }

  torch::Tensor forward(torch::Tensor x) override {
    torch::Tensor h = Statistics(x);
    if (is_training() && h.size(0) == 1) {  // a last batch of one: batch statistics are undefined, use the running ones
      norm->eval();
      h = norm->forward(h);
      norm->train();
    } else {
      h = norm->forward(h);
    }
    if (dropout->options.p() > 0) h = dropout->forward(h);
    h = torch::relu(dense->forward(h));
    if (dropout->options.p() > 0) h = dropout->forward(h);
    return head->forward(h);
  }

  int n_mels;
  torch::Tensor dct_matrix;
  torch::nn::BatchNorm1d norm{nullptr};
  torch::nn::Linear dense{nullptr}, head{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(ClipStats);

}  // namespace

ModelEntry ClipStatsEntry() {
  return {"clip_stats", "clip-level log-mel statistics (band mean/sd/flux, MFCC mean/sd, level, onset) + MLP 128",
          [](const ModelSpec& s) { return ClipStats(s).ptr(); }};
}

}  // namespace mer::models
