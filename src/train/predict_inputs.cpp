// The LibTorch-free half of prediction: the run's frontend and the inputs' log-mels, computed while the LibTorch
// plugin is still loading.
#include "mer/audio/decoder.h"
#include "mer/core/config.h"
#include "mer/core/error.h"
#include "mer/core/parallel.h"
#include "mer/train/api.h"

namespace mer::train {

features::FrontendConfig RunFrontend(const std::filesystem::path& run_dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(run_dir, ec)) throw InputError(run_dir.string() + ": not a run folder");
  const std::filesystem::path path = run_dir / "config.json";
  if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path.string() + ": not found (not a run folder?)");
  try {
    return features::FrontendConfigFromRunConfig(config::LoadJsonFile(path));
  } catch (const ConfigError& e) {
    throw InputError(path.string() + ": " + e.what());
  }
}

std::vector<PredictInput> PredictInputs(const features::FrontendConfig& config,
                                        const std::vector<std::filesystem::path>& files, int threads) {
  const features::Frontend frontend(config);
  std::vector<PredictInput> inputs(files.size());
  audio::DecodeOptions decode;
  decode.target_sample_rate = config.sample_rate;
  const int per_file = files.size() == 1 ? threads : 1;
  ParallelFor(files.size(), threads, [&](std::size_t i) {
    inputs[i].file = files[i];
    try {
      const audio::MonoAudio audio = audio::DecodeMono(files[i], decode);
      inputs[i].spectrogram = frontend.ComputeParallel(audio.samples.data(), audio.samples.size(), per_file);
    } catch (const Error& e) {
      inputs[i].error = e.what();
    } catch (const std::bad_alloc&) {
      inputs[i].error = files[i].string() + ": out of memory";
    }
  });
  return inputs;
}

}  // namespace mer::train
