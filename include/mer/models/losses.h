// The losses of the composite-loss embedding model (Takashima et al., "Embedding-based Music Emotion Recognition
// Using Composite Loss", arXiv 2112.07192): a KL-divergence rank loss between the music and emotion Gaussians and
// the deep CCA correlation (Andrew et al., ICML 2013) between their embeddings.
#pragma once

#include <torch/torch.h>

namespace mer::models {

// Each side is a diagonal Gaussian per item: mean `mu` and `log_sigma` [batch, dim], variance exp(log_sigma) + 1e-6.
// Returns kl[i][j] = KL( N(p_mu[j], var_p[j]) || N(q_mu[i], var_q[i]) ), summed over dim: [q_batch, p_batch].
torch::Tensor KlMatrix(const torch::Tensor& p_mu, const torch::Tensor& p_log_sigma, const torch::Tensor& q_mu,
                       const torch::Tensor& q_log_sigma);

// Rank loss over both directions, as the authors' loss code computes it (matched in float64 against
// ../shared/reference/kl_rank_loss_cases.json): with S = KlMatrix(music -> emotion) and S' = KlMatrix(emotion ->
// music), each row i contributes sum_{j != i} max(0, S[i][i] - S[i][j] + margin) plus 1e-3 * |S[i][i]| for every
// cell of the row (batch times, the diagonal included), and the same for S'.
torch::Tensor KlRankLoss(const torch::Tensor& music_mu, const torch::Tensor& music_log_sigma,
                         const torch::Tensor& emotion_mu, const torch::Tensor& emotion_log_sigma, double margin);

// Total canonical correlation of two views h1 [batch, o1] and h2 [batch, o2] (deep CCA, Andrew et al. 2013): both
// centred over the batch, covariances regularised by `regulariser` * I, the sum of the singular values of
// Sigma11^-1/2 Sigma12 Sigma22^-1/2. Differentiable; the CCA loss is its negative. Needs batch >= 2.
torch::Tensor CcaCorrelation(const torch::Tensor& h1, const torch::Tensor& h2, double regulariser = 1e-4);

}  // namespace mer::models
