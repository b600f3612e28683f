// Parameter initialisers; the formulas are in include/elbo/nn/init.hpp.
#include "elbo/nn/init.hpp"

#include <cmath>

#include "elbo/ops/backend.hpp"

namespace elbo::nn {

namespace {
void check_target(const Tensor& t, const char* op) {
  ELBO_CHECK(t.defined(), op, ": undefined tensor");
  ELBO_CHECK(is_floating(t.dtype()) && t.is_contiguous(), op, ": needs a contiguous f32 or f64 tensor, got ",
             t.str());
}

// PyTorch's calculate_gain('leaky_relu', a) = √(2 / (1 + a²)).
double leaky_relu_gain(double negative_slope) { return std::sqrt(2.0 / (1.0 + negative_slope * negative_slope)); }
}  // namespace

Fans fans_of(const Shape& w) {
  ELBO_CHECK(w.ndim >= 2, "fans_of: a weight needs at least 2 dimensions, got ", w.str());
  int64_t receptive = 1;
  for (int i = 2; i < w.ndim; ++i) receptive *= w[i];
  return {w[1] * receptive, w[0] * receptive};
}

void uniform_(const Tensor& t, double lo, double hi, uint64_t seed, uint64_t stream) {
  check_target(t, "uniform_");
  ELBO_CHECK(lo <= hi, "uniform_: lower bound ", lo, " exceeds upper bound ", hi);
  // t = lo + (hi − lo)·u,  u ~ U(0, 1)
  Backend& b = backend(t);
  b.fill_uniform(t, seed, stream, 0);
  b.unary(UnaryOp::scale, hi - lo, 0.0, t, t);
  b.unary(UnaryOp::add_scalar, lo, 0.0, t, t);
}

void normal_(const Tensor& t, double mean, double stddev, uint64_t seed, uint64_t stream) {
  check_target(t, "normal_");
  ELBO_CHECK(stddev >= 0, "normal_: standard deviation must be ≥ 0, got ", stddev);
  // t = mean + stddev·z,  z ~ N(0, 1)
  Backend& b = backend(t);
  b.fill_normal(t, seed, stream, 0);
  b.unary(UnaryOp::scale, stddev, 0.0, t, t);
  b.unary(UnaryOp::add_scalar, mean, 0.0, t, t);
}

void zeros_(const Tensor& t) {
  check_target(t, "zeros_");
  backend(t).fill(t, 0.0);
}

void glorot_uniform_(const Tensor& w, uint64_t seed, uint64_t stream) {
  Fans f = fans_of(w.shape());
  double limit = std::sqrt(6.0 / static_cast<double>(f.in + f.out));
  uniform_(w, -limit, limit, seed, stream);
}

void kaiming_uniform_(const Tensor& w, uint64_t seed, uint64_t stream, double negative_slope) {
  Fans f = fans_of(w.shape());
  double limit = leaky_relu_gain(negative_slope) * std::sqrt(3.0 / static_cast<double>(f.in));
  uniform_(w, -limit, limit, seed, stream);
}

void kaiming_normal_(const Tensor& w, uint64_t seed, uint64_t stream, double negative_slope) {
  Fans f = fans_of(w.shape());
  double stddev = leaky_relu_gain(negative_slope) / std::sqrt(static_cast<double>(f.in));
  normal_(w, 0.0, stddev, seed, stream);
}

void init_weight_and_bias(Init& init, const Tensor& weight, const Tensor& bias) {
  uint64_t weight_stream = init.take_stream(), bias_stream = init.take_stream();
  if (init.scheme == WeightInit::pytorch_default) {
    // kaiming_uniform(a = √5): l = √(2/(1+5))·√(3/fan_in) = 1/√fan_in, for the weight and the bias
    double limit = 1.0 / std::sqrt(static_cast<double>(fans_of(weight.shape()).in));
    uniform_(weight, -limit, limit, init.seed, weight_stream);
    if (bias.defined()) uniform_(bias, -limit, limit, init.seed, bias_stream);
    return;
  }
  switch (init.scheme) {
    case WeightInit::glorot_uniform: glorot_uniform_(weight, init.seed, weight_stream); break;
    case WeightInit::kaiming_uniform: kaiming_uniform_(weight, init.seed, weight_stream); break;
    case WeightInit::kaiming_normal: kaiming_normal_(weight, init.seed, weight_stream); break;
    case WeightInit::pytorch_default: break;
  }
  if (bias.defined()) zeros_(bias);
}

}  // namespace elbo::nn
