#include "mer/train/ensemble.h"

#include "mer/core/error.h"
#include "mer/features/frontend_config.h"
#include "mer/train/plugin.h"

namespace mer::train {

RunInputSpec EnsembleInputs(const std::vector<std::filesystem::path>& runs) {
  if (runs.empty()) throw ConfigError("an ensemble needs at least one --run");
  const RunInputSpec first = RunInputs(runs.front());
  const nlohmann::json frontend = features::FrontendFields().ToJson(first.frontend);
  for (std::size_t m = 1; m < runs.size(); ++m) {
    const RunInputSpec spec = RunInputs(runs[m]);
    if (spec.waveform != first.waveform || features::FrontendFields().ToJson(spec.frontend) != frontend ||
        spec.pretrained.ToJson() != first.pretrained.ToJson()) {
      throw ConfigError("--run " + runs[m].string() + " reads other inputs than --run " + runs.front().string() +
                        " (frontend, waveform input or pretrained layers): an ensemble's runs share one frontend");
    }
  }
  return first;
}

std::vector<TrackPrediction> MeanOfMembers(const std::vector<std::vector<TrackPrediction>>& members,
                                           const std::vector<std::filesystem::path>& runs) {
  if (members.empty()) return {};
  std::vector<TrackPrediction> mean = members.front();
  const double n = static_cast<double>(members.size());
  for (std::size_t m = 1; m < members.size(); ++m) {
    const auto differ = [&](const std::string& what) {
      return ConfigError("--run " + runs[m].string() + " and --run " + runs.front().string() + " " + what +
                         ": an ensemble's runs must agree");
    };
    if (members[m].size() != mean.size()) throw differ("scored different numbers of files");
    for (std::size_t i = 0; i < mean.size(); ++i) {
      TrackPrediction& p = mean[i];
      const TrackPrediction& q = members[m][i];
      if (!p.error.empty()) continue;
      if (!q.error.empty()) {
        p.error = q.error;
        p.track.clear(), p.times.clear(), p.curve.clear();
        continue;
      }
      if (q.names != p.names || q.classification != p.classification) throw differ("predict different outputs");
      if (q.times != p.times) throw differ("window the audio differently (model.input_frames)");
      for (std::size_t k = 0; k < p.track.size(); ++k) p.track[k] += q.track[k];
      for (std::size_t w = 0; w < p.curve.size(); ++w) {
        for (std::size_t k = 0; k < p.curve[w].size(); ++k) p.curve[w][k] += q.curve[w][k];
      }
    }
  }
  for (TrackPrediction& p : mean) {
    if (!p.error.empty()) continue;
    for (double& v : p.track) v /= n;
    for (auto& row : p.curve) {
      for (double& v : row) v /= n;
    }
  }
  return mean;
}

std::vector<TrackPrediction> PredictEnsemble(const TorchPlugin& plugin, PredictOptions options,
                                             const std::vector<std::filesystem::path>& runs,
                                             const std::vector<PredictInput>& inputs) {
  std::vector<std::vector<TrackPrediction>> members(runs.size());
  for (std::size_t m = 0; m < runs.size(); ++m) {
    options.run_dir = runs[m];
    PluginError error;
    if (!plugin.predict(options, inputs, &members[m], &error)) Rethrow(error);
  }
  return members.size() == 1 ? std::move(members.front()) : MeanOfMembers(members, runs);
}

}  // namespace mer::train
