// Descriptor of adff (src/models/adff.cpp), LibTorch-free.
#include "mer/models/descriptor.h"

namespace mer::models {

ModelDescriptor AdffDescriptor() {
  ModelDescriptor d;
  d.name = "adff";
  d.description = "Huang et al. 2022: multi-channel log-mel, adapted VGG, SE attention per level, feature fusion";
  d.tasks = {"regression", "tagging", "quadrants", "classes", "dynamic"};
  d.options = {"channels", "quadrant_weight", "filters"};
  // Each of the `channels` time slices needs 16 frames (four 2 x 2 poolings).
  d.min_input = [](const nlohmann::json& m) { return int64_t{16} * m.value("channels", 4); };
  d.min_input_doc = "16 frames for each of the model.channels time slices";
  d.mixup_doc = "yes, except with `quadrant_weight` > 0";
  d.no_mixup = [](const nlohmann::json& m) -> std::string {
    return m.value("quadrant_weight", 0.0) > 0 ? "with model.quadrant_weight > 0 (its own training loss pairs items)" : "";
  };
  return d;
}

}  // namespace mer::models
