// Several runs as one model (`mer predict --run A --run B ...`): every member reads the same inputs, and the
// ensemble's outputs are the members' means, of class or tag probabilities or of valence/arousal. The seed and
// cross-validation-bagging ensembles of docs/results.md are such means.
#pragma once

#include <filesystem>
#include <vector>

#include "mer/train/api.h"

namespace mer::train {

// The members' common inputs (the first run's frontend); ConfigError naming a run whose frontend, or whose choice
// of waveform against log-mel input, differs from the first's.
RunInputSpec EnsembleInputs(const std::vector<std::filesystem::path>& runs);

// Per file, the mean of the members' predictions (members[m][i]: run m's prediction of file i, the files in the
// same order for every member). A file that failed for a member keeps that member's error. ConfigError naming the
// two runs when they predict different outputs or window the audio differently (model.input_frames).
std::vector<TrackPrediction> MeanOfMembers(const std::vector<std::vector<TrackPrediction>>& members,
                                           const std::vector<std::filesystem::path>& runs);

struct TorchPlugin;
// Every run's predictions of `inputs` through the plugin (options.run_dir is set to each run in turn), and their
// mean; one run's are returned as they are. Throws what the plugin reports.
std::vector<TrackPrediction> PredictEnsemble(const TorchPlugin& plugin, PredictOptions options,
                                             const std::vector<std::filesystem::path>& runs,
                                             const std::vector<PredictInput>& inputs);

}  // namespace mer::train
