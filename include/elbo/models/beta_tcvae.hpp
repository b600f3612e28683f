// β-TCVAE (Chen, Li, Grosse & Duvenaud 2018, "Isolating sources of disentanglement in VAEs"),
// as disentanglement_lib computes it (methods/unsupervised/vae.py, BetaTCVAE and
// total_correlation; its docstring cites eq. 5 of the paper with α = γ = 1):
//     L = R + KL + (β − 1)·TC
// TC = KL(q(z) ‖ Π_j q(z_j)) is the total correlation of the aggregate posterior
// q(z) = (1/N) Σ_n q(z | x_n) over a dataset of N images, estimated on the batch by minibatch
// weighted sampling (Chen et al. 2018, §3; "MWS"). For the batch's samples z_m ~ q(z | x_m),
// m = 1..M, with log q(z_m,j | x_i) the Gaussian log density of latent j:
//     log q(z_m)     ≈ logsumexp_i Σ_j log q(z_m,j | x_i)  − ln(N·M)
//     log q(z_m,j)   ≈ logsumexp_i log q(z_m,j | x_i)      − ln(N·M)
//     TC ≈ (1/M) Σ_m [ log q(z_m) − Σ_j log q(z_m,j) ]
//        = (1/M) Σ_m [ logsumexp_i Σ_j log q(z_m,j|x_i) − Σ_j logsumexp_i log q(z_m,j|x_i) ] + (L − 1)·ln(N·M)
// disentanglement_lib drops the constant (L − 1)·ln(N·M) ("we ignore the constants as they do not
// matter for the minimization"): its TC, and hence its loss, is lower by that much and does not
// depend on the dataset size N at all; the gradients are the same. total_correlation() returns
// the reference's value when dataset_size is 0 and adds the constant when N is given.
// log q(z | x) is diagonal Gaussian:
//     log N(z; μ, e^lv) = −½ [ (z − μ)² e^−lv + lv + ln 2π ]
#pragma once
#include <cstdint>

#include "elbo/tensor.hpp"

namespace elbo::models {

// −½[(z − μ)² e^−lv + lv + ln 2π], elementwise with broadcasting.
Tensor gaussian_log_density(const Tensor& z, const Tensor& mu, const Tensor& logvar);

// The MWS estimate of TC above, a scalar; z, mu, logvar are [M, L].
Tensor total_correlation(const Tensor& z, const Tensor& mu, const Tensor& logvar, int64_t dataset_size = 0);

}  // namespace elbo::models
