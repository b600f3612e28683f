// Squeeze-and-excitation (nn/squeeze_excitation.hpp has the formulas and their sources).
#include "elbo/nn/squeeze_excitation.hpp"

#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/linalg.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo::nn {

SqueezeExcitation::SqueezeExcitation(Init& init, int64_t channels)
    : channels(channels), hidden(hidden_width(channels)), fc1(init, channels, hidden), fc2(init, hidden, channels) {
  register_module("fc1", fc1);
  register_module("fc2", fc2);
}

Tensor SqueezeExcitation::forward(const Tensor& x) {
  ELBO_CHECK(x.defined() && x.ndim() == 4 && x.size(1) == channels, str(), ": expects [N, ", channels,
             ", H, W], got ", x.defined() ? x.str() : "undefined");
  const int64_t n = x.size(0);
  Tensor s = reshape(global_avg_pool2d(x), Shape{n, channels});       // squeeze: s [N, C]
  Tensor h = linear(s, fc1.weight, fc1.bias, FusedActivation::relu);  // relu(W₁ s + b₁)
  Tensor e = linear(h, fc2.weight, fc2.bias, FusedActivation::sigmoid);  // σ(W₂ h + b₂)
  return mul(x, reshape(e, Shape{n, channels, 1, 1}));                // channel-wise scale
}

std::string SqueezeExcitation::str() const {
  return "SqueezeExcitation(" + std::to_string(channels) + ", hidden=" + std::to_string(hidden) + ")";
}

}  // namespace elbo::nn
