#include "mer/train/run_config.h"

#include <algorithm>

#include "mer/core/config.h"
#include "mer/core/error.h"
#include "mer/core/fields.h"
#include "mer/core/strings.h"
#include "mer/models/descriptor.h"
#include "mer/models/pretrained.h"

namespace mer::train {
namespace {

using config::ThrowInvalid;

}  // namespace

bool IsRawAudioModel(const std::string& model_name) {
  const models::ModelDescriptor* d = models::FindDescriptor(model_name);
  return d != nullptr && d->input == models::InputKind::kWaveform;
}

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
  if (pretrained.fine_tune) return model.input_frames * models::kPretrainedPatchFrames;  // log-mel frames of the patches
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

namespace {

// "MODEL.LAYER" -> the layer (ConfigError naming frontend.pretrained.layers and the valid names).
const models::PretrainedLayer& PretrainedLayerOf(const std::string& dotted) {
  const std::string field = "frontend.pretrained.layers";
  const std::size_t dot = dotted.find('.');
  std::vector<std::string> names;
  for (const models::PretrainedModel& m : models::PretrainedModels()) {
    for (const models::PretrainedLayer& l : m.layers) names.push_back(m.name + "." + l.name);
  }
  if (dot != std::string::npos) {
    for (const models::PretrainedModel& m : models::PretrainedModels()) {
      if (m.name != dotted.substr(0, dot)) continue;
      for (const models::PretrainedLayer& l : m.layers) {
        if (l.name == dotted.substr(dot + 1)) return l;
      }
    }
  }
  ThrowInvalid(field, dotted, "one of " + Joined(names));
}

PretrainedFrontendConfig ReadPretrained(const nlohmann::json& run_config) {
  PretrainedFrontendConfig p;
  const auto frontend = run_config.find("frontend");
  if (frontend == run_config.end() || !frontend->is_object() || !frontend->contains("pretrained")) return p;
  const nlohmann::json& j = frontend->at("pretrained");
  if (!j.is_object()) ThrowInvalid("frontend.pretrained", j, "{\"layers\": [\"MODEL.LAYER\", ...]}");
  config::FieldReader r(j, "frontend.pretrained");
  r.Read("layers", &p.layers);
  r.Read("fine_tune", &p.fine_tune);
  r.Read("lr", &p.lr);
  r.RejectUnknownKeys();
  if (!(p.lr > 0 && p.lr < 10)) ThrowInvalid("frontend.pretrained.lr", p.lr, "a number in (0, 10)");
  if (j.contains("lr") && !p.fine_tune) ThrowInvalid("frontend.pretrained.lr", j.at("lr"), "no value: it needs \"fine_tune\": true");
  if (p.layers.empty()) ThrowInvalid("frontend.pretrained.layers", j.value("layers", nlohmann::json()), "at least one MODEL.LAYER");
  for (std::size_t i = 0; i < p.layers.size(); ++i) {
    PretrainedLayerOf(p.layers[i]);
    if (std::find(p.layers.begin(), p.layers.begin() + static_cast<long>(i), p.layers[i]) != p.layers.begin() + static_cast<long>(i)) {
      ThrowInvalid("frontend.pretrained.layers", p.layers[i], "each layer once");
    }
  }
  // The networks read their own log-mel: the frontend's other keys may only repeat its values (as a resolved
  // config does).
  const nlohmann::json own = features::FrontendFields().ToJson(models::PretrainedFrontend());
  for (auto it = frontend->begin(); it != frontend->end(); ++it) {
    if (it.key() == "pretrained" || it.key() == "learnable") continue;
    if (!own.contains(it.key()) || own.at(it.key()) != it.value()) {
      throw ConfigError("frontend." + it.key() + " = " + config::Describe(it.value()) +
                        " is invalid with frontend.pretrained: the networks read their own log-mel (16 kHz, n_fft 512, "
                        "hop 256, 96 mels, log10(1 + 10000 x)); leave the frontend's other keys out");
    }
  }
  return p;
}

// The frontend of a run config: the pretrained networks' own, or the `frontend` section.
features::FrontendConfig FrontendOf(const nlohmann::json& run_config, const PretrainedFrontendConfig& pretrained) {
  return pretrained.enabled() ? models::PretrainedFrontend() : features::FrontendConfigFromRunConfig(run_config);
}

}  // namespace

int PretrainedFrontendConfig::Rows() const {
  int rows = 0;
  for (const std::string& l : layers) rows += PretrainedLayerOf(l).dims;
  return rows;
}

nlohmann::json PretrainedFrontendConfig::ToJson() const {
  nlohmann::json j = {{"layers", layers}};
  if (fine_tune) j["fine_tune"] = true, j["lr"] = lr;
  return j;
}

RunInputSpec RunInputSpecFromConfig(const nlohmann::json& run_config) {
  RunInputSpec spec;
  spec.pretrained = ReadPretrained(run_config);
  spec.frontend = FrontendOf(run_config, spec.pretrained);
  const std::string model = run_config.contains("model") ? run_config["model"].value("name", "") : "";
  spec.waveform = ReadLearnable(run_config).enabled || IsRawAudioModel(model);
  return spec;
}

using config::Within;

const config::Fields<TrainConfig>& TrainFields() {
  static const config::Fields<TrainConfig> fields = [] {
    using T = TrainConfig;
    config::Fields<T> f("train");
    f.Add<int>("epochs", &T::epochs, Within(1, 100000), "an integer in [1, 100000]", "training epochs");
    f.Add<int>("batch_size", &T::batch_size, Within(1, 65536), "an integer in [1, 65536]",
               "examples per step (per rank when training on several)");
    f.Choice("optimizer", &T::optimizer, {"adam", "adamw", "sgd"}, "the optimiser");
    f.Add<double>("lr", &T::lr, [](const double& v) { return v > 0 && v < 10; }, "a number in (0, 10)",
                  "learning rate");
    f.Add<double>("momentum", &T::momentum, [](const double& v) { return v >= 0 && v < 1; }, "a number in [0, 1)",
                  "sgd momentum");
    f.Add<double>("weight_decay", &T::weight_decay, [](const double& v) { return v >= 0; }, "a number >= 0",
                  "L2 weight decay (decoupled for adamw)");
    f.Choice("schedule", &T::schedule, {"none", "step", "cosine"},
             "learning-rate schedule: step = x gamma every step_size epochs; cosine = to 0 over the epochs");
    f.Add<int>("step_size", &T::step_size, [](const int& v) { return v >= 1; }, "an integer >= 1",
               "schedule step: epochs between decays");
    f.Add<double>("gamma", &T::gamma, [](const double& v) { return v > 0 && v <= 1; }, "a number in (0, 1]",
                  "schedule step: decay factor");
    f.Add<double>("grad_clip", &T::grad_clip, [](const double& v) { return v >= 0; }, "a number >= 0 (0 = off)",
                  "maximum global gradient norm");
    f.Add<int>("patience", &T::patience, [](const int& v) { return v >= 0; }, "an integer >= 0 (0 = off)",
               "early stopping after this many epochs without a better validation score");
    f.Text("monitor", &T::monitor, "auto or a validation metric of the task (r2, f1_micro, accuracy, f1_macro, ...)",
           "the validation metric that picks best.pt (larger is better); auto = r2, f1_micro or accuracy");
    f.Count("max_steps", &T::max_steps, "cap on optimiser steps (0 = none)");
    f.Count("seed", &T::seed, "seed of the initial weights, batch order, crops and augmentation");
    f.Add<int>("workers", &T::workers, Within(0, 256), "an integer in [0, 256] (0 = no threads)",
               "data loader threads");
    f.Add<int>("threads", &T::threads, Within(0, 1024), "an integer in [0, 1024] (0 = all cores)",
               "LibTorch threads; 0 = $OMP_NUM_THREADS when set, else every core");
    f.Add<double>("eval_hop", &T::eval_hop, [](const double& v) { return v > 0 && v <= 1; }, "a number in (0, 1]",
                  "evaluation windows start every eval_hop x input_frames");
    f.Choice("keep", &T::keep, {"best", "last"},
             "the model in best.pt that eval and predict use: best = the best validation score; last = the last "
             "epoch's (as EMER-CL's authors keep it)")
        .OnlyWhenSet();  // runs made before the key existed resolve to the same config
    f.Choice("retrieval_rows", &T::retrieval_rows, {"window", "song"},
             "emb_cl with the dynamic task: what a retrieval row is: window = each annotated window against its "
             "stretch of the curve; song = each song, its windows' music embeddings averaged, against its whole "
             "curve (as EMER-CL's authors score); the static task's rows are songs already")
        .OnlyWhenSet();
    return f;
  }();
  return fields;
}

std::string ConfigReferenceMarkdown() {
  return "# Run config reference\n\n"
         "Every key of every section of a run config (`mer train --config`, `--set section.key=value`), generated from\n"
         "the field declarations by `build/mer_config_docs` (a test fails when this file and the declarations differ):\n"
         "`data` in `src/data/data_config.cpp` and each dataset's file, `frontend` in\n"
         "`src/features/frontend_config.cpp`, `augment` in `src/data/augment.cpp`, `model` in\n"
         "`src/models/model_config.cpp` and each model's `src/models/*_info.cpp`, `train` in `src/train/run_config.cpp`.\n"
         "Defaults are those of a config that leaves the key out; unknown keys are errors listing the valid ones.\n\n"
         "## `data`\n\n" + data::DataReferenceMarkdown() +
         "\nPooling: `data.datasets: [{\"dataset\": ..., \"root\": ..., its own keys}, ...]` (at least two valence/arousal\n"
         "datasets) instead of `dataset` and `root`; the split keys stay in `data`.\n\n"
         "## `frontend`\n\n" + features::FrontendFields().Markdown() +
         "\nRules over several keys: `n_mels` leaves no mel filter without an FFT bin; the chroma keys' bins reach all 12\n"
         "pitch classes; the chroma keys are written to the resolved config only when one of them is set.\n"
         "`frontend.learnable`: `false` (default), `true` or `{\"train_stft\": bool, \"train_mel\": bool}`: the log-mel\n"
         "computed inside the model from the waveform, its STFT and mel matrix trainable or frozen.\n"
         "`frontend.pretrained`: `{\"layers\": [\"MODEL.LAYER\", ...]}` (default: absent): the model reads the layers'\n"
         "values per 3 s patch (2.992 s, 187 frames) of the pretrained networks (`mer embed --help`), computed once\n"
         "into the feature cache from the networks' own log-mel (16 kHz, n_fft 512, hop 256, 96 mels, log10(1 + 10000 x))\n"
         "and stacked as input rows; `model.input_frames` counts patches. The frontend's other keys may only repeat\n"
         "those values; not with `frontend.learnable`, raw-audio models, or waveform and SpecAugment operations.\n"
         "`frontend.pretrained.fine_tune`: `false` (default: frozen) or `true`: the networks run inside the model on the\n"
         "log-mel and their weights are trained too (batch norm keeps the networks' statistics), with their own learning\n"
         "rate `frontend.pretrained.lr` (a number in (0, 10), default `1e-5`, scaled by `train.schedule` as `train.lr`\n"
         "is); the rows are standardised with statistics of the frozen layers on the training items; not with\n"
         "embedding models (`emb_cl`); `model.input_frames` at most 200.\n\n"
         "## `augment`\n\n" + data::AugmentFields().Markdown() +
         "\nTraining only, seeded by (train.seed, epoch, position). Waveform operations run on waveform crops (a log-mel\n"
         "model gets the frontend of each augmented crop); SpecAugment masks need a spectrogram (not raw_cnn); mixup is\n"
         "refused by models whose loss pairs items (the mixup column below).\n\n"
         "## `model`\n\n" + ModelFields().Markdown() +
         "\nModel-dependent rules: an option of one model set on another is an error; `emotion_encoder` other than\n"
         "`mlp` needs `task: dynamic`; `filters` is written to the resolved config only when it is not 16.\n\n"
         "### Models\n\nDeclared in `src/models/*_info.cpp` (no LibTorch) and checked before any audio is decoded:\n\n" +
         models::ModelsMarkdown() + "\n## `train`\n\n" + TrainFields().Markdown();
}

void TrainConfig::Validate() const { TrainFields().Validate(*this); }

RunConfig ParseRunConfig(const nlohmann::json& j) {
  if (!j.is_object()) ThrowInvalid("config", j, "a JSON object with data, frontend, model and train");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "data" && it.key() != "frontend" && it.key() != "model" && it.key() != "train" && it.key() != "augment") {
      throw ConfigError("unknown section '" + it.key() + "'; valid sections: data, frontend, model, train, augment");
    }
  }
  RunConfig c;
  if (!j.contains("data")) throw ConfigError("missing section 'data' (at least {\"dataset\": ..., \"root\": ...})");
  c.pretrained = ReadPretrained(j);
  c.frontend = FrontendOf(j, c.pretrained);  // validates before the data root is touched
  c.learnable = ReadLearnable(j);
  ModelFields().Read(j.value("model", nlohmann::json::object()), &c.model);
  c.model.Validate();
  TrainFields().Read(j.value("train", nlohmann::json::object()), &c.train);
  c.train.Validate();
  if (j.contains("augment")) {
    const nlohmann::json section = j["augment"];
    c.augment = data::ParseAugmentConfig(section);
  }
  if (c.frontend.chroma > 0 && (IsRawAudioModel(c.model.name) || c.learnable.enabled)) {
    throw ConfigError("frontend.chroma is invalid with " +
                      (c.learnable.enabled ? std::string("the learnable frontend") : "model " + c.model.name) +
                      ": chroma rows are added to the fixed log-mel input");
  }
  if (c.pretrained.enabled()) {
    const std::string with = " is invalid with frontend.pretrained";
    if (c.learnable.enabled) throw ConfigError("frontend.learnable" + with + ": the networks compute their own log-mel");
    if (IsRawAudioModel(c.model.name)) {
      throw ConfigError("model.name = \"" + c.model.name + "\"" + with + ": it reads the waveform, not embeddings");
    }
    if (c.augment.WaveformOps() || c.augment.SpecOps()) {
      throw ConfigError("augment: waveform and SpecAugment operations are invalid with frontend.pretrained: its "
                        "embeddings are computed once per file (augment.mixup_alpha applies)");
    }
    if (c.pretrained.fine_tune && models::DescriptorOf(c.model.name).embedding) {
      throw ConfigError("frontend.pretrained.fine_tune is not available for embedding models (" + c.model.name +
                        "): use the frozen frontend");
    }
    if (c.pretrained.fine_tune && c.model.input_frames > 200) {
      throw ConfigError("model.input_frames = " + std::to_string(c.model.input_frames) +
                        " is invalid with frontend.pretrained.fine_tune: expected at most 200 patches (10 min)");
    }
  }
  if (c.augment.SpecOps() && IsRawAudioModel(c.model.name)) {
    throw ConfigError("augment.time_masks/freq_masks are invalid with model " + c.model.name + ": it has no spectrogram");
  }
  if (c.augment.mixup_alpha > 0) {
    const std::string why_not = models::DescriptorOf(c.model.name).no_mixup(c.model.ToJson());
    if (!why_not.empty()) throw ConfigError("augment.mixup_alpha is not available for " + c.model.name + " " + why_not);
  }
  c.data = data::ParseDataConfig(j["data"]);
  c.resolved = {{"data", c.data.ToJson()},
                {"frontend", c.frontend},
                {"model", c.model.ToJson()},
                {"train", TrainFields().ToJson(c.train)}};
  if (c.learnable.enabled) c.resolved["frontend"]["learnable"] = c.learnable.ToJson();
  if (c.pretrained.enabled()) c.resolved["frontend"]["pretrained"] = c.pretrained.ToJson();
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
