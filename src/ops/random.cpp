// Random tensors and the reparameterised Gaussian sample (formulas in include/elbo/ops/random.hpp).
#include "elbo/ops/random.hpp"

#include "elbo/autograd.hpp"
#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/backend.hpp"
#include "elbo/ops/math.hpp"

namespace elbo {

Tensor uniform(const Shape& shape, uint64_t seed, uint64_t stream, uint64_t counter, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  backend(device).fill_uniform(t, seed, stream, counter);
  return t;
}

Tensor normal(const Shape& shape, uint64_t seed, uint64_t stream, uint64_t counter, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  backend(device).fill_normal(t, seed, stream, counter);
  return t;
}

Tensor reparameterize_with(const Tensor& mu, const Tensor& logvar, const Tensor& eps) {
  ELBO_CHECK(mu.shape() == logvar.shape() && mu.shape() == eps.shape(), "reparameterize: mu ", mu.str(),
             ", logvar ", logvar.str(), " and eps ", eps.str(), " must have one shape");
  // z = μ + exp(½·logvar) ⊙ ε ; the composite ops carry the gradient.
  return add(mu, mul(exp(mul(logvar, 0.5)), eps));
}

Tensor reparameterize(const Tensor& mu, const Tensor& logvar, uint64_t seed, uint64_t stream, uint64_t counter) {
  Tensor eps = normal(mu.shape(), seed, stream, counter, mu.dtype(), mu.device());
  return reparameterize_with(mu, logvar, eps);
}

}  // namespace elbo
