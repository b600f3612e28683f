// Elementwise functions and activations, differentiable. Each is one UnaryOp of the backend
// (backend.hpp lists the formulas); backward multiplies the incoming gradient by f'(x):
//   exp: y            log: 1/x            log1p: 1/(1+x)       sqrt: 1/(2y)
//   abs: sign(x)      square: 2x          pow(x,p): p·x^(p−1)  clamp: 1 inside [lo, hi], else 0
//   soft_clamp(x,c) = c·tanh(x/c): 1 − (y/c)²
//   relu: [x > 0]     leaky_relu: 1 or slope     elu: 1 or y + alpha
//   sigmoid: y(1−y)   tanh: 1 − y²        softplus: σ(x)       silu: σ(x)(1 + x(1 − σ(x)))
#pragma once
#include "elbo/ops/backend.hpp"
#include "elbo/tensor.hpp"

namespace elbo {

Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor square(const Tensor& x);
Tensor pow(const Tensor& x, double p);
Tensor clamp(const Tensor& x, double lo, double hi);
Tensor soft_clamp(const Tensor& x, double bound);

Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double slope = 0.01);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor softplus(const Tensor& x);
Tensor silu(const Tensor& x);
inline Tensor swish(const Tensor& x) { return silu(x); }

// Any UnaryOp by name, with its parameters: the one mechanism behind every function above.
Tensor unary(UnaryOp op, const Tensor& x, double a = 0.0, double b = 0.0);

}  // namespace elbo
