// emb_cl (Takashima et al., "Embedding-based Music Emotion Recognition Using Composite Loss", arXiv 2112.07192;
// the authors' code: ccilab-doshisha/emer-cl): a music encoder and an emotion encoder place songs and
// valence/arousal pairs in one space.
// Each encoder ends in three heads: an embedding (for the CCA term), and the mean and log-variance of a diagonal
// Gaussian (for the KL rank loss). Trained with lambda * (-CCA) + (1 - lambda) * KL rank loss (losses.h).
//  - music encoder "cnn": three Conv1d(width 5) + batch norm + ReLU + max-pool(2) over the log-mel with the mel bands
//    as channels (64, 64, 128 filters), global mean and max over time, dense 128;
//    "gru": the log-mel averaged over 4 frames, a GRU(64) over the sequence, its mean over time, dense 128;
//  - emotion encoder "mlp": valence/arousal (z-scored) through a two-layer perceptron (64, 128);
//    "gru" (the paper's dynamic setting): a GRU(32) over the window's valence/arousal curve (model.curve_steps points
//    at 2 Hz), its mean and last output concatenated, dense 128. A static pair (a query, the estimation grid) is read
//    as a constant curve.
// The authors' encoders (ccilab-doshisha/emer-cl, src/mer_analysis/mer_analysis_util/model.py), for the paper configs:
//  - music "mlp" (their DEAM encoder): the window's log-mel averaged over time, then their MLP: dense 256, 512, 512,
//    1024 (softplus, dropout model.dropout after each), dense embedding_dim (softplus), the three heads;
//  - music "bigru" (their PMEmo encoder): the log-mel averaged over 0.96 s steps (VGGish's hop; our stand-in for
//    its 128-d embeddings), a bidirectional GRU(512) whose final states (forward, backward) are concatenated, then
//    the MLP with 512 as its first layer;
//  - emotion "bigru": a bidirectional GRU(512) over the valence/arousal curve, then that MLP (task dynamic).
// forward() estimates valence/arousal from the music side alone: the emotion Gaussians of a 51 x 51 grid over
// [-2.5, 2.5]^2 (z-scored) are compared with the music Gaussian by KL(emotion || music), the music -> emotion
// retrieval distance, and the grid points are averaged with weights softmax(-KL).
#include "mer/core/error.h"
#include "mer/models/losses.h"
#include "mer/models/model.h"

namespace mer::models {
namespace {

constexpr int kHidden = 128;
constexpr int kEmotionGru = 32;
constexpr int kGridSide = 51;
constexpr int kCoarseGridSide = 11;
constexpr double kGridExtent = 2.5;

struct Gaussian {
  torch::Tensor embedding, mu, log_sigma;  // [batch, dim] each
};

// The authors' MLP: first, 512, 512, 1024, out units, softplus after each, dropout after all but the last.
struct AuthorsMlpImpl : torch::nn::Module {
  AuthorsMlpImpl(int in, int first, int out, double dropout) : p(dropout) {
    const int sizes[] = {first, 512, 512, 1024, out};
    for (int i = 0; i < 5; ++i) {
      layers.push_back(register_module("fc" + std::to_string(i + 1), torch::nn::Linear(in, sizes[i])));
      in = sizes[i];
    }
  }
  torch::Tensor forward(torch::Tensor h) {
    for (std::size_t i = 0; i < layers.size(); ++i) {
      h = torch::nn::functional::softplus(layers[i]->forward(h));
      if (i + 1 < layers.size() && p > 0) h = torch::dropout(h, p, is_training());
    }
    return h;
  }
  std::vector<torch::nn::Linear> layers;
  double p;
};
TORCH_MODULE(AuthorsMlp);

constexpr int kBiGru = 512;

// A bidirectional GRU's final forward and backward states, concatenated: [batch, steps, in] -> [batch, 2 * hidden]
// (Keras' Bidirectional(GRU(return_sequences=False))).
torch::Tensor FinalStates(torch::nn::GRU& gru, const torch::Tensor& sequence) {
  const torch::Tensor h = std::get<1>(gru->forward(sequence));  // [2, batch, hidden]
  return torch::cat({h[0], h[1]}, 1);
}

struct GaussianHeadsImpl : torch::nn::Module {
  GaussianHeadsImpl(int in, int dim)
      : embedding(register_module("embedding", torch::nn::Linear(in, dim))),
        mu(register_module("mu", torch::nn::Linear(in, dim))),
        log_sigma(register_module("log_sigma", torch::nn::Linear(in, dim))) {}
  Gaussian forward(const torch::Tensor& h) { return {embedding->forward(h), mu->forward(h), log_sigma->forward(h)}; }
  torch::nn::Linear embedding, mu, log_sigma;
};
TORCH_MODULE(GaussianHeads);

struct EmbClImpl : EmbeddingModel {
  explicit EmbClImpl(const ModelSpec& spec) : spec_(spec) {
    if (!IsValenceArousalTask(spec)) {
      throw ConfigError("emb_cl embeds valence/arousal: model.task must be auto, regression or dynamic, not " + spec.task);
    }
    if (spec.outputs != 2) throw ConfigError("emb_cl needs a dataset with exactly valence and arousal labels");
    if (spec.embedding_dim < 1) throw ConfigError("model.embedding_dim must be >= 1");
    if (spec.music_encoder == "cnn") {
      if (spec.frames < 40) throw ConfigError("emb_cl (cnn) needs input_frames >= 40");
      int in = spec.n_mels;
      for (int i = 0; i < 3; ++i) {
        const int out = i < 2 ? 64 : 128;
        convs.push_back(register_module("conv" + std::to_string(i + 1),
                                        torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, 5).padding(2))));
        norms.push_back(register_module("bn" + std::to_string(i + 1), torch::nn::BatchNorm1d(out)));
        in = out;
      }
      music_dense = register_module("music_dense", torch::nn::Linear(2 * in, kHidden));
    } else if (spec.music_encoder == "gru") {
      if (spec.frames < 8) throw ConfigError("emb_cl (gru) needs input_frames >= 8");
      gru = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(spec.n_mels, 64).batch_first(true)));
      music_dense = register_module("music_dense", torch::nn::Linear(64, kHidden));
    } else if (spec.music_encoder == "mlp") {
      music_mlp = register_module("music_mlp", AuthorsMlp(spec.n_mels, 256, spec.embedding_dim, spec.dropout));
    } else if (spec.music_encoder == "bigru") {
      vggish_pool = std::max<int64_t>(1, std::llround(0.96 * spec.frontend.sample_rate / spec.frontend.hop_length));
      if (spec.frames < vggish_pool) {
        throw ConfigError("emb_cl (bigru) needs input_frames >= " + std::to_string(vggish_pool) + " (one 0.96 s step)");
      }
      music_bigru = register_module(
          "music_bigru", torch::nn::GRU(torch::nn::GRUOptions(spec.n_mels, kBiGru).batch_first(true).bidirectional(true)));
      music_mlp = register_module("music_mlp", AuthorsMlp(2 * kBiGru, 512, spec.embedding_dim, spec.dropout));
    } else {
      throw ConfigError("model.music_encoder = \"" + spec.music_encoder + "\" is invalid: expected cnn, gru, mlp or bigru");
    }
    dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
    const int music_width = music_mlp ? spec.embedding_dim : kHidden;
    music_heads = register_module("music_heads", GaussianHeads(music_width, spec.embedding_dim));
    if (spec.emotion_encoder == "mlp") {
      emotion1 = register_module("emotion1", torch::nn::Linear(2, 64));
      emotion2 = register_module("emotion2", torch::nn::Linear(64, kHidden));
    } else if (spec.emotion_encoder == "gru") {
      if (!IsDynamicTask(spec) || spec.curve_steps < 2) {
        throw ConfigError("model.emotion_encoder = \"gru\" reads valence/arousal curves: it needs model.task = \"dynamic\"");
      }
      emotion_gru = register_module("emotion_gru", torch::nn::GRU(torch::nn::GRUOptions(2, kEmotionGru).batch_first(true)));
      emotion2 = register_module("emotion2", torch::nn::Linear(2 * kEmotionGru, kHidden));
    } else if (spec.emotion_encoder == "bigru") {
      if (!IsDynamicTask(spec) || spec.curve_steps < 2) {
        throw ConfigError("model.emotion_encoder = \"bigru\" reads valence/arousal curves: it needs model.task = \"dynamic\"");
      }
      emotion_bigru = register_module(
          "emotion_bigru", torch::nn::GRU(torch::nn::GRUOptions(2, kBiGru).batch_first(true).bidirectional(true)));
      emotion_mlp = register_module("emotion_mlp", AuthorsMlp(2 * kBiGru, 512, spec.embedding_dim, spec.dropout));
    } else {
      throw ConfigError("model.emotion_encoder = \"" + spec.emotion_encoder + "\" is invalid: expected mlp, gru or bigru");
    }
    emotion_heads = register_module("emotion_heads", GaussianHeads(emotion_mlp ? spec.embedding_dim : kHidden, spec.embedding_dim));
  }

  Gaussian Music(torch::Tensor x) {
    torch::Tensor h;
    if (music_mlp) {
      h = music_bigru ? FinalStates(music_bigru, torch::avg_pool1d(x, vggish_pool).transpose(1, 2)) : x.mean(2);
      return music_heads->forward(music_mlp->forward(h));
    }
    if (gru) {
      x = torch::avg_pool1d(x, 4).transpose(1, 2);  // [batch, frames / 4, n_mels]
      h = std::get<0>(gru->forward(x)).mean(1);
    } else {
      for (std::size_t i = 0; i < convs.size(); ++i) {
        x = torch::max_pool1d(torch::relu(norms[i]->forward(convs[i]->forward(x))), 2);
      }
      h = torch::cat({x.mean(2), std::get<0>(x.max(2))}, 1);
    }
    h = torch::relu(music_dense->forward(h));
    return music_heads->forward(dropout->options.p() > 0 ? dropout->forward(h) : h);
  }
  // va: [batch, 2] -> the emotion Gaussian; a recurrent encoder reads it as a constant curve.
  Gaussian Emotion(const torch::Tensor& va) {
    if (Recurrent()) return EmotionCurve(va.unsqueeze(1).expand({va.size(0), spec_.curve_steps, 2}).contiguous());
    return emotion_heads->forward(torch::relu(emotion2->forward(torch::relu(emotion1->forward(va)))));
  }
  // curve: [batch, steps, 2] -> the emotion Gaussian (the static encoder takes the curve's mean).
  Gaussian EmotionCurve(const torch::Tensor& curve) {
    if (!Recurrent()) return Emotion(curve.mean(1));
    if (emotion_bigru) return emotion_heads->forward(emotion_mlp->forward(FinalStates(emotion_bigru, curve)));
    const torch::Tensor out = std::get<0>(emotion_gru->forward(curve));  // [batch, steps, kEmotionGru]
    const torch::Tensor h = torch::cat({out.mean(1), out.select(1, out.size(1) - 1)}, 1);
    return emotion_heads->forward(torch::relu(emotion2->forward(h)));
  }

  torch::Tensor EmbedMusic(torch::Tensor x) override {
    const Gaussian g = Music(std::move(x));
    return torch::cat({g.mu, g.log_sigma}, 1);
  }
  torch::Tensor EmbedEmotion(torch::Tensor va) override {
    const Gaussian g = Emotion(va);
    return torch::cat({g.mu, g.log_sigma}, 1);
  }
  torch::Tensor EmbedEmotionCurve(torch::Tensor curve) override {
    const Gaussian g = EmotionCurve(curve);
    return torch::cat({g.mu, g.log_sigma}, 1);
  }
  torch::Tensor EmbedMusicWithCca(torch::Tensor x) override {
    const Gaussian g = Music(std::move(x));
    return torch::cat({g.mu, g.log_sigma, g.embedding}, 1);
  }
  torch::Tensor EmbedEmotionWithCca(torch::Tensor va_or_curve) override {
    const Gaussian g = va_or_curve.dim() == 3 ? EmotionCurve(va_or_curve) : Emotion(va_or_curve);
    return torch::cat({g.mu, g.log_sigma, g.embedding}, 1);
  }
  bool Recurrent() const { return !emotion_gru.is_empty() || !emotion_bigru.is_empty(); }
  int CurveSteps() const override { return Recurrent() ? spec_.curve_steps : 0; }

  // Valence/arousal (z-scored) of each window from the music side: the KL-weighted mean of the grid.
  torch::Tensor forward(torch::Tensor x) override { return EstimateEmotion(EmbedMusic(std::move(x))); }
  torch::Tensor EstimateEmotion(const torch::Tensor& embedded) override {
    const int64_t dim = embedded.size(1) / 2;
    const Gaussian music{{}, embedded.narrow(1, 0, dim), embedded.narrow(1, dim, dim)};
    const auto options = torch::TensorOptions().dtype(music.mu.dtype()).device(music.mu.device());
    // The authors' bidirectional GRU(512) over 2,601 curves would cost ~740 GFLOP per evaluation at 45 s windows:
    // with it the grid is 11 x 11 (steps of 0.5 z instead of 0.1).
    const int side = emotion_bigru ? kCoarseGridSide : kGridSide;
    const torch::Tensor axis = torch::linspace(-kGridExtent, kGridExtent, side, options);
    const torch::Tensor grid = torch::stack({axis.repeat_interleave(side), axis.repeat({side})}, 1);
    // The grid's Gaussians do not depend on the music: in evaluation they are computed once and kept until the
    // model trains again (a recurrent encoder reads 2,601 curves per grid; the authors' BiGRU(512) made this the
    // bulk of an evaluation).
    const bool reuse = !is_training() && !torch::GradMode::is_enabled();
    const bool cached = reuse && grid_cache.mu.defined() && grid_cache.mu.device() == music.mu.device() &&
                        grid_cache.mu.dtype() == music.mu.dtype();
    const Gaussian emotion = cached ? grid_cache : Emotion(grid);
    if (reuse) grid_cache = emotion;
    const torch::Tensor kl = KlMatrix(emotion.mu, emotion.log_sigma, music.mu, music.log_sigma);  // [batch, grid]
    return torch::softmax(-kl, 1).matmul(grid);
  }

  void train(bool on) override {
    grid_cache = {};
    EmbeddingModel::train(on);
  }

  bool HasTrainingLoss() const override { return true; }
  torch::Tensor TrainingLoss(const TrainingBatch& batch) override {
    if (Recurrent() && !batch.curve.defined()) throw Error("internal error: emb_cl (recurrent emotion encoder) got no curves");
    const Gaussian music = Music(batch.x), emotion = Recurrent() ? EmotionCurve(batch.curve) : Emotion(batch.target);
    torch::Tensor loss = (1 - spec_.cca_weight) *
                         KlRankLoss(music.mu, music.log_sigma, emotion.mu, emotion.log_sigma, spec_.margin);
    if (spec_.cca_weight > 0 && batch.x.size(0) >= 2) {  // a covariance needs two items
      loss = loss - spec_.cca_weight * CcaCorrelation(music.embedding, emotion.embedding);
    }
    return loss;
  }

  ModelSpec spec_;
  std::vector<torch::nn::Conv1d> convs;
  std::vector<torch::nn::BatchNorm1d> norms;
  torch::nn::GRU gru{nullptr}, emotion_gru{nullptr}, music_bigru{nullptr}, emotion_bigru{nullptr};
  AuthorsMlp music_mlp{nullptr}, emotion_mlp{nullptr};
  int64_t vggish_pool = 1;
  Gaussian grid_cache;  // evaluation only: the emotion grid's Gaussians (EstimateEmotion)
  torch::nn::Linear music_dense{nullptr}, emotion1{nullptr}, emotion2{nullptr};
  torch::nn::Dropout dropout{nullptr};
  GaussianHeads music_heads{nullptr}, emotion_heads{nullptr};
};
TORCH_MODULE(EmbCl);

}  // namespace

namespace emb_cl {
std::vector<ModelEntry> Entries() { return {{"emb_cl", [](const ModelSpec& s) { return EmbCl(s).ptr(); }}}; }
}  // namespace emb_cl

}  // namespace mer::models
