// Gradient clipping by global norm (nn/clip.hpp).
#include "elbo/nn/clip.hpp"

#include <cmath>

#include "elbo/autograd.hpp"
#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/math.hpp"
#include "elbo/ops/reduce.hpp"

namespace elbo::nn {

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  ELBO_CHECK(max_norm >= 0, "clip_grad_norm: max_norm must be ≥ 0, got ", max_norm);
  NoGradGuard no_grad;
  // n² = Σ_p Σ_i g_{p,i}², each parameter's sum of squares in f64.
  double sum_of_squares = 0.0;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (g.defined()) sum_of_squares += sum(square(g.to(DType::f64))).item();
  }
  double norm = std::sqrt(sum_of_squares);
  if (std::isfinite(norm) && norm > max_norm) {
    // g ← g · max_norm / (n + 10⁻⁶)
    double scale = max_norm / (norm + 1e-6);
    for (const Tensor& p : params) {
      Tensor g = p.grad();
      if (g.defined()) mul_(g, scale);
    }
  }
  return norm;
}

}  // namespace elbo::nn
