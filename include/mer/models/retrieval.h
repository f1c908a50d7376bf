// The retrieval evaluation of the composite-loss embedding model as the authors run it (Takashima et al.,
// ccilab-doshisha/emer-cl: src/util/linear_cca.py, the steps of src/train.py after training, src/evaluation.py):
// a linear CCA fitted on the training embeddings, one least-squares line per CCA dimension each way, and a distance
// mixing the correlation-weighted line errors with the KL divergence by lambda. Float64 throughout; matched against
// the authors' code on ../shared/reference/retrieval_eval_cases.json (tests/train/test_retrieval_eval.cpp).
#pragma once

#include <torch/torch.h>

namespace mer::models {

// LinearCCA.fit on training embeddings music [n, o1] and emotion [n, o2] (n >= 2): both centred, covariances
// (1 / (n - 1)) X'Y with 1e-4 I added to the two auto-covariances, T = S11^-1/2 S12 S22^-1/2 (inverse square roots
// from symmetric eigen-decompositions), T = U D V', projections W1 = S11^-1/2 U and W2 = S22^-1/2 V (dim columns,
// dim = min(o1, o2)). Then, on the projected training embeddings, the per-dimension Pearson correlation (the
// diagonal of np.corrcoef) and np.polyfit(deg 1) lines emotion_hat = a * music_hat + b (music -> emotion) and
// music_hat = a * emotion_hat + b (emotion -> music), dimension by dimension.
struct LinearCca {
  torch::Tensor music_mean, emotion_mean;        // [o1], [o2]
  torch::Tensor music_weights, emotion_weights;  // [o1, dim], [o2, dim]
  torch::Tensor train_corrs;                     // [dim]
  torch::Tensor m2e_slope, m2e_intercept;        // [dim] each
  torch::Tensor e2m_slope, e2m_intercept;        // [dim] each

  static LinearCca Fit(const torch::Tensor& train_music, const torch::Tensor& train_emotion);
  torch::Tensor ProjectMusic(const torch::Tensor& music) const;      // (x - mean) W1: [n, dim]
  torch::Tensor ProjectEmotion(const torch::Tensor& emotion) const;  // (y - mean) W2: [n, dim]
};

// The two distance matrices of evaluation.py for n test pairs (row i is query i, its match is column i):
//   m2e[i][j] = lambda * sum_{d: corr_d >= corr_p} corr_d |emotion_hat[j][d] - (a_d music_hat[i][d] + b_d)|
//               + (1 - lambda) * KlMatrix(music, emotion)[i][j]
//   e2m[i][j] = the same with the roles swapped (emotion -> music lines; KlMatrix(emotion, music)).
// The KL part is the authors' kld(mu1, sigma1, mu2, sigma2) (sigma = exp(log_sigma) a variance, + 1e-6), whose row
// i belongs to the second argument: in m2e the KL row of emotion i, KL(music_j || emotion_i), as their code has it.
// lambda == 0 skips the CCA part (no fit needed: `cca` may be null); lambda == 1 skips the KL part.
struct CompositeDistances {
  torch::Tensor m2e, e2m;  // [n, n]
};
CompositeDistances CompositeRetrievalDistances(const LinearCca* cca, const torch::Tensor& music_embedding,
                                               const torch::Tensor& emotion_embedding, const torch::Tensor& music_mu,
                                               const torch::Tensor& music_log_sigma, const torch::Tensor& emotion_mu,
                                               const torch::Tensor& emotion_log_sigma, double lambda,
                                               double corr_p = 0.4);

}  // namespace mer::models
