// Gradient clipping by global norm (Pascanu, Mikolov & Bengio 2013), as PyTorch's clip_grad_norm_:
//     n = √(Σ_p Σ_i g_{p,i}²)                    over every parameter p that has a gradient
//     if n > max_norm:   g ← g · max_norm / (n + 10⁻⁶)     (in place)
// The sum runs in double, parameter by parameter in list order and within each in a fixed order,
// so n is the same whatever the thread count. A non-finite n leaves the gradients unchanged.
#pragma once
#include <vector>

#include "elbo/tensor.hpp"

namespace elbo::nn {

// Returns n, the total norm before clipping.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

}  // namespace elbo::nn
