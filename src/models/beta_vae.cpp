// β-VAE (models/beta_vae.hpp has the formulas and the source).
#include "elbo/models/beta_vae.hpp"

#include "elbo/ops/arithmetic.hpp"

namespace elbo::models {

// L = R + β·KL
Tensor beta_vae_objective(const Tensor& reconstruction, const Tensor& kl, double beta) {
  return add(reconstruction, mul(kl, beta));
}

// β_norm = β·M/N
double beta_norm(double beta, int64_t latents, int64_t input_dims) {
  ELBO_CHECK(latents > 0 && input_dims > 0, "beta_norm: latents ", latents, " and input dimensions ", input_dims,
             " must be positive");
  return beta * static_cast<double>(latents) / static_cast<double>(input_dims);
}

}  // namespace elbo::models
