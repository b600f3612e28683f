// Convolutions with TensorFlow's "same" padding, so that the reference architectures
// (disentanglement_lib's tf.layers, Keras) give the same output shapes here.
//
// TensorFlow pads a convolution with kernel k and stride s over an input of extent n so that
// the output has extent ⌈n/s⌉ (tensorflow/core/framework/kernel_shape_util.cc, GetWindowedOutputSize
// with padding SAME):
//     out    = ⌈n / s⌉
//     total  = max((out − 1)·s + k − n, 0)
//     before = ⌊total / 2⌋,   after = total − before          (the odd pixel goes after)
// Examples: n 64, k 4, s 2 → out 32, padding (1, 1), as PyTorch's padding=1;
//           n 16, k 2, s 2 → out 8,  padding (0, 0);
//           n 28, k 4, s 1 → out 28, padding (1, 2): no symmetric PyTorch padding gives it.
//
// A transposed convolution with "same" padding is the adjoint of the "same" convolution that
// maps its output (extent n·s) back to its input (extent n): its output has extent n·s, and the
// padding of that convolution, (before, after) = same_padding(n·s, k, s), is cropped from the
// full transposed output of extent (n − 1)·s + k.
//
// Weights are laid out as in nn::Conv2d and nn::ConvTranspose2d (NCHW, PyTorch order); only the
// padding differs.
#pragma once
#include <cstdint>

#include "elbo/nn/conv.hpp"

namespace elbo::models {

struct SamePadding {
  int64_t before = 0, after = 0;
};
// The padding of a "same" convolution (formula above).
SamePadding same_padding(int64_t in, int64_t kernel, int64_t stride);

// y = conv2d(pad(x), W, b) with "same" padding: output extent ⌈n/s⌉.
class SameConv2d : public nn::Conv2d {
 public:
  SameConv2d(nn::Init& init, int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride);
  Tensor convolve(const Tensor& x, const Tensor& w, const Tensor& b, int64_t groups, FusedActivation f) override;
  std::string str() const override;
  const int64_t stride;
};

// The transposed convolution with "same" padding: output extent n·s. Needs kernel ≥ stride.
class SameConvTranspose2d : public nn::ConvTranspose2d {
 public:
  SameConvTranspose2d(nn::Init& init, int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride);
  Tensor convolve(const Tensor& x, const Tensor& w, const Tensor& b, int64_t groups, FusedActivation f) override;
  std::string str() const override;
  const int64_t stride;
};

}  // namespace elbo::models
