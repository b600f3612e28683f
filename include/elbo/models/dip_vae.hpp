// DIP-VAE I and II (Kumar, Sattigeri & Balakrishnan 2018, "Variational inference of disentangled
// latent concepts from unlabeled observations", eqs. 6 and 7), as disentanglement_lib computes
// them (methods/unsupervised/vae.py, DIPVAE, compute_covariance_z_mean,
// regularize_diag_off_diag_dip):
//     L = R + KL + λ_od Σ_{i≠j} C_ij² + λ_d Σ_i (C_ii − 1)²
// with C a covariance of the latents over the batch of M:
//   DIP-VAE-I:   C = Cov[μ]                = (1/M) Σ_m μ_m μ_mᵀ − μ̄ μ̄ᵀ,   μ̄ = (1/M) Σ_m μ_m
//   DIP-VAE-II:  C = E[diag σ²] + Cov[μ]   = diag((1/M) Σ_m σ_m²) + Cov[μ]
// (the covariance of the aggregate posterior q(z) = (1/M) Σ_m N(μ_m, diag σ_m²); the 1/M, not
// 1/(M − 1), estimate, as the reference). The penalty pushes C towards the identity: the
// off-diagonal entries to 0 with weight λ_od, the diagonal to 1 with weight λ_d. Reference
// values (unsupervised_study_v1): λ_od swept over 1, 2, 5, 10, 20, 50; λ_d = 10·λ_od for
// DIP-VAE-I and λ_d = λ_od for DIP-VAE-II.
#pragma once
#include "elbo/tensor.hpp"

namespace elbo::models {

// Cov[μ] = (1/M) Σ_m μ_m μ_mᵀ − μ̄ μ̄ᵀ, [L, L], from mu [M, L].
Tensor covariance_of_means(const Tensor& mu);

// λ_od Σ_{i≠j} C_ij² + λ_d Σ_i (C_ii − 1)², C [L, L].
Tensor dip_penalty(const Tensor& covariance, double lambda_od, double lambda_d);

// The two regularisers without the KL: dip_penalty of Cov[μ], and of diag(E[σ²]) + Cov[μ].
Tensor dip_vae_i_regularizer(const Tensor& mu, double lambda_od, double lambda_d);
Tensor dip_vae_ii_regularizer(const Tensor& mu, const Tensor& logvar, double lambda_od, double lambda_d);

}  // namespace elbo::models
