// Elementwise functions: one mechanism (a UnaryOp kernel and its derivative kernel) for all.
#include "elbo/ops/math.hpp"

#include "elbo/autograd.hpp"

namespace elbo {

namespace {
// n.inputs[0] = x, n.saved[0] = y (detached), n.ints[0] = op, n.scalars = parameters.
void unary_backward_fn(Node& n, const Tensor& g) {
  Tensor gx = empty(g.shape(), g.dtype(), g.device());
  backend(g).unary_backward(static_cast<UnaryOp>(n.ints[0]), n.scalars[0], n.scalars[1], n.inputs[0], n.saved[0],
                            g, gx);
  accumulate_grad(n, 0, gx);
}
}  // namespace

Tensor unary(UnaryOp op, const Tensor& x, double a, double b) {
  const char* name = unary_op_name(op);
  ELBO_CHECK(x.defined(), name, ": undefined input");
  ELBO_CHECK(is_floating(x.dtype()), name, ": needs an f32 or f64 input, got ", x.str());
  Tensor y = empty(x.shape(), x.dtype(), x.device());
  backend(x).unary(op, a, b, x, y);
  if (needs_grad(x)) {
    Node& n = record(name, unary_backward_fn, y, {x});
    n.saved[0] = y.detach();
    n.ints[0] = static_cast<int64_t>(op);
    n.scalars[0] = a;
    n.scalars[1] = b;
  }
  return y;
}

Tensor exp(const Tensor& x) { return unary(UnaryOp::exp, x); }
Tensor log(const Tensor& x) { return unary(UnaryOp::log, x); }
Tensor log1p(const Tensor& x) { return unary(UnaryOp::log1p, x); }
Tensor sqrt(const Tensor& x) { return unary(UnaryOp::sqrt, x); }
Tensor abs(const Tensor& x) { return unary(UnaryOp::abs, x); }
Tensor square(const Tensor& x) { return unary(UnaryOp::square, x); }
Tensor pow(const Tensor& x, double p) { return unary(UnaryOp::pow_scalar, x, p); }
Tensor clamp(const Tensor& x, double lo, double hi) {
  ELBO_CHECK(lo <= hi, "clamp: lower bound ", lo, " exceeds upper bound ", hi);
  return unary(UnaryOp::clamp, x, lo, hi);
}
Tensor soft_clamp(const Tensor& x, double bound) {
  ELBO_CHECK(bound > 0, "soft_clamp: bound must be positive, got ", bound);
  return unary(UnaryOp::soft_clamp, x, bound);
}
Tensor relu(const Tensor& x) { return unary(UnaryOp::relu, x); }
Tensor leaky_relu(const Tensor& x, double slope) { return unary(UnaryOp::leaky_relu, x, slope); }
Tensor elu(const Tensor& x, double alpha) { return unary(UnaryOp::elu, x, alpha); }
Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::sigmoid, x); }
Tensor tanh(const Tensor& x) { return unary(UnaryOp::tanh, x); }
Tensor softplus(const Tensor& x) { return unary(UnaryOp::softplus, x); }
Tensor silu(const Tensor& x) { return unary(UnaryOp::silu, x); }

}  // namespace elbo
