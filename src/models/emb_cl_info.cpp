// Descriptor of emb_cl (src/models/emb_cl.cpp), LibTorch-free.
#include "mer/models/descriptor.h"

namespace mer::models {

ModelDescriptor EmbClDescriptor() {
  ModelDescriptor d;
  d.name = "emb_cl";
  d.description = "Takashima et al.: music and emotion encoders in one space, lambda CCA + (1 - lambda) KL rank loss";
  d.tasks = {"regression", "dynamic"};
  d.options = {"embedding_dim", "music_encoder", "emotion_encoder", "cca_weight", "margin"};
  // The CNN music encoder pools three times; the recurrent and MLP encoders read any window of 8 frames (bigru also
  // needs one 0.96 s step, checked with the frontend when the model is built).
  d.min_input = [](const nlohmann::json& m) { return int64_t{m.value("music_encoder", "cnn") == "cnn" ? 40 : 8}; };
  d.min_input_doc = "40 frames for the cnn music encoder, 8 for the others";
  d.mixup_doc = "no (its own training loss pairs items)";
  d.no_mixup = [](const nlohmann::json&) -> std::string { return "(its own training loss pairs items)"; };
  return d;
}

}  // namespace mer::models
