#include "mer/models/losses.h"

namespace mer::models {

namespace {
constexpr double kVarianceFloor = 1e-6;  // added to exp(log_sigma), as in the authors' code
constexpr double kNormRate = 1e-3;       // weight of |KL(positive)| in the rank loss
}  // namespace

torch::Tensor KlMatrix(const torch::Tensor& p_mu, const torch::Tensor& p_log_sigma, const torch::Tensor& q_mu,
                       const torch::Tensor& q_log_sigma) {
  const torch::Tensor p_var = (p_log_sigma.exp() + kVarianceFloor).unsqueeze(0);  // [1, P, D]
  const torch::Tensor q_var = (q_log_sigma.exp() + kVarianceFloor).unsqueeze(1);  // [Q, 1, D]
  const torch::Tensor diff = p_mu.unsqueeze(0) - q_mu.unsqueeze(1);              // [Q, P, D]
  const torch::Tensor terms = q_var.log() - p_var.log() + (p_var + diff * diff) / q_var - 1.0;
  return 0.5 * terms.sum(2);
}

namespace {

// One direction: rows are queries, the diagonal holds each query's positive.
torch::Tensor DirectionCost(const torch::Tensor& scores, double margin) {
  const torch::Tensor positive = scores.diagonal().unsqueeze(1);  // [B, 1]
  const torch::Tensor off_diagonal =
      1.0 - torch::eye(scores.size(0), torch::TensorOptions().dtype(scores.dtype()).device(scores.device()));
  const torch::Tensor hinge = torch::relu(positive - scores + margin) * off_diagonal;
  // |KL(positive)| is broadcast over the row: batch copies per query, as the authors' code adds it.
  return (hinge + kNormRate * positive.abs()).sum();
}

// Whitening through the Cholesky factor: with Sigma = L L', L^-1 = Q Sigma^-1/2 for an orthogonal Q, so
// L1^-1 Sigma12 L2^-T has the singular values of Sigma11^-1/2 Sigma12 Sigma22^-1/2. (An eigen-decomposition gives
// Sigma^-1/2 directly, but its gradient divides by eigenvalue gaps, infinite for the repeated eigenvalues a
// batch smaller than the dimension produces.)
torch::Tensor WhitenRows(const torch::Tensor& sigma, const torch::Tensor& rhs) {
  return torch::linalg_solve_triangular(torch::linalg_cholesky(sigma), rhs, /*upper=*/false);
}

}  // namespace

torch::Tensor KlRankLoss(const torch::Tensor& music_mu, const torch::Tensor& music_log_sigma,
                         const torch::Tensor& emotion_mu, const torch::Tensor& emotion_log_sigma, double margin) {
  const torch::Tensor music_to_emotion = KlMatrix(music_mu, music_log_sigma, emotion_mu, emotion_log_sigma);
  const torch::Tensor emotion_to_music = KlMatrix(emotion_mu, emotion_log_sigma, music_mu, music_log_sigma);
  return DirectionCost(music_to_emotion, margin) + DirectionCost(emotion_to_music, margin);
}

// Where this differs from the authors' TensorFlow CCALoss, and why:
//  - they centre each sample over its embedding dimensions (the mean over axis 0 of the transposed [dim, batch]
//    matrix); Andrew et al. centre each dimension over the batch, which is what a covariance needs: done here;
//  - they do not whiten with Sigma^-1/2 but learn two extra matrices W1, W2 under a soft penalty |I - W' Sigma W|,
//    and take trace(sqrt(C C')) with an element-wise square root, which is not the sum of singular values; here
//    the correlation is the exact total canonical correlation (the nuclear norm of T), so the term means what the
//    paper says. Same covariance regulariser (1e-4).
torch::Tensor CcaCorrelation(const torch::Tensor& h1, const torch::Tensor& h2, double regulariser) {
  const int64_t m = h1.size(0);
  const torch::Tensor a = h1 - h1.mean(0, true), b = h2 - h2.mean(0, true);
  const auto options = torch::TensorOptions().dtype(h1.dtype()).device(h1.device());
  const double scale = 1.0 / static_cast<double>(m - 1);
  const torch::Tensor s11 = scale * a.transpose(0, 1).matmul(a) + regulariser * torch::eye(h1.size(1), options);
  const torch::Tensor s22 = scale * b.transpose(0, 1).matmul(b) + regulariser * torch::eye(h2.size(1), options);
  const torch::Tensor s12 = scale * a.transpose(0, 1).matmul(b);
  // T = L1^-1 S12 L2^-T: whiten the rows of S12, then (transposed) its columns.
  const torch::Tensor left = WhitenRows(s11, s12);
  const torch::Tensor t = WhitenRows(s22, left.transpose(0, 1)).transpose(0, 1);
  return torch::linalg_svdvals(t).sum();
}

}  // namespace mer::models
