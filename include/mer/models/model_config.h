// The `model` section of a run config, LibTorch-free. Its common keys (name, task, input_frames, dropout) are
// declared in src/models/model_config.cpp; every other option is declared (key, default, valid values, one line of
// doc) by the model that reads it, in its descriptor (src/models/*_info.cpp), and collected into ModelFields().
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "mer/core/fields.h"

namespace mer::models {

// The options some model reads, with their defaults. Adding one: a member here, its declaration in the model's
// *_info.cpp, its use in the model (ModelSpec carries these members; checkpoints store them by key).
struct ModelOptions {
  int channels = 4;                     // adff: time slices of the window stacked as input channels
  double quadrant_weight = 0.0;         // adff: multi-task weight of the quadrant cross-entropy (0 = VA only)
  int filters = 16;                     // adff: filters of the first VGG block, doubled per block
  int embedding_dim = 32;               // emb_cl: dimension of the shared space
  std::string music_encoder = "cnn";    // emb_cl: cnn, gru, mlp, bigru
  std::string emotion_encoder = "mlp";  // emb_cl: mlp (a static valence/arousal pair), gru or bigru (a curve)
  double cca_weight = 0.5;              // emb_cl: lambda in lambda * CCA + (1 - lambda) * KL rank loss
  double margin = 1.0;                  // emb_cl: rank loss margin
  int hidden = 0;                       // stats_head: hidden units (0 = linear head)
};

struct ModelConfig : ModelOptions {
  std::string name = "quan_cnn";  // a model with a descriptor
  std::string task = "auto";      // "auto" (the dataset's own) or a TaskKind name (mer/core/task_kind.h)
  int input_frames = 646;         // frames per input window (646 = 15 s at 22.05 kHz, hop 512); samples for raw_cnn
  double dropout = 0.0;
  // The declared rules, then the model's own: its tasks, no other model's option, its input range.
  void Validate() const;
  nlohmann::json ToJson() const;  // the resolved `model` section
};

// The section's fields: the common ones, then each model's options (models in name order; a key declared by two
// models is the first one's).
const config::Fields<ModelConfig>& ModelFields();

// The options as the checkpoint's model spec stores them: every key, default or not.
nlohmann::json ModelOptionsToJson(const ModelOptions& options);
// Back from a spec (or any object holding them): a key that is absent keeps its default; other keys are ignored.
ModelOptions ModelOptionsFromJson(const nlohmann::json& j);

}  // namespace mer::models
