// The pretrained networks mer carries (pretrained/, imported once by scripts/import_musicnn.py): musicnn and its
// VGG baseline (Pons & Serra 2019), trained on MagnaTagATune (mtt_*) or the Million Song Dataset (msd_*). What they
// are, their input and their layers, without LibTorch; src/models/musicnn.cpp holds the networks.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "mer/features/frontend_config.h"

namespace mer::models {

struct PretrainedLayer {
  std::string name;  // "taggram", "penultimate", ...
  int dims = 0;      // values per patch
  std::string doc;
};

struct PretrainedModel {
  std::string name;          // "msd_musicnn"
  std::string architecture;  // "musicnn" or "vgg"
  std::string trained_on;    // "MagnaTagATune" or "Million Song Dataset"
  std::vector<PretrainedLayer> layers;
  std::string default_layer;

  // The weight file: $MER_PRETRAINED_DIR/NAME.safetensors, else pretrained/musicnn/ of the source tree mer was built
  // from.
  std::filesystem::path WeightsFile() const;
  // The layer named `layer`; ConfigError listing this model's layers when there is none.
  const PretrainedLayer& Layer(const std::string& layer) const;
};

// The authors' input (musicnn/extractor.py, batch_data): librosa.feature.melspectrogram at 16 kHz, n_fft 512, hop
// 256, 96 slaney mel bands, power 2, centred with zero padding (librosa 0.10+), stored as float16, then
// log10(1 + 10000 x) in float32.
features::FrontendConfig PretrainedFrontend();
// Frames per patch: librosa.time_to_frames(3 s) + 1 = 187 (the extractor's n_frames, 2.992 s).
constexpr int kPretrainedPatchFrames = 187;

// Every pretrained model, and one by name (ConfigError listing the names when unknown).
const std::vector<PretrainedModel>& PretrainedModels();
const PretrainedModel& FindPretrained(const std::string& name);

// Patches of a log-mel of `frames` frames: the extractor's non-overlapping 187-frame patches from frame 0 (a tail
// shorter than a patch is dropped); audio shorter than one patch (under ~3 s) gives one patch, zero-padded at the end
// (mer's choice: the authors' extractor raises an error there).
int PretrainedPatchCount(int64_t frames);

}  // namespace mer::models
