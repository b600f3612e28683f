// Weight-normalised convolution (nn/weight_norm_conv.hpp has the formula and its source).
#include "elbo/nn/weight_norm_conv.hpp"

#include "elbo/autograd.hpp"
#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/math.hpp"
#include "elbo/ops/reduce.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo::nn {

namespace {
// ‖V[o]‖ over every axis but the first, kept as [C_out, 1, 1, 1].
Tensor row_norms(const Tensor& v) { return sqrt(sum(square(v), {1, 2, 3}, true)); }
}  // namespace

Tensor weight_normalize(const Tensor& v, const Tensor& log_norm) {
  ELBO_CHECK(v.defined() && v.ndim() == 4 && log_norm.defined() && log_norm.ndim() == 1 &&
                 log_norm.size(0) == v.size(0),
             "weight_normalize: expects V [C_out, C_in, K, K] and log-norms [C_out], got ",
             v.defined() ? v.str() : "undefined", " and ", log_norm.defined() ? log_norm.str() : "undefined");
  Tensor g = exp(reshape(log_norm, Shape{v.size(0), 1, 1, 1}));  // exp(g_o)
  return mul(g, div(v, add(row_norms(v), 1e-5)));                // exp(g)·V/(‖V‖ + 1e-5)
}

WeightNormConv2d::WeightNormConv2d(Init& init, int64_t in_channels, int64_t out_channels, int64_t kernel,
                                   const Conv2dOptions& options, bool bias)
    : in_channels(in_channels), out_channels(out_channels), kernel(kernel), options(options) {
  ELBO_CHECK(in_channels > 0 && out_channels > 0 && kernel > 0 && options.groups > 0 &&
                 in_channels % options.groups == 0 && out_channels % options.groups == 0,
             "WeightNormConv2d: channels ", in_channels, ", ", out_channels, " and kernel ", kernel,
             " must be positive and divisible by groups ", options.groups);
  ELBO_CHECK(options.output_padding == 0, "WeightNormConv2d: output_padding applies only to ConvTranspose2d");
  weight = init.empty(Shape{out_channels, in_channels / options.groups, kernel, kernel});
  if (bias) this->bias = init.empty(Shape{out_channels});
  init_weight_and_bias(init, weight, this->bias);
  init.take_stream();  // g is computed, not drawn; it takes a stream like every parameter
  {
    NoGradGuard no_grad;
    log_weight_norm = contiguous(log(add(reshape(row_norms(weight), Shape{out_channels}), 1e-2)));
  }
  register_parameter("weight", weight);
  register_parameter("log_weight_norm", log_weight_norm);
  if (bias) register_parameter("bias", this->bias);
}

Tensor WeightNormConv2d::normalized_weight() const { return weight_normalize(weight, log_weight_norm); }

Tensor WeightNormConv2d::forward(const Tensor& x) { return conv2d(x, normalized_weight(), bias, options); }

std::string WeightNormConv2d::str() const {
  std::string s = "WeightNormConv2d(" + std::to_string(in_channels) + ", " + std::to_string(out_channels) +
                  ", kernel=" + std::to_string(kernel);
  if (options.stride != 1) s += ", stride=" + std::to_string(options.stride);
  if (options.padding != 0) s += ", padding=" + std::to_string(options.padding);
  if (options.groups != 1) s += ", groups=" + std::to_string(options.groups);
  if (!bias.defined()) s += ", bias=false";
  return s + ")";
}

}  // namespace elbo::nn
