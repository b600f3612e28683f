// What the pictures of a trained VAE are made of: decoder means, reconstructions, samples from the
// prior, and latent traversals (Higgins et al. 2017, figure 7; the figures of Burgess et al. 2018).
// Every function runs without autodiff and returns images [N, C, H, W] in [0, 1] on the Vae's device.
//
// The decoder's mean. Every likelihood of models/likelihood.hpp has mean μ_d = σ(l_d) for the
// decoder's logit l_d (the Bernoulli probability, or the Gaussian's mean), so a picture of p(x | z)
// is σ(decoder(z)).
//
// Latent traversal. Starting from a base code b (the posterior mean μ(x) of one image, or 0), row r
// of the grid changes one latent j_r and keeps every other at b:
//     code(r, c)_j = v_c                 for j = j_r       (relative: b_j + v_c)
//                  = b_j                 otherwise
// with values v_0 … v_{C−1} evenly spaced over [lo, hi] (default −2 … 2, nine columns: the prior's
// ±2σ). Rows are the latents ordered by their KL to the prior, largest first: a latent with KL ≈ 0
// is ignored by the decoder, and its row shows the same image C times.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/models/vae.hpp"

namespace elbo::models {

// σ(decoder(z)), [N, C, H, W].
Tensor decoder_mean(Vae& vae, const Tensor& z);
// decoder_mean(μ(x)): each image decoded from its posterior mean.
Tensor reconstruct(Vae& vae, const Tensor& x);
// decoder_mean(z) for n codes z ~ N(0, I), drawn from the stream (seed, prior, step 0)
// (models/noise.hpp): code k is draws k·L … k·L + L − 1.
Tensor prior_samples(Vae& vae, int64_t n, uint64_t seed);

// The latents 0 … L−1 ordered by kl (one value per latent), largest first; ties keep index order.
std::vector<int64_t> latents_by_kl(const std::vector<double>& kl);
// n values evenly spaced from lo to hi, both included (n = 1: lo).
std::vector<double> linspace(double lo, double hi, int64_t n);
// The codes of a traversal grid, [latents.size() · values.size(), L] in base's dtype and device:
// row-major, code(r, c) as above. base: [L] or [1, L].
Tensor traversal_codes(const Tensor& base, const std::vector<int64_t>& latents, const std::vector<double>& values,
                       bool relative = false);

}  // namespace elbo::models
