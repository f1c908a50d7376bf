// The LibTorch-free half of prediction: the run's frontend and the inputs' log-mels, computed while the LibTorch
// plugin is still loading.
#include "mer/audio/decoder.h"
#include "mer/core/config.h"
#include "mer/core/error.h"
#include "mer/core/parallel.h"
#include "mer/train/api.h"
#include "mer/train/run_folder.h"

namespace mer::train {

RunInputSpec RunInputs(const std::filesystem::path& run_dir) {
  const RunFolder folder(run_dir);
  const nlohmann::json config = folder.ConfigJson();
  try {
    return RunInputSpecFromConfig(config);
  } catch (const ConfigError& e) {
    throw InputError(folder.ConfigFile().string() + ": " + e.what());
  }
}

std::vector<PredictInput> PredictInputs(const RunInputSpec& spec, const std::vector<std::filesystem::path>& files,
                                        int threads) {
  const features::FrontendConfig& config = spec.frontend;
  const features::Frontend frontend(config);
  std::vector<PredictInput> inputs(files.size());
  audio::DecodeOptions decode;
  decode.target_sample_rate = config.sample_rate;
  const int per_file = files.size() == 1 ? threads : 1;
  ParallelFor(files.size(), threads, [&](std::size_t i) {
    inputs[i].file = files[i];
    try {
      audio::MonoAudio audio = audio::DecodeMono(files[i], decode);
      if (spec.waveform) {
        inputs[i].spectrogram.n_mels = 1;
        inputs[i].spectrogram.frames = static_cast<int64_t>(audio.samples.size());
        inputs[i].spectrogram.values = std::move(audio.samples);
      } else {
        inputs[i].spectrogram = frontend.ComputeParallel(audio.samples.data(), audio.samples.size(), per_file);
      }
    } catch (const Error& e) {
      inputs[i].error = e.what();
    } catch (const std::bad_alloc&) {
      inputs[i].error = files[i].string() + ": out of memory";
    }
  });
  return inputs;
}

std::vector<float> PretrainedResult::Mean() const {
  std::vector<float> mean(static_cast<std::size_t>(dims), 0.0f);
  for (int64_t p = 0; p < patches; ++p) {
    for (int64_t d = 0; d < dims; ++d) mean[static_cast<std::size_t>(d)] += values[static_cast<std::size_t>(p * dims + d)];
  }
  for (float& m : mean) m /= static_cast<float>(std::max<int64_t>(patches, 1));
  return mean;
}

}  // namespace mer::train
