// Batch normalisation (Ioffe & Szegedy 2015), differentiable, for [N, C] and [N, C, H, W].
//
// Training: per channel c, over the batch (and the spatial axes),
//     μ_c = mean x,   σ²_c = mean (x − μ_c)²   (biased),   x̂ = (x − μ_c) / √(σ²_c + ε),
//     y = γ_c · x̂ + β_c,
// and the running statistics move towards the batch's (unbiased variance, as PyTorch):
//     running_mean ← (1 − momentum)·running_mean + momentum·μ_c
//     running_var  ← (1 − momentum)·running_var  + momentum·σ²_c · n/(n − 1)
// Evaluation: the running statistics replace μ_c and σ²_c.
// Backward (training), with m = the number of values per channel:
//     dx = (γ/√(σ²+ε)) · (g − mean(g) − x̂ · mean(g · x̂)),  dγ = Σ g · x̂,  dβ = Σ g
#pragma once
#include "elbo/tensor.hpp"

namespace elbo {

// gamma, beta: [C] or undefined (no affine transform). running_mean, running_var: [C] buffers,
// updated in place when training (they may be undefined when training: then nothing is tracked).
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

}  // namespace elbo
