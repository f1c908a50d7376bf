#include "mer/models/retrieval.h"

#include <string>

#include "mer/core/error.h"
#include "mer/models/losses.h"

namespace mer::models {
namespace {

constexpr double kCovarianceRegulariser = 1e-4;  // r1 = r2 in LinearCCA.fit

torch::Tensor InverseSquareRoot(const torch::Tensor& symmetric) {
  const auto [values, vectors] = torch::linalg_eigh(symmetric);
  return vectors.matmul(torch::diag(values.pow(-0.5))).matmul(vectors.transpose(0, 1));
}

// Least squares y = a x + b per column (np.polyfit(x, y, 1)): a = cov(x, y) / var(x), b = mean(y) - a mean(x).
std::pair<torch::Tensor, torch::Tensor> Lines(const torch::Tensor& x, const torch::Tensor& y) {
  const torch::Tensor xc = x - x.mean(0, true), yc = y - y.mean(0, true);
  const torch::Tensor slope = (xc * yc).sum(0) / (xc * xc).sum(0);
  return {slope, y.mean(0) - slope * x.mean(0)};
}

// d[i][j] = sum over the selected dimensions of weight_d |target[j][d] - predicted[i][d]|.
torch::Tensor WeightedAbsoluteErrors(const torch::Tensor& predicted, const torch::Tensor& target,
                                     const torch::Tensor& weights) {
  return ((target.unsqueeze(0) - predicted.unsqueeze(1)).abs() * weights).sum(2);
}

}  // namespace

LinearCca LinearCca::Fit(const torch::Tensor& train_music, const torch::Tensor& train_emotion) {
  const int64_t n = train_music.size(0);
  if (n < 2 || train_emotion.size(0) != n) {
    throw InputError("the linear CCA needs at least 2 training pairs with both embeddings (got " + std::to_string(n) +
                     " music and " + std::to_string(train_emotion.size(0)) + " emotion embeddings)");
  }
  const torch::Tensor f1 = train_music.to(torch::kDouble), f2 = train_emotion.to(torch::kDouble);
  LinearCca cca;
  cca.music_mean = f1.mean(0);
  cca.emotion_mean = f2.mean(0);
  const torch::Tensor a = f1 - cca.music_mean, b = f2 - cca.emotion_mean;
  const double scale = 1.0 / static_cast<double>(n - 1);
  const auto eye = [](int64_t k) { return torch::eye(k, torch::kDouble); };
  const torch::Tensor s12 = scale * a.transpose(0, 1).matmul(b);
  const torch::Tensor r11 = InverseSquareRoot(scale * a.transpose(0, 1).matmul(a) + kCovarianceRegulariser * eye(a.size(1)));
  const torch::Tensor r22 = InverseSquareRoot(scale * b.transpose(0, 1).matmul(b) + kCovarianceRegulariser * eye(b.size(1)));
  const auto [u, d, vh] = torch::linalg_svd(r11.matmul(s12).matmul(r22), /*full_matrices=*/true);
  const int64_t dim = std::min(a.size(1), b.size(1));
  cca.music_weights = r11.matmul(u.narrow(1, 0, dim));
  cca.emotion_weights = r22.matmul(vh.transpose(0, 1).narrow(1, 0, dim));
  const torch::Tensor m = cca.ProjectMusic(f1), e = cca.ProjectEmotion(f2);
  const torch::Tensor mc = m - m.mean(0, true), ec = e - e.mean(0, true);
  cca.train_corrs = (mc * ec).sum(0) / ((mc * mc).sum(0) * (ec * ec).sum(0)).sqrt();
  std::tie(cca.m2e_slope, cca.m2e_intercept) = Lines(m, e);
  std::tie(cca.e2m_slope, cca.e2m_intercept) = Lines(e, m);
  return cca;
}

torch::Tensor LinearCca::ProjectMusic(const torch::Tensor& music) const {
  return (music.to(torch::kDouble) - music_mean).matmul(music_weights);
}

torch::Tensor LinearCca::ProjectEmotion(const torch::Tensor& emotion) const {
  return (emotion.to(torch::kDouble) - emotion_mean).matmul(emotion_weights);
}

CompositeDistances CompositeRetrievalDistances(const LinearCca* cca, const torch::Tensor& music_embedding,
                                               const torch::Tensor& emotion_embedding, const torch::Tensor& music_mu,
                                               const torch::Tensor& music_log_sigma, const torch::Tensor& emotion_mu,
                                               const torch::Tensor& emotion_log_sigma, double lambda, double corr_p) {
  const int64_t n = music_mu.size(0);
  CompositeDistances out{torch::zeros({n, n}, torch::kDouble), torch::zeros({n, n}, torch::kDouble)};
  if (lambda != 0.0) {
    if (cca == nullptr) throw ConfigError("a retrieval lambda other than 0 needs the linear CCA of the training set");
    const torch::Tensor m = cca->ProjectMusic(music_embedding), e = cca->ProjectEmotion(emotion_embedding);
    // Dimensions whose training correlation reaches corr_p, weighted by it; the others weigh 0.
    const torch::Tensor weights = cca->train_corrs * (cca->train_corrs >= corr_p).to(torch::kDouble);
    out.m2e += lambda * WeightedAbsoluteErrors(cca->m2e_slope * m + cca->m2e_intercept, e, weights);
    out.e2m += lambda * WeightedAbsoluteErrors(cca->e2m_slope * e + cca->e2m_intercept, m, weights);
  }
  if (lambda != 1.0) {
    const torch::Tensor mm = music_mu.to(torch::kDouble), ml = music_log_sigma.to(torch::kDouble);
    const torch::Tensor em = emotion_mu.to(torch::kDouble), el = emotion_log_sigma.to(torch::kDouble);
    out.m2e += (1.0 - lambda) * KlMatrix(mm, ml, em, el);
    out.e2m += (1.0 - lambda) * KlMatrix(em, el, mm, ml);
  }
  return out;
}

}  // namespace mer::models
