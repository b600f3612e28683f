// Evaluating a trained NVAE on held-out images, as the reference's test() and evaluate.py
// (NVlabs/NVAE), and as models/evaluate.hpp does for the flat VAE.
//
// The model runs in evaluation mode (batch norms use their running statistics), without
// autodiff, batches in order, sums in double. The images must be binary already (binarise a test
// set once, with models::binarize). For batch b the draws come from the stream
// (seed, evaluation, b) (models/noise.hpp); sample k of the batch's N images starts at counter
// k·N·L (L = the model's latents per image), so the ELBO's z and the first importance sample are
// the same z.
//
//   ELBO(x)  = −R(x, z) − Σ_i KL(q_i ‖ p_i)              one z ~ q, analytic KL per group
//   ln w_k   = −R(x, z_k) + Σ_i [ln p_i(z_k,i | z_k,<i) − ln q_i(z_k,i | x, z_k,<i)]
//   L_K(x)   = logsumexp_k ln w_k − ln K                 (Burda et al. 2016, eq. 8; evaluate.py)
// L_K ≤ ln p(x) and rises with K. Nats per image; bits per dimension −L_K / (D ln 2), D the
// number of (cropped) pixels.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/models/nvae.hpp"

namespace elbo::models {

struct NvaeEvaluation {
  double elbo = 0;            // mean over images, nats
  double reconstruction = 0;  // mean of R
  double kl = 0;              // mean of Σ_i KL_i
  double log_likelihood = 0;  // mean of L_K, nats
  double bits_per_dim = 0;    // −log_likelihood / (D ln 2)
  int64_t images = 0, samples = 0;
};

NvaeEvaluation evaluate_nvae(Nvae& model, const std::vector<Tensor>& batches, int64_t samples, uint64_t seed);

}  // namespace elbo::models
