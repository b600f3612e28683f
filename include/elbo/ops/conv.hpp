// 2-D convolutions on NCHW tensors, differentiable, with stride, padding, dilation and groups
// (groups = C_in = C_out is the depthwise convolution).
//
//   conv2d:            y[n,o,i,j] = b[o] + Σ_{c∈group(o)} Σ_{p,q} w[o,c,p,q] · x[n,c, i·s − pad + p·d, j·s − pad + q·d]
//   conv_transpose2d:  the adjoint of conv2d in x (the gradient of conv2d with respect to its input),
//                      with weight [C_in, C_out/groups, KH, KW] as in PyTorch, so that
//                      OH = (H − 1)·s − 2·pad + d·(KH − 1) + output_padding + 1.
// Backward:
//   conv2d:            dx = conv_transpose2d(g, w),  dw = Σ_n g ⋆ x (correlation),  db = Σ_{n,i,j} g
//   conv_transpose2d:  dx = conv2d(g, w),            dw likewise with x and g exchanged
//
// With an activation f (ops/backend.hpp: relu, tanh, sigmoid) the op computes y = f(conv + b), the
// bias and f applied by the kernel to each block of y while it is in the cache (Epilogue), with
// the same values, bit for bit, as the op followed by f; the backward pass reads y instead of the
// value before f, which is never stored, and sums the bias gradient in the same pass.
#pragma once
#include "elbo/ops/backend.hpp"
#include "elbo/tensor.hpp"

namespace elbo {

struct Conv2dOptions {
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
  int64_t output_padding = 0;  // conv_transpose2d only
};

// x[N, C_in, H, W], weight[C_out, C_in/groups, KH, KW], bias[C_out] or undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options = {},
              FusedActivation f = FusedActivation::none);
// x[N, C_in, H, W], weight[C_in, C_out/groups, KH, KW], bias[C_out] or undefined.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options = {},
                        FusedActivation f = FusedActivation::none);

}  // namespace elbo
