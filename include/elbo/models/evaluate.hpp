// Evaluating a trained Vae on held-out images (no files: the caller passes the batches).
//
// All three run without autodiff, in a fixed order (batches in order, images in order), and
// accumulate in double. The draws for batch b come from the stream (seed, evaluation, b)
// (models/noise.hpp): sample k of the batch's N images uses draws k·N·L … (k+1)·N·L − 1, so
// evaluate_elbo's z and the first importance sample are the same z.
//
// With −ln p(x | z) = r(x, logits) + c the normalised negative log-likelihood of the decoder
// (models/likelihood.hpp), D = C·H·W input dimensions and L latents:
//
// ELBO (Kingma & Welling 2014, eq. 7 and 10), per image, with one sample z ~ q(z | x) and the
// closed-form KL:
//     ELBO(x) = ln p(x | z) − KL(q(z | x) ‖ N(0, I)) ≤ ln p(x)
//
// KL per latent (mean over data): KL_j = (1/N) Σ_n ½ (μ_nj² + σ_nj² − 1 − ln σ_nj²). Latents
// with KL_j ≈ 0 are inactive ("posterior collapse").
//
// Importance-weighted bound (Burda, Grosse & Salakhutdinov 2016, eq. 8), with K samples
// z_k = μ + σ ⊙ ε_k:
//     ln w_k = ln p(x | z_k) + ln p(z_k) − ln q(z_k | x)
//            = −r(x, logits_k) − c + Σ_j ½ [ (z_kj − μ_j)² e^−lv_j + lv_j − z_kj² ]
//     L_K(x) = ln (1/K) Σ_k w_k = logsumexp_k(ln w_k) − ln K          (in double)
// L_K ≤ ln p(x), and L_K rises towards ln p(x) as K grows (Burda et al., Theorem 1). With the same
// draws, L_K ≥ (1/K) Σ_k ln w_k (Jensen), the single-sample ELBO averaged over the K draws, with
// equality at K = 1. Bits per dimension: −L_K / (D · ln 2).
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/models/vae.hpp"

namespace elbo::models {

struct ElboEstimate {
  double elbo = 0;            // mean over images of ln p(x | z) − KL, nats
  double reconstruction = 0;  // mean over images of −ln p(x | z), nats
  double kl = 0;              // mean over images of KL(q(z | x) ‖ N(0, I)), nats
  double bits_per_dim = 0;    // −elbo / (D · ln 2)
  int64_t images = 0;
};
ElboEstimate evaluate_elbo(Vae& vae, const std::vector<Tensor>& batches, uint64_t seed);

// KL_j, mean over every image of every batch, one per latent.
std::vector<double> kl_per_latent(Vae& vae, const std::vector<Tensor>& batches);

struct LogLikelihoodEstimate {
  double log_likelihood = 0;  // mean over images of L_K(x), nats
  double bits_per_dim = 0;    // −log_likelihood / (D · ln 2)
  double elbo = 0;            // mean over images and samples of ln w_k, nats (same draws)
  int64_t images = 0;
  int64_t samples = 0;        // K
};
LogLikelihoodEstimate importance_weighted_bound(Vae& vae, const std::vector<Tensor>& batches, int64_t samples,
                                                uint64_t seed);

}  // namespace elbo::models
