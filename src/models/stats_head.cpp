// stats_head: a small head for inputs whose rows are features, above all the embeddings of frontend.pretrained
// ([layers' values, 3 s patches], standardised per row on the training items by `mer train`): what the probes on
// pretrained music networks do (a linear or one-hidden-layer classifier on the clip's pooled embedding), with the
// spread over time beside the mean.
//   per row: mean and standard deviation (population, sqrt(var + 1e-6)) over the window's columns   2 x rows
// -> dropout -> linear to the outputs (hidden = 0), or dense `hidden` + ReLU -> dropout -> outputs.
#include "mer/core/error.h"
#include "mer/models/model.h"

namespace mer::models {
namespace {

struct StatsHeadImpl : EmotionModel {
  explicit StatsHeadImpl(const ModelSpec& spec) : hidden_units(spec.hidden) {
    if (spec.frames < 1) {
      throw ConfigError("stats_head needs model.input_frames >= 1 (it is " + std::to_string(spec.frames) + ")");
    }
    const int64_t features = 2 * static_cast<int64_t>(spec.n_mels);
    dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
    if (hidden_units > 0) dense = register_module("dense", torch::nn::Linear(features, hidden_units));
    head = register_module("head", torch::nn::Linear(hidden_units > 0 ? hidden_units : features, spec.outputs));
  }

  // x: [batch, rows, columns] -> [batch, outputs]
  torch::Tensor forward(torch::Tensor x) override {
    const torch::Tensor mean = x.mean(2);
    const torch::Tensor sd = (x - mean.unsqueeze(2)).pow(2).mean(2).add(1e-6).sqrt();
    torch::Tensor h = dropout(torch::cat({mean, sd}, 1));
    if (hidden_units > 0) h = dropout(torch::relu(dense(h)));
    return head(h);
  }

  int hidden_units;
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear dense{nullptr}, head{nullptr};
};
TORCH_MODULE(StatsHead);

}  // namespace

namespace stats_head {
std::vector<ModelEntry> Entries() { return {{"stats_head", [](const ModelSpec& s) { return StatsHead(s).ptr(); }}}; }
}  // namespace stats_head

}  // namespace mer::models
