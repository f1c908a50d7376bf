// mer export: a run's best checkpoint as one file that PyTorch's torch.load reads (LibTorch's pickle format), for
// python/mer_torch. A dict:
//   "format"          "mer-export-1"
//   "meta"            JSON text: model name, spec (the model's sizes and options), task and output names, label
//                     normalisation (mean, std: outputs are z-scores for regression), input standardisation per mel
//                     band (feature_mean, feature_std; empty for waveforms and the learnable frontend, which
//                     standardises inside), frontend, input frames (or samples), the pretrained layers whose values
//                     per patch are the input (frontend.pretrained; null otherwise), the run config
//   "state_dict"      parameter and buffer name -> tensor, names as LibTorch's named_parameters / named_buffers give
//   "example_input"   a fixed standardised input [2, n_mels, frames] (or [2, 1, samples]): normal noise, seed 0
//   "example_output"  mer's raw model output on it ([2, outputs], before softmax / sigmoid / de-normalisation)
// The example lets an importer check itself: python/mer_torch.load(...).check() compares its output with mer's.
#include <numeric>

#include <torch/torch.h>

#include "inference.h"
#include "mer/core/error.h"
#include "mer/core/file_io.h"
#include "mer/train/api.h"

namespace mer::train {

nlohmann::json Export(const ExportOptions& options) {
  LoadedRun run = OpenRun(options.run_dir, "cpu");
  models::EmotionModel& model = *run.checkpoint.model;
  model.eval();
  const nlohmann::json& meta = run.checkpoint.meta;
  c10::Dict<std::string, at::Tensor> state;
  for (const auto& p : model.named_parameters(true)) state.insert(p.key(), p.value().detach().clone());
  for (const auto& b : model.named_buffers(true)) state.insert(b.key(), b.value().detach().clone());
  const nlohmann::json info = {{"model", meta.at("model")},
                               {"spec", meta.at("spec")},
                               {"task", run.task.task},
                               {"outputs", run.task.outputs},
                               {"label_mean", run.normalizer.mean},
                               {"label_std", run.normalizer.std},
                               {"feature_mean", run.feature_norm.mean},
                               {"feature_std", run.feature_norm.std},
                               {"frontend", run.frontend},
                               {"frames", run.frames},
                               {"waveform", run.waveform},
                               {"pretrained", run.pretrained.enabled() ? run.pretrained.ToJson() : nlohmann::json()},
                               {"config", meta.value("config", nlohmann::json::object())}};
  torch::manual_seed(0);
  // Fine-tuned pretrained networks read their log-mel; otherwise the spec's rows are the input's.
  const int64_t rows = run.waveform ? 1 : run.pretrained.fine_tune ? run.frontend.n_mels
                                                                   : meta.at("spec").at("n_mels").get<int64_t>();
  const torch::Tensor input = torch::randn({2, rows, run.frames});
  torch::Tensor output;
  {
    torch::NoGradGuard no_grad;
    output = model.forward(input).contiguous();
  }
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  dict.insert("format", std::string("mer-export-1"));
  dict.insert("meta", info.dump());
  dict.insert("state_dict", state);
  dict.insert("example_input", input);
  dict.insert("example_output", output);
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  WriteFileAtomically(options.out, std::string_view(bytes.data(), bytes.size()));
  return {{"out", options.out.string()}, {"model", meta.at("model")}, {"tensors", state.size()},
          {"parameters", std::accumulate(state.begin(), state.end(), int64_t{0},
                                         [](int64_t n, const auto& e) { return n + e.value().numel(); })}};
}

}  // namespace mer::train
