// Softmax and log-softmax over one axis, differentiable.
//   softmax:      y_i = exp(x_i − m) / Σ_j exp(x_j − m),  m = max_j x_j
//                 dx_i = y_i · (g_i − Σ_j g_j y_j)
//   log_softmax:  y_i = x_i − m − ln Σ_j exp(x_j − m)
//                 dx_i = g_i − exp(y_i) · Σ_j g_j
#pragma once
#include "elbo/tensor.hpp"

namespace elbo {

Tensor softmax(const Tensor& x, int axis = -1);
Tensor log_softmax(const Tensor& x, int axis = -1);

}  // namespace elbo
