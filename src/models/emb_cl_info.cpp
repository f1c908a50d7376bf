// Descriptor of emb_cl (src/models/emb_cl.cpp), LibTorch-free.
#include "mer/models/descriptor.h"

namespace mer::models {

namespace emb_cl {

std::vector<ModelDescriptor> Descriptors() {
  ModelDescriptor d;
  d.name = "emb_cl";
  d.embedding = true;
  d.description = "Takashima et al.: music and emotion encoders in one space, lambda CCA + (1 - lambda) KL rank loss";
  d.tasks = {"regression", "dynamic"};
  using M = ModelConfig;
  d.option_fields.Add<int>("embedding_dim", &M::embedding_dim, config::Within(1, 1024), "an integer in [1, 1024]",
                           "emb_cl: dimension of the shared space");
  d.option_fields.Choice("music_encoder", &M::music_encoder, {"cnn", "gru", "mlp", "bigru"},
                         "emb_cl: the music side (mlp, bigru: the authors' encoders)");
  d.option_fields.Choice("emotion_encoder", &M::emotion_encoder, {"mlp", "gru", "bigru"},
                         "emb_cl: the emotion side; gru/bigru read the window's curve (task dynamic)");
  d.option_fields.Add<double>("cca_weight", &M::cca_weight, config::Within(0.0, 1.0), "a number in [0, 1]",
                              "emb_cl: lambda in lambda x CCA + (1 - lambda) x KL rank loss, and in the retrieval distance");
  d.option_fields.Add<double>("margin", &M::margin, config::Within(0.0, 1000.0), "a number in [0, 1000]",
                              "emb_cl: rank loss margin");
  // The CNN music encoder pools three times; the recurrent and MLP encoders read any window of 8 frames (bigru also
  // needs one 0.96 s step, checked with the frontend when the model is built).
  d.min_input = [](const nlohmann::json& m) { return int64_t{m.value("music_encoder", "cnn") == "cnn" ? 40 : 8}; };
  d.min_input_doc = "40 frames for the cnn music encoder, 8 for the others";
  d.mixup_doc = "no (its own training loss pairs items)";
  d.no_mixup = [](const nlohmann::json&) -> std::string { return "(its own training loss pairs items)"; };
  return {d};
}

}  // namespace emb_cl

}  // namespace mer::models
