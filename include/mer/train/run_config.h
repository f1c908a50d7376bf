// One JSON file describes a run: `data`, `frontend`, `model`, `train`. Each section is a plain struct with
// defaults, read by the shared FieldReader (unknown keys rejected) and validated before any heavy work.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/core/fields.h"
#include "mer/data/augment.h"
#include "mer/data/data_config.h"
#include "mer/features/frontend_config.h"
#include "mer/models/model_config.h"

namespace mer::train {

// The model section: mer/models/model_config.h (each model declares its own options in its descriptor).
using models::ModelConfig;
using models::ModelFields;

struct TrainConfig {
  int epochs = 30;
  int batch_size = 16;
  std::string optimizer = "adam";  // "adam", "adamw", "sgd"
  double lr = 1e-3;
  double momentum = 0.9;           // sgd
  double weight_decay = 0.0;
  std::string schedule = "none";   // "none", "step" (x gamma every step_size epochs), "cosine" (to 0 over epochs)
  int step_size = 10;
  double gamma = 0.5;
  double grad_clip = 0.0;          // max global gradient norm; 0 = off
  int patience = 0;                // early stopping after this many epochs without improvement; 0 = off
  std::string monitor = "auto";    // validation metric: auto = r2 (regression), f1_micro (tagging), accuracy
  int64_t max_steps = 0;           // cap on optimiser steps; 0 = none
  int workers = 1;                 // data loader threads (0: load in the training thread)
  int threads = 0;                 // torch threads; 0 = $OMP_NUM_THREADS if set, else all cores
  uint64_t seed = 1;
  double eval_hop = 0.5;           // evaluation windows start every eval_hop * input_frames frames
  std::string keep = "best";       // best.pt: "best" (the best validation score) or "last" (the last epoch's model)
  std::string retrieval_rows = "window";  // emb_cl, dynamic task: retrieval rows per "window" or per "song"
  void Validate() const;
};

// The train section's fields, declared once (mer/core/fields.h): reading, validation, resolved JSON and
// docs/config.md (tools/config_docs).
const config::Fields<TrainConfig>& TrainFields();
// docs/config.md: the reference of those sections, generated from the declarations.
std::string ConfigReferenceMarkdown();

// frontend.learnable: the spectrogram computed inside the model from the waveform, as a convolution with
// Fourier-initialised kernels (STFT) and a matrix initialised from the fixed mel filterbank, each trainable or
// frozen. JSON: false (off, default), true (both trainable) or {"train_stft": bool, "train_mel": bool}.
struct LearnableFrontendConfig {
  bool enabled = false;
  bool train_stft = true;
  bool train_mel = true;
  nlohmann::json ToJson() const;
};

// frontend.pretrained: the model reads embeddings of pretrained networks (mer/models/pretrained.h) instead of the
// log-mel: each layer's values per 3 s patch, stacked as rows ([sum of the layers' dims, patches]);
// model.input_frames counts patches. Frozen (default): computed once from the networks' own log-mel into the feature
// cache. Fine-tuned: the networks run inside the model on the log-mel ([96, input_frames x 187] windows), their
// weights trained with their own learning rate `lr` (scaled by train.schedule as train.lr is).
// JSON: {"layers": ["msd_musicnn.penultimate", ...], "fine_tune": false, "lr": 1e-5}.
struct PretrainedFrontendConfig {
  std::vector<std::string> layers;  // "MODEL.LAYER"; empty: off
  bool fine_tune = false;
  double lr = 1e-5;                 // fine_tune: the networks' learning rate
  bool enabled() const { return !layers.empty(); }
  bool Frozen() const { return enabled() && !fine_tune; }
  int Rows() const;            // values per patch, all layers together
  nlohmann::json ToJson() const;  // fine_tune and lr only when fine-tuning
};

// Models that take the raw waveform (no spectrogram) as input.
bool IsRawAudioModel(const std::string& model_name);

struct RunConfig {
  data::DataConfig data;
  features::FrontendConfig frontend;
  LearnableFrontendConfig learnable;
  PretrainedFrontendConfig pretrained;
  ModelConfig model;
  TrainConfig train;
  data::AugmentConfig augment;  // training only
  nlohmann::json resolved;  // the whole config with every default filled in, as saved in the run folder

  // The model reads the waveform (raw-audio models, learnable frontend) rather than the cached log-mel.
  bool WaveformInput() const { return learnable.enabled || IsRawAudioModel(model.name); }
  // Length of a model input in the loader's columns: frames of log-mel, or samples of waveform (raw-audio models
  // count model.input_frames in samples; the learnable frontend needs the samples that make input_frames frames).
  int64_t CropLength() const;
  // Rows of a model input: the frontend's mel and chroma rows, or the pretrained layers' values (fine-tuned: what the
  // model behind the networks reads).
  int InputRows() const { return pretrained.enabled() ? pretrained.Rows() : frontend.NumRows(); }
};

// Samples of audio that the frontend turns into exactly `frames` frames.
int64_t SamplesForFrames(const features::FrontendConfig& frontend, int64_t frames);
// The log-mel frames of `samples` samples (StftLayout::NumFrames).
int64_t FramesForSamples(const features::FrontendConfig& frontend, int64_t samples);

// The parts of a saved run config that turning audio into model inputs needs (LibTorch-free).
struct RunInputSpec {
  features::FrontendConfig frontend;
  bool waveform = false;
  PretrainedFrontendConfig pretrained;  // enabled: the log-mel goes through these layers (in the LibTorch plugin)
};
RunInputSpec RunInputSpecFromConfig(const nlohmann::json& run_config);

// Reads a config file, applies `--set a.b=value` overrides, validates every section. Throws ConfigError naming
// the file and the key.
RunConfig LoadRunConfig(const std::filesystem::path& path, const std::vector<std::string>& overrides);
// The config file's JSON with the overrides applied, validated (ConfigError naming the file and key).
nlohmann::json LoadValidRunConfigJson(const std::filesystem::path& path, const std::vector<std::string>& overrides);
RunConfig ParseRunConfig(const nlohmann::json& config);

}  // namespace mer::train
