// β-VAE (Higgins et al. 2017, "β-VAE: learning basic visual concepts with a constrained
// variational framework", eq. 4, as a loss to minimise; disentanglement_lib's BetaVAE):
//     L = R + β·KL
// with R and KL the batch means of models/objective.hpp. β = 1 is the VAE's negative ELBO
// (Kingma & Welling 2014, eq. 10).
//
// Higgins et al. (§4, "β_norm") compare β across input and latent sizes through
//     β_norm = β · M / N,     M = number of latents, N = number of input dimensions (C·H·W)
// e.g. β = 4 with 10 latents on 64×64×1 images is β_norm = 4·10/4096 ≈ 0.0098.
#pragma once
#include <cstdint>

#include "elbo/tensor.hpp"

namespace elbo::models {

Tensor beta_vae_objective(const Tensor& reconstruction, const Tensor& kl, double beta);

double beta_norm(double beta, int64_t latents, int64_t input_dims);

}  // namespace elbo::models
