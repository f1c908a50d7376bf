// Training, evaluation and prediction, behind a torch-free interface so the CLI does not include LibTorch.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/features/frontend.h"
#include "mer/train/run_config.h"
#include "mer/train/search.h"

namespace mer::train {

struct TrainOptions {
  std::filesystem::path out_dir;  // the run folder
  std::string device = "auto";    // "cpu", "cuda", "auto"
  bool resume = false;            // continue from out_dir/last.pt
  bool progress = true;           // a progress bar when stderr is a terminal
  int dist_timeout_seconds = 300;  // several ranks: how long a collective or the rendezvous may wait for the others
};

// Exit codes: 0 done, 130 interrupted by SIGINT, 143 by SIGTERM (a resumable last.pt is written first).
int Train(const RunConfig& config, const TrainOptions& options);

struct EvalOptions {
  std::filesystem::path run_dir;
  std::string split = "test";           // "test", "val", "train"
  std::filesystem::path predictions_csv;  // empty: none
  std::string device = "auto";
  // Further runs: the ensemble's outputs (the mean of every run's) are scored. They must hold out the same items
  // and predict the same outputs; embedding runs are scored one at a time.
  std::vector<std::filesystem::path> members;
  // Where the dataset is now, when it moved since training (empty: the run's data.root). Not for pooled runs.
  std::filesystem::path data_root;
};
// Track-level metrics of the run's best checkpoint (with members: of the ensemble) on one part of its saved split.
nlohmann::json Evaluate(const EvalOptions& options);

struct ExportOptions {
  std::filesystem::path run_dir;
  std::filesystem::path out;  // the .pt file torch.load reads
};
// Writes the run's best checkpoint for PyTorch (src/train/export.cpp says what the file holds); returns a summary.
nlohmann::json Export(const ExportOptions& options);

struct PredictOptions {
  std::filesystem::path run_dir;
  std::vector<std::filesystem::path> files;
  double hop_seconds = 0;  // between window starts; 0 = half a window
  std::string device = "auto";
};

struct TrackPrediction {
  std::filesystem::path file;
  std::string error;                       // set when the file failed; the others still run
  std::vector<std::string> names;          // outputs: valence/arousal, tag names or Q1..Q4
  std::vector<double> track;               // track-level value per output (dataset scale or probabilities)
  std::vector<double> times;               // window centres in seconds
  std::vector<std::vector<double>> curve;  // [window][output]
  bool classification = false;             // outputs are class probabilities (quadrants, classes)
  // The output with the largest value of `row` (`track` or one window of `curve`): the predicted class.
  const std::string& MostProbable(const std::vector<double>& row) const {
    return names[static_cast<std::size_t>(std::max_element(row.begin(), row.end()) - row.begin())];
  }
};
// One input of Predict: the log-mel of a file computed with the run's frontend (or, for waveform-input runs, the
// mono waveform at its sample rate as [1, samples]), or the error that prevented it.
struct PredictInput {
  std::filesystem::path file;
  std::string error;
  features::Spectrogram spectrogram;
};
// What a run's inputs are (read from its config.json, without LibTorch), and those inputs for some files.
RunInputSpec RunInputs(const std::filesystem::path& run_dir);
std::vector<PredictInput> PredictInputs(const RunInputSpec& spec, const std::vector<std::filesystem::path>& files,
                                        int threads);
std::vector<TrackPrediction> Predict(const PredictOptions& options, const std::vector<PredictInput>& inputs);

// mer search, the LibTorch half: for an emb_cl run, fills cache->emotion and cache->normalizer from the run and
// cache->songs[absolute path] for every input that decoded (size and mtime stamped by the caller). Returns one
// message per input, empty when it was embedded. ConfigError when the run's model is not an embedding model.
std::vector<std::string> EmbedSongs(const std::filesystem::path& run_dir, const std::string& device,
                                    const std::vector<PredictInput>& inputs, SearchCache* cache);

// mer embed / mer predict --tags: a pretrained network (mer/models/pretrained.h) over songs.
struct PretrainedOptions {
  std::string model;   // "msd_musicnn", ...
  std::string layer;   // one of the model's layers
  std::string device = "cpu";
};
struct PretrainedResult {
  std::filesystem::path file;
  std::string error;          // set when the file failed; the others still run
  int64_t patches = 0, dims = 0;
  std::vector<float> values;  // [patches, dims]
  std::vector<float> Mean() const;  // [dims], the mean over the patches (the track's)
};
// Loads the model's weights (once per process and model; checked before any input is used: InputError naming the
// file and the tensor) and runs it over inputs computed with PretrainedFrontend(). The tag names of the model's
// vocabulary are written to *tags when it is not null.
std::vector<PretrainedResult> RunPretrained(const PretrainedOptions& options, const std::vector<PredictInput>& inputs,
                                            std::vector<std::string>* tags);

}  // namespace mer::train
