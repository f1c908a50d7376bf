// mer search, the LibTorch half: music Gaussians of songs and the emotion encoder's weights of an emb_cl run.
#include <cmath>

#include "inference.h"
#include "mer/core/error.h"
#include "mer/train/api.h"

namespace mer::train {
namespace {

// The emb_cl parameter `name`, also behind the learnable frontend (where it is "model.<name>").
const torch::Tensor* FindParameter(const torch::OrderedDict<std::string, torch::Tensor>& parameters, const std::string& name) {
  const torch::Tensor* t = parameters.find(name);
  return t != nullptr ? t : parameters.find("model." + name);
}

std::vector<double> ExportTensor(const torch::OrderedDict<std::string, torch::Tensor>& parameters, const std::string& name) {
  const torch::Tensor* t = FindParameter(parameters, name);
  if (t == nullptr) throw Error("emb_cl checkpoint has no tensor " + name);
  const torch::Tensor c = t->detach().to(torch::kCPU, torch::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

EmotionEncoder::Dense ExportDense(const torch::OrderedDict<std::string, torch::Tensor>& parameters,
                                  const std::string& name) {
  const torch::Tensor* weight = FindParameter(parameters, name + ".weight");
  if (weight == nullptr) throw Error("emb_cl checkpoint has no layer " + name);
  EmotionEncoder::Dense d;
  d.out = static_cast<int>(weight->size(0));
  d.in = static_cast<int>(weight->size(1));
  d.weight = ExportTensor(parameters, name + ".weight");
  d.bias = ExportTensor(parameters, name + ".bias");
  return d;
}

// The emotion encoder as plain layers, checked against the model itself on a few points.
EmotionEncoder ExportEmotionEncoder(models::EmbeddingModel& model, const torch::Device& device) {
  const auto parameters = model.named_parameters();
  if (FindParameter(parameters, "emotion_bigru.weight_ih_l0") != nullptr) {
    throw ConfigError("mer search supports emb_cl runs with the mlp or gru emotion encoder; this run's is the authors' "
                      "bigru (model.emotion_encoder), which search cannot copy yet");
  }
  EmotionEncoder e;
  e.steps = model.CurveSteps();
  if (e.steps > 0) {
    e.gru.w_ih = ExportTensor(parameters, "emotion_gru.weight_ih_l0");
    e.gru.w_hh = ExportTensor(parameters, "emotion_gru.weight_hh_l0");
    e.gru.b_ih = ExportTensor(parameters, "emotion_gru.bias_ih_l0");
    e.gru.b_hh = ExportTensor(parameters, "emotion_gru.bias_hh_l0");
    e.gru.hidden = static_cast<int>(e.gru.b_hh.size() / 3);
    e.gru.in = static_cast<int>(e.gru.w_ih.size() / e.gru.b_hh.size());
  } else {
    e.hidden1 = ExportDense(parameters, "emotion1");
  }
  e.hidden2 = ExportDense(parameters, "emotion2");
  e.mu = ExportDense(parameters, "emotion_heads.mu");
  e.log_sigma = ExportDense(parameters, "emotion_heads.log_sigma");
  torch::NoGradGuard no_grad;
  const std::vector<float> points = {0.0f, 0.0f, 1.5f, -0.5f, -2.0f, 2.0f};
  const torch::Tensor reference =
      model.EmbedEmotion(torch::tensor(points).reshape({3, 2}).to(device)).to(torch::kCPU, torch::kDouble).contiguous();
  const int64_t dim = reference.size(1) / 2;
  for (int64_t r = 0; r < 3; ++r) {
    const auto [mu, log_sigma] = e.Encode(points[2 * r], points[2 * r + 1]);
    for (int64_t d = 0; d < dim; ++d) {
      const double a = reference[r][d].item<double>(), b = reference[r][dim + d].item<double>();
      if (std::abs(mu[d] - a) > 1e-4 * (1 + std::abs(a)) || std::abs(log_sigma[d] - b) > 1e-4 * (1 + std::abs(b))) {
        throw Error("internal error: the exported emotion encoder differs from the model");
      }
    }
  }
  return e;
}

}  // namespace

std::vector<std::string> EmbedSongs(const std::filesystem::path& run_dir, const std::string& device,
                                    const std::vector<PredictInput>& inputs, SearchCache* cache) {
  LoadedRun run = OpenRun(run_dir, device);
  auto* model = run.checkpoint.model->Embedding();
  if (model == nullptr) {
    throw ConfigError("--run " + run_dir.string() + ": model '" + run.checkpoint.meta.at("model").get<std::string>() +
                      "' does not embed emotions; mer search needs an emb_cl run");
  }
  cache->emotion = ExportEmotionEncoder(*model, run.device);
  cache->normalizer = run.normalizer;
  std::vector<std::string> errors;
  torch::NoGradGuard no_grad;
  model->eval();
  const int64_t hop = std::max<int64_t>(1, run.frames / 2);
  for (const auto& input : inputs) {
    if (!input.error.empty()) {
      errors.push_back(input.error);
      continue;
    }
    const features::Spectrogram s = run.Input(input.spectrogram);
    if (!run.feature_norm.mean.empty() && static_cast<std::size_t>(s.n_mels) != run.feature_norm.mean.size()) {
      errors.push_back(input.file.string() + ": features have " + std::to_string(s.n_mels) + " mel bands, the model " +
                       std::to_string(run.feature_norm.mean.size()));
      continue;
    }
    torch::Tensor embedding_sum, va_sum;
    std::size_t windows = 0;
    ForEachWindowBatch(s, run.frames, hop, run.waveform, [&](const std::vector<data::Example>& batch,
                                                             const std::vector<int64_t>&) {
      const torch::Tensor x = FeaturesTensor(batch, run.feature_norm, run.device);
      const torch::Tensor music = model->EmbedMusic(x);  // the encoder runs once for both
      const torch::Tensor embedding = music.to(torch::kCPU, torch::kDouble).sum(0);
      const torch::Tensor va =
          ToOutputSpace(model->EstimateEmotion(music), run.task, run.normalizer).to(torch::kCPU, torch::kDouble).sum(0);
      embedding_sum = embedding_sum.defined() ? embedding_sum + embedding : embedding;
      va_sum = va_sum.defined() ? va_sum + va : va;
      windows += batch.size();
    });
    const double n = static_cast<double>(windows);
    const torch::Tensor mean = (embedding_sum / n).contiguous();
    const int64_t dim = mean.size(0) / 2;
    SongEmbedding song = FileStamp(input.file);
    song.mu.assign(mean.data_ptr<double>(), mean.data_ptr<double>() + dim);
    song.log_sigma.assign(mean.data_ptr<double>() + dim, mean.data_ptr<double>() + 2 * dim);
    song.valence = va_sum[0].item<double>() / n;
    song.arousal = va_sum[1].item<double>() / n;
    cache->songs[input.file.string()] = std::move(song);
    errors.emplace_back();
  }
  return errors;
}

}  // namespace mer::train
