// Matrix products through the backend's GEMM (OpenBLAS on the CPU, cuBLAS on CUDA).
//   C = A·B:          dA = G·Bᵀ,  dB = Aᵀ·G
//   y = x·Wᵀ + b:     dx = G·W,   dW = Gᵀ·x,   db = Σ_rows G     (linear, W is [out, in])
//   y = f(x·Wᵀ + b):  G' = G·f'(·) read from y, then as above with G'   (linear with an activation)
#pragma once
#include "elbo/ops/backend.hpp"
#include "elbo/tensor.hpp"

namespace elbo {

// a[..., M, K] · b[..., K, N] → [..., M, N]. Leading (batch) axes broadcast; a 1-D b is not
// accepted (reshape it to [K, 1]). Both 2-D: a plain matrix product.
Tensor matmul(const Tensor& a, const Tensor& b);

// f(x[N, in] · weight[out, in]ᵀ + bias[out]); bias may be undefined. The bias and the activation
// f (ops/backend.hpp) are applied in one pass over the product, with the same values, bit for
// bit, as adding the bias and applying f apart; the backward pass reads the output.
// With a leading axis of K independent layers (the members of an ensemble, nn/member_batch.hpp):
//     x[K, N, in], weight[K, out, in], bias[K, out]:   y[k] = f(x[k] · weight[k]ᵀ + bias[k])
// one batched product, each y[k] with the same bits as linear(x[k], weight[k], bias[k], f).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, FusedActivation f = FusedActivation::none);

}  // namespace elbo
