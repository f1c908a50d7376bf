// Descriptor of raw_cnn (src/models/raw_cnn.cpp), LibTorch-free.
#include "mer/models/descriptor.h"

namespace mer::models {

namespace raw_cnn {

std::vector<ModelDescriptor> Descriptors() {
  ModelDescriptor d;
  d.name = "raw_cnn";
  d.description = "1-D CNN on the raw waveform: level split (RMS), parallel strided stems 64/256/1024, parallel "
                  "widths 3/9/27, adaptive pooling, dense (or behind frontend.learnable)";
  d.input = InputKind::kWaveform;
  d.min_input = [](const nlohmann::json&) { return int64_t{2048}; };  // stride 16, then three pools of 4 and one of 2
  d.max_input = 10000000;
  return {d};
}

}  // namespace raw_cnn

}  // namespace mer::models
