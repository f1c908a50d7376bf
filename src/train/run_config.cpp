#include "mer/train/run_config.h"

#include "mer/core/config.h"
#include "mer/core/error.h"

namespace mer::train {
namespace {

using config::ThrowInvalid;

}  // namespace

bool IsRawAudioModel(const std::string& model_name) { return model_name == "raw_cnn"; }

nlohmann::json LearnableFrontendConfig::ToJson() const {
  if (!enabled) return false;
  return {{"train_stft", train_stft}, {"train_mel", train_mel}};
}

int64_t SamplesForFrames(const features::FrontendConfig& frontend, int64_t frames) {
  // center: frames = 1 + samples / hop; otherwise frames = 1 + (samples - n_fft) / hop.
  return frontend.center ? (frames - 1) * frontend.hop_length + 1 : (frames - 1) * frontend.hop_length + frontend.n_fft;
}

int64_t FramesForSamples(const features::FrontendConfig& frontend, int64_t samples) {
  if (frontend.center) return 1 + samples / frontend.hop_length;
  return samples < frontend.n_fft ? 1 : 1 + (samples - frontend.n_fft) / frontend.hop_length;
}

int64_t RunConfig::CropLength() const {
  if (IsRawAudioModel(model.name)) return model.input_frames;
  if (!learnable.enabled) return model.input_frames;
  return SamplesForFrames(frontend, model.input_frames);
}

namespace {

LearnableFrontendConfig ReadLearnable(const nlohmann::json& run_config) {
  LearnableFrontendConfig l;
  const auto frontend = run_config.find("frontend");
  if (frontend == run_config.end() || !frontend->is_object() || !frontend->contains("learnable")) return l;
  const nlohmann::json& j = frontend->at("learnable");
  if (j.is_boolean()) {
    l.enabled = j.get<bool>();
    return l;
  }
  if (!j.is_object()) ThrowInvalid("frontend.learnable", j, "true, false or {\"train_stft\": bool, \"train_mel\": bool}");
  config::FieldReader r(j, "frontend.learnable");
  r.Read("train_stft", &l.train_stft);
  r.Read("train_mel", &l.train_mel);
  r.RejectUnknownKeys();
  l.enabled = true;
  return l;
}

}  // namespace

RunInputSpec RunInputSpecFromConfig(const nlohmann::json& run_config) {
  RunInputSpec spec;
  spec.frontend = features::FrontendConfigFromRunConfig(run_config);
  const std::string model = run_config.contains("model") ? run_config["model"].value("name", "") : "";
  spec.waveform = ReadLearnable(run_config).enabled || IsRawAudioModel(model);
  return spec;
}

void ModelConfig::Validate() const {
  if (name.empty()) ThrowInvalid("model.name", name, "a registered model name");
  if (IsRawAudioModel(name)) {
    if (input_frames < 1024 || input_frames > 10000000) {
      ThrowInvalid("model.input_frames", input_frames, "a number of samples in [1024, 10000000] for " + name);
    }
  } else if (input_frames < 8 || input_frames > 100000) {
    ThrowInvalid("model.input_frames", input_frames, "an integer in [8, 100000]");
  }
  if (!(dropout >= 0 && dropout < 1)) ThrowInvalid("model.dropout", dropout, "a number in [0, 1)");
  if (channels < 1 || channels > 64) ThrowInvalid("model.channels", channels, "an integer in [1, 64]");
  if (filters < 4 || filters > 128) ThrowInvalid("model.filters", filters, "an integer in [4, 128] (64 is VGG's full width)");
  if (!(quadrant_weight >= 0 && quadrant_weight <= 100)) ThrowInvalid("model.quadrant_weight", quadrant_weight, "a number in [0, 100]");
  if (embedding_dim < 1 || embedding_dim > 1024) ThrowInvalid("model.embedding_dim", embedding_dim, "an integer in [1, 1024]");
  if (!(cca_weight >= 0 && cca_weight <= 1)) ThrowInvalid("model.cca_weight", cca_weight, "a number in [0, 1]");
  if (!(margin >= 0 && margin <= 1000)) ThrowInvalid("model.margin", margin, "a number in [0, 1000]");
  if (emotion_encoder != "mlp" && name != "emb_cl") {
    throw ConfigError("model.emotion_encoder = \"" + emotion_encoder + "\" is invalid with model " + name +
                      ": only emb_cl has an emotion encoder");
  }
  if (emotion_encoder != "mlp" && task != "dynamic") {
    throw ConfigError("model.emotion_encoder = \"" + emotion_encoder +
                      "\" reads valence/arousal curves: it needs model.task = \"dynamic\", not \"" + task + "\"");
  }
}

nlohmann::json ModelConfig::ToJson() const {
  nlohmann::json j = {{"name", name},           {"task", task},
                      {"input_frames", input_frames}, {"dropout", dropout},
                      {"channels", channels},   {"quadrant_weight", quadrant_weight},
                      {"embedding_dim", embedding_dim}, {"music_encoder", music_encoder},
                      {"emotion_encoder", emotion_encoder}, {"cca_weight", cca_weight}, {"margin", margin}};
  // Keys added after runs were made appear only when set otherwise than their default, so a run started before
  // them resolves to the same config and can still be resumed.
  if (filters != 16) j["filters"] = filters;
  return j;
}

void TrainConfig::Validate() const {
  if (epochs < 1 || epochs > 100000) ThrowInvalid("train.epochs", epochs, "an integer in [1, 100000]");
  if (batch_size < 1 || batch_size > 65536) ThrowInvalid("train.batch_size", batch_size, "an integer in [1, 65536]");
  if (!(lr > 0 && lr < 10)) ThrowInvalid("train.lr", lr, "a number in (0, 10)");
  if (!(momentum >= 0 && momentum < 1)) ThrowInvalid("train.momentum", momentum, "a number in [0, 1)");
  if (!(weight_decay >= 0)) ThrowInvalid("train.weight_decay", weight_decay, "a number >= 0");
  if (step_size < 1) ThrowInvalid("train.step_size", step_size, "an integer >= 1");
  if (!(gamma > 0 && gamma <= 1)) ThrowInvalid("train.gamma", gamma, "a number in (0, 1]");
  if (!(grad_clip >= 0)) ThrowInvalid("train.grad_clip", grad_clip, "a number >= 0 (0 = off)");
  if (patience < 0) ThrowInvalid("train.patience", patience, "an integer >= 0 (0 = off)");
  if (max_steps < 0) ThrowInvalid("train.max_steps", max_steps, "an integer >= 0 (0 = no cap)");
  if (workers < 0 || workers > 256) ThrowInvalid("train.workers", workers, "an integer in [0, 256] (0 = no threads)");
  if (threads < 0 || threads > 1024) ThrowInvalid("train.threads", threads, "an integer in [0, 1024] (0 = all cores)");
  if (!(eval_hop > 0 && eval_hop <= 1)) ThrowInvalid("train.eval_hop", eval_hop, "a number in (0, 1]");
}

RunConfig ParseRunConfig(const nlohmann::json& j) {
  if (!j.is_object()) ThrowInvalid("config", j, "a JSON object with data, frontend, model and train");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "data" && it.key() != "frontend" && it.key() != "model" && it.key() != "train" && it.key() != "augment") {
      throw ConfigError("unknown section '" + it.key() + "'; valid sections: data, frontend, model, train, augment");
    }
  }
  RunConfig c;
  if (!j.contains("data")) throw ConfigError("missing section 'data' (at least {\"dataset\": ..., \"root\": ...})");
  c.frontend = features::FrontendConfigFromRunConfig(j);  // validates before the data root is touched
  c.learnable = ReadLearnable(j);
  {
    const nlohmann::json section = j.value("model", nlohmann::json::object());  // FieldReader keeps a reference
    config::FieldReader r(section, "model");
    r.Read("name", &c.model.name);
    r.ReadChoice("task", {"auto", "regression", "tagging", "quadrants", "classes", "dynamic"}, &c.model.task);
    r.Read("input_frames", &c.model.input_frames);
    r.Read("dropout", &c.model.dropout);
    r.Read("channels", &c.model.channels);
    r.Read("quadrant_weight", &c.model.quadrant_weight);
    r.Read("filters", &c.model.filters);
    r.Read("embedding_dim", &c.model.embedding_dim);
    r.ReadChoice("music_encoder", {"cnn", "gru", "mlp", "bigru"}, &c.model.music_encoder);
    r.ReadChoice("emotion_encoder", {"mlp", "gru", "bigru"}, &c.model.emotion_encoder);
    r.Read("cca_weight", &c.model.cca_weight);
    r.Read("margin", &c.model.margin);
    r.RejectUnknownKeys();
    c.model.Validate();
  }
  {
    const nlohmann::json section = j.value("train", nlohmann::json::object());
    config::FieldReader r(section, "train");
    TrainConfig& t = c.train;
    r.Read("epochs", &t.epochs);
    r.Read("batch_size", &t.batch_size);
    r.ReadChoice("optimizer", {"adam", "adamw", "sgd"}, &t.optimizer);
    r.Read("lr", &t.lr);
    r.Read("momentum", &t.momentum);
    r.Read("weight_decay", &t.weight_decay);
    r.ReadChoice("schedule", {"none", "step", "cosine"}, &t.schedule);
    r.Read("step_size", &t.step_size);
    r.Read("gamma", &t.gamma);
    r.Read("grad_clip", &t.grad_clip);
    r.Read("patience", &t.patience);
    r.Read("monitor", &t.monitor);
    double max_steps = static_cast<double>(t.max_steps), seed = static_cast<double>(t.seed);
    r.Read("max_steps", &max_steps);
    r.Read("seed", &seed);
    if (max_steps < 0 || max_steps != static_cast<double>(static_cast<int64_t>(max_steps))) {
      ThrowInvalid("train.max_steps", max_steps, "an integer >= 0");
    }
    if (seed < 0 || seed != static_cast<double>(static_cast<uint64_t>(seed))) ThrowInvalid("train.seed", seed, "an integer >= 0");
    t.max_steps = static_cast<int64_t>(max_steps);
    t.seed = static_cast<uint64_t>(seed);
    r.Read("workers", &t.workers);
    r.Read("threads", &t.threads);
    r.Read("eval_hop", &t.eval_hop);
    r.RejectUnknownKeys();
    t.Validate();
  }
  if (j.contains("augment")) {
    const nlohmann::json section = j["augment"];
    c.augment = data::ParseAugmentConfig(section);
  }
  if (c.augment.SpecOps() && IsRawAudioModel(c.model.name)) {
    throw ConfigError("augment.time_masks/freq_masks are invalid with model " + c.model.name + ": it has no spectrogram");
  }
  if (c.augment.mixup_alpha > 0 && (c.model.name == "emb_cl" || (c.model.name == "adff" && c.model.quadrant_weight > 0))) {
    throw ConfigError("augment.mixup_alpha is not available for " + c.model.name +
                      (c.model.name == "adff" ? " with model.quadrant_weight > 0" : "") + " (its own training loss pairs items)");
  }
  c.data = data::ParseDataConfig(j["data"]);
  c.resolved = {{"data", c.data.ToJson()},
                {"frontend", c.frontend},
                {"model", c.model.ToJson()},
                {"train", {{"epochs", c.train.epochs}, {"batch_size", c.train.batch_size},
                           {"optimizer", c.train.optimizer}, {"lr", c.train.lr}, {"momentum", c.train.momentum},
                           {"weight_decay", c.train.weight_decay}, {"schedule", c.train.schedule},
                           {"step_size", c.train.step_size}, {"gamma", c.train.gamma},
                           {"grad_clip", c.train.grad_clip}, {"patience", c.train.patience},
                           {"monitor", c.train.monitor}, {"max_steps", c.train.max_steps},
                           {"workers", c.train.workers}, {"threads", c.train.threads}, {"seed", c.train.seed},
                           {"eval_hop", c.train.eval_hop}}}};
  if (c.learnable.enabled) c.resolved["frontend"]["learnable"] = c.learnable.ToJson();
  if (c.augment.Any()) c.resolved["augment"] = c.augment.ToJson();
  return c;
}

RunConfig LoadRunConfig(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  nlohmann::json j = config::LoadJsonFile(path);
  config::ApplyOverrides(j, overrides);
  try {
    return ParseRunConfig(j);
  } catch (const ConfigError& e) {
    // Blame the file only when the file alone has this problem; otherwise a --set value brought it in.
    if (!overrides.empty()) {
      std::string file_alone;
      try {
        ParseRunConfig(config::LoadJsonFile(path));
      } catch (const ConfigError& f) {
        file_alone = f.what();
      }
      if (file_alone != e.what()) throw ConfigError("--set (applied to " + path.string() + "): " + e.what());
    }
    throw ConfigError(path.string() + ": " + e.what());
  }
}

nlohmann::json LoadValidRunConfigJson(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  nlohmann::json j = config::LoadJsonFile(path);
  config::ApplyOverrides(j, overrides);
  LoadRunConfig(path, overrides);
  return j;
}

}  // namespace mer::train
