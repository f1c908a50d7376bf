// Descriptor of stats_head (src/models/stats_head.cpp), LibTorch-free.
#include "mer/models/descriptor.h"

namespace mer::models {

namespace stats_head {

std::vector<ModelDescriptor> Descriptors() {
  ModelDescriptor d;
  d.name = "stats_head";
  d.description = "each input row's mean and sd over the window, then a linear layer or an MLP: the head for "
                  "frontend.pretrained embeddings (rows = the layers' values, columns = 3 s patches)";
  using M = ModelConfig;
  d.option_fields
      .Add<int>("hidden", &M::hidden, config::Within(0, 4096), "an integer in [0, 4096]",
                "stats_head: units of the hidden layer (ReLU); 0 = a linear head on the statistics")
      .OnlyWhenSet();
  d.min_input = [](const nlohmann::json&) { return int64_t{1}; };
  return {d};
}

}  // namespace stats_head

}  // namespace mer::models
