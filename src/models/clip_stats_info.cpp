// Descriptor of clip_stats (src/models/clip_stats.cpp), LibTorch-free.
#include "mer/models/descriptor.h"

namespace mer::models {

namespace clip_stats {

std::vector<ModelDescriptor> Descriptors() {
  ModelDescriptor d;
  d.name = "clip_stats";
  d.description = "clip-level log-mel statistics (band mean/sd/flux, MFCC mean/sd, level, onset; key and chroma with "
                  "frontend.chroma) + MLP 128";
  d.min_input = [](const nlohmann::json&) { return int64_t{8}; };
  return {d};
}

}  // namespace clip_stats

}  // namespace mer::models
