// AnnealedVAE (models/annealed_vae.hpp has the formulas and the source).
#include "elbo/models/annealed_vae.hpp"

#include <algorithm>

#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/math.hpp"

namespace elbo::models {

// C(t) = min(C_max, C_max·t/T)
double annealed_capacity(double c_max, uint64_t step, int64_t iteration_threshold) {
  ELBO_CHECK(iteration_threshold >= 1, "annealed_capacity: iteration_threshold must be ≥ 1, got ",
             iteration_threshold);
  return std::min(c_max, c_max * static_cast<double>(step) / static_cast<double>(iteration_threshold));
}

// γ·|KL − C|
Tensor annealed_vae_regularizer(const Tensor& kl, double capacity, double gamma) {
  return mul(abs(add(kl, -capacity)), gamma);
}

}  // namespace elbo::models
