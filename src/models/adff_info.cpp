// Descriptor of adff (src/models/adff.cpp), LibTorch-free.
#include "mer/models/descriptor.h"

namespace mer::models {

namespace adff {

std::vector<ModelDescriptor> Descriptors() {
  ModelDescriptor d;
  d.name = "adff";
  d.description = "ADFF: multi-channel log-mel, adapted VGG, SE attention per level, feature fusion";
  using M = ModelConfig;
  d.option_fields.Add<int>("channels", &M::channels, config::Within(1, 64), "an integer in [1, 64]",
                           "adff: time slices of the window stacked as input channels");
  d.option_fields.Add<double>("quadrant_weight", &M::quadrant_weight, config::Within(0.0, 100.0),
                              "a number in [0, 100]",
                              "adff: weight of the quadrant cross-entropy beside valence/arousal (0 = regression only)");
  d.option_fields
      .Add<int>("filters", &M::filters, config::Within(4, 128), "an integer in [4, 128] (64 is VGG's full width)",
                "adff: filters of the first VGG block, doubled per block")
      .OnlyWhenSet();  // runs made before the key existed resolve to the same config
  // Each of the `channels` time slices needs 16 frames (four 2 x 2 poolings).
  d.min_input = [](const nlohmann::json& m) { return int64_t{16} * m.value("channels", 4); };
  d.min_input_doc = "16 frames for each of the model.channels time slices";
  d.mixup_doc = "yes, except with `quadrant_weight` > 0";
  d.no_mixup = [](const nlohmann::json& m) -> std::string {
    return m.value("quadrant_weight", 0.0) > 0 ? "with model.quadrant_weight > 0 (its own training loss pairs items)" : "";
  };
  return {d};
}

}  // namespace adff

}  // namespace mer::models
