// Convolutions with TensorFlow's "same" padding (models/same_padding.hpp has the formulas).
#include "elbo/models/same_padding.hpp"

#include "elbo/ops/conv.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo::models {

SamePadding same_padding(int64_t in, int64_t kernel, int64_t stride) {
  ELBO_CHECK(in > 0 && kernel > 0 && stride > 0, "same_padding: extent ", in, ", kernel ", kernel, " and stride ",
             stride, " must be positive");
  int64_t out = (in + stride - 1) / stride;  // ⌈n/s⌉
  int64_t total = (out - 1) * stride + kernel - in;
  if (total < 0) total = 0;
  return {total / 2, total - total / 2};
}

namespace {
void check_image(const char* layer, const Tensor& x, int64_t channels) {
  ELBO_CHECK(x.ndim() == 4 && x.size(1) == channels, layer, ": expected an input [N, ", channels,
             ", H, W], got ", x.shape().str());
}
}  // namespace

SameConv2d::SameConv2d(nn::Init& init, int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride)
    : nn::Conv2d(init, in_channels, out_channels, kernel, Conv2dOptions{.stride = stride}), stride(stride) {}

Tensor SameConv2d::convolve(const Tensor& x, const Tensor& weights, const Tensor& b, int64_t groups,
                            FusedActivation f) {
  check_image("SameConv2d", x, weights.size(1) * groups);
  SamePadding h = same_padding(x.size(2), kernel, stride), w = same_padding(x.size(3), kernel, stride);
  if (h.before == h.after && w.before == w.after)
    return conv2d(x, weights, b, Conv2dOptions{.stride = stride, .padding = h.before, .groups = groups}, f);
  // Asymmetric: pad explicitly, then convolve without padding.
  return conv2d(pad2d(x, h.before, h.after, w.before, w.after), weights, b,
                Conv2dOptions{.stride = stride, .groups = groups}, f);
}

std::string SameConv2d::str() const {
  return "SameConv2d(" + std::to_string(in_channels) + ", " + std::to_string(out_channels) +
         ", kernel=" + std::to_string(kernel) + ", stride=" + std::to_string(stride) + ")";
}

SameConvTranspose2d::SameConvTranspose2d(nn::Init& init, int64_t in_channels, int64_t out_channels, int64_t kernel,
                                         int64_t stride)
    : nn::ConvTranspose2d(init, in_channels, out_channels, kernel, Conv2dOptions{.stride = stride}),
      stride(stride) {
  ELBO_CHECK(kernel >= stride, "SameConvTranspose2d: kernel ", kernel, " must be at least the stride ", stride,
             " (otherwise the output would need padding, not cropping)");
}

Tensor SameConvTranspose2d::convolve(const Tensor& x, const Tensor& weights, const Tensor& b, int64_t groups,
                                     FusedActivation f) {
  check_image("SameConvTranspose2d", x, weights.size(0));
  SamePadding h = same_padding(x.size(2) * stride, kernel, stride);
  SamePadding w = same_padding(x.size(3) * stride, kernel, stride);
  // Crop `before` on both sides through the op's padding, then the extra (after − before) at the
  // end (the activation, elementwise, may come before the crop).
  Tensor y = conv_transpose2d(x, weights, b,
                              Conv2dOptions{.stride = stride, .padding = h.before, .groups = groups}, f);
  if (h.after != h.before) y = slice(y, 2, 0, y.size(2) - (h.after - h.before));
  if (w.after != w.before) y = slice(y, 3, 0, y.size(3) - (w.after - w.before));
  return y;
}

std::string SameConvTranspose2d::str() const {
  return "SameConvTranspose2d(" + std::to_string(in_channels) + ", " + std::to_string(out_channels) +
         ", kernel=" + std::to_string(kernel) + ", stride=" + std::to_string(stride) + ")";
}

}  // namespace elbo::models
