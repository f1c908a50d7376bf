// SVG pictures for `mer eval --plots DIR` and `mer predict --plot FILE.svg` (LibTorch-free).
#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/train/api.h"

namespace mer::cli {

// From RUN/train_log.jsonl: loss.svg (training loss per epoch) and validation.svg (the monitored validation metric
// per epoch). From an eval predictions CSV: scatter.svg, predicted vs true for every output with both columns
// (valence/arousal; window level for dynamic runs). From the eval metrics of a classification run (quadrants,
// classes): confusion.svg instead of the scatter. Returns the files written.
std::vector<std::filesystem::path> WriteEvalPlots(const std::filesystem::path& run_dir,
                                                  const std::filesystem::path& predictions_csv,
                                                  const std::filesystem::path& out_dir, const nlohmann::json& metrics);

// The per-window curve of one prediction against seconds (valence and arousal, or the largest outputs).
void WriteEmotionCurve(const train::TrackPrediction& prediction, const std::filesystem::path& path);

}  // namespace mer::cli
