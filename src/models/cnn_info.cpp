// Descriptors of the spectrogram CNNs of src/models/models.cpp (LibTorch-free).
#include "mer/models/descriptor.h"

namespace mer::models {
namespace {

// Smallest window that leaves at least one column after `stages` conv (valid, `width`) + max-pool (`pool`) pairs.
int64_t SmallestForStages(int stages, int width, int pool) {
  for (int64_t frames = 1;; ++frames) {
    int64_t length = frames;
    bool fits = true;
    for (int i = 0; i < stages && fits; ++i) {
      length = (length - width + 1) / pool;
      fits = length >= 1;
    }
    if (fits) return frames;
  }
}

ModelDescriptor QuanCnn(const std::string& name, const std::string& description, int stages, int width, int pool) {
  ModelDescriptor d;
  d.name = name;
  d.description = description;
  const int64_t smallest = SmallestForStages(stages, width, pool);
  d.min_input = [smallest](const nlohmann::json&) { return smallest; };
  return d;
}

}  // namespace

namespace cnn {

std::vector<ModelDescriptor> Descriptors() {
  ModelDescriptor liu;
  liu.name = "liu_cnn";
  liu.description = "after Liu et al. 2017: 2-D CNN on the spectrogram (3 conv + batch-norm + max-pool blocks)";
  liu.min_input = [](const nlohmann::json&) { return int64_t{8}; };
  return {QuanCnn("quan_cnn", "Quan & Dong: 1-D conv over time (32 x 8, pool 4, 16 x 8, pool 4), dense 64", 2, 8, 4),
          QuanCnn("quan_cnn_deep", "Quan & Dong, deep: six 1-D conv (width 4) + max-pool 2 pairs, dense 64", 6, 4, 2),
          liu};
}

}  // namespace cnn

}  // namespace mer::models
