// Random tensors from the counter-based generator (rng.hpp). Element i of the result is draw
// number counter + i of the stream (seed, stream): the same numbers on every thread count and
// device. None of these records history.
#pragma once
#include "elbo/rng.hpp"
#include "elbo/tensor.hpp"

namespace elbo {

Tensor uniform(const Shape& shape, uint64_t seed, uint64_t stream, uint64_t counter = 0,
               DType dtype = DType::f32, Device device = Device::cpu);
Tensor normal(const Shape& shape, uint64_t seed, uint64_t stream, uint64_t counter = 0,
              DType dtype = DType::f32, Device device = Device::cpu);

// The reparameterised Gaussian sample (Kingma & Welling 2014, eq. 10 with L = 1):
//     z = μ + exp(½·logvar) ⊙ ε,   ε ~ N(0, I) drawn from (seed, stream, counter)
//     dz/dμ = 1,   dz/dlogvar = ½·exp(½·logvar) ⊙ ε
Tensor reparameterize(const Tensor& mu, const Tensor& logvar, uint64_t seed, uint64_t stream, uint64_t counter);
// The same with a given ε (for tests, or noise drawn elsewhere).
Tensor reparameterize_with(const Tensor& mu, const Tensor& logvar, const Tensor& eps);

}  // namespace elbo
