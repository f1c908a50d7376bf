// clip_stats: clip-level statistics of the log-mel window, the kind of summary features classical MER systems feed
// to an SVM (Panda et al. 2018 summarise frame features by their mean and standard deviation), computed inside the
// model so that training crops, evaluation windows and `mer predict` all see the same thing, then a small MLP.
//   per mel band: mean, standard deviation, mean |first difference| over time          3 x n_mels
//   MFCC-like: orthonormal DCT-II of each frame's bands, first 20 coefficients: mean, sd    40
//   frame level (band mean) and onset strength (mean positive difference): mean, sd         4
// With the frontend's 12 chroma rows (frontend.chroma: 12) the mel statistics above use the mel rows only, and the
// tonal summary is added (mode and harmony: what separates sad from calm, Q3 from Q4, better than a mel summary):
//   Krumhansl-Kessler key profiles correlated with the mean chroma (24 keys): the best major and the best minor
//   correlation and their difference                                                                       3
//   chroma mean and sd, rotated so that the best key's tonic comes first (key-invariant)                      24
//   chroma flux: mean |first difference| over time and classes                                              1
// -> batch-norm (the statistics' scales differ by orders of magnitude) -> dropout -> dense 128 + ReLU -> dropout
// -> outputs. Regression, tagging or classes alike.
#include <cmath>

#include "mer/core/error.h"
#include "mer/models/model.h"

namespace mer::models {
namespace {

constexpr int kCepstra = 20;

struct ClipStatsImpl : EmotionModel {
  explicit ClipStatsImpl(const ModelSpec& spec)
      : n_mels(spec.n_mels - spec.frontend.chroma), chroma(spec.frontend.chroma) {
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
    if (chroma > 0) RegisterKeyProfiles();
    const int64_t features = 3 * n_mels + 2 * cepstra + 4 + (chroma > 0 ? 28 : 0);
    norm = register_module("norm", torch::nn::BatchNorm1d(features));
    dense = register_module("dense", torch::nn::Linear(features, 128));
    head = register_module("head", torch::nn::Linear(128, spec.outputs));
    dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
  }

  // The 24 key profiles (12 major rotations, then 12 minor), each centred and of unit norm: [24, 12]; and for each
  // key the index order that puts its tonic first: [24, 12].
  void RegisterKeyProfiles() {
    const double major[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
    const double minor[12] = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17};
    torch::Tensor profiles = torch::empty({24, 12});
    torch::Tensor order = torch::empty({24, 12}, torch::kLong);
    for (int key = 0; key < 24; ++key) {
      const double* p = key < 12 ? major : minor;
      const int tonic = key % 12;
      for (int c = 0; c < 12; ++c) {
        profiles[key][c] = p[((c - tonic) % 12 + 12) % 12];  // class c relative to the tonic
        order[key][c] = (tonic + c) % 12;
      }
    }
    profiles = profiles - profiles.mean(1, true);
    profiles = profiles / profiles.norm(2, 1, true);
    key_profiles = register_buffer("key_profiles", profiles);
    key_order = register_buffer("key_order", order);
  }

  // chroma: [batch, 12, frames] in [0, 1] -> [batch, 28]
  torch::Tensor Tonal(const torch::Tensor& c) {
    const torch::Tensor mean = c.mean(2), sd = c.std(2, false);
    const torch::Tensor centred = mean - mean.mean(1, true);
    const torch::Tensor r = torch::matmul(centred / (centred.norm(2, 1, true) + 1e-8), key_profiles.t());  // [b, 24]
    const torch::Tensor best_major = std::get<0>(r.slice(1, 0, 12).max(1, true));
    const torch::Tensor best_minor = std::get<0>(r.slice(1, 12).max(1, true));
    const torch::Tensor order = key_order.index_select(0, r.argmax(1));  // [b, 12]
    const torch::Tensor flux = (c.slice(2, 1) - c.slice(2, 0, -1)).abs().mean({1, 2}).unsqueeze(1);
    return torch::cat({best_major, best_minor, best_major - best_minor, mean.gather(1, order), sd.gather(1, order),
                       flux},
                      1);
  }

  // x: [batch, n_mels (+ 12 chroma), frames] -> [batch, 3 n_mels + 2 cepstra + 4 (+ 28)]
  torch::Tensor Statistics(const torch::Tensor& input) {
    const torch::Tensor x = chroma > 0 ? input.slice(1, 0, n_mels) : input;
    const torch::Tensor diff = x.slice(2, 1) - x.slice(2, 0, -1);
    const torch::Tensor cepstra = torch::matmul(dct_matrix, x);  // [batch, cepstra, frames]
    const torch::Tensor level = x.mean(1), onset = torch::relu(diff).mean(1);
    torch::Tensor stats =
        torch::cat({x.mean(2), x.std(2, false), diff.abs().mean(2), cepstra.mean(2), cepstra.std(2, false),
                    level.mean(1, true), level.std(1, false, true), onset.mean(1, true), onset.std(1, false, true)},
                   1);
    return chroma > 0 ? torch::cat({stats, Tonal(input.slice(1, n_mels))}, 1) : stats;
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

  int n_mels, chroma;
  torch::Tensor dct_matrix, key_profiles, key_order;
  torch::nn::BatchNorm1d norm{nullptr};
  torch::nn::Linear dense{nullptr}, head{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(ClipStats);

}  // namespace

namespace clip_stats {
std::vector<ModelEntry> Entries() { return {{"clip_stats", [](const ModelSpec& s) { return ClipStats(s).ptr(); }}}; }
}  // namespace clip_stats

}  // namespace mer::models
