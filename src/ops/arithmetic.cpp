// Elementwise arithmetic with broadcasting; the formulas are in include/elbo/ops/arithmetic.hpp.
#include "elbo/ops/arithmetic.hpp"

#include "elbo/autograd.hpp"
#include "elbo/ops/backend.hpp"
#include "elbo/ops/math.hpp"
#include "elbo/ops/reduce.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo {

namespace {

void check_operands(const char* op, const Tensor& a, const Tensor& b) {
  ELBO_CHECK(a.defined() && b.defined(), op, ": undefined operand");
  ELBO_CHECK(a.dtype() == b.dtype(), op, ": dtypes differ: ", a.str(), " and ", b.str(),
             " (convert one with to_dtype)");
  ELBO_CHECK(a.device() == b.device(), op, ": devices differ: ", a.str(), " and ", b.str());
  ELBO_CHECK(is_floating(a.dtype()), op, ": needs f32 or f64 operands, got ", a.str());
}

Tensor binary_raw(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_op_name(op);
  check_operands(name, a, b);
  Shape s = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = empty(s, a.dtype(), a.device());
  backend(out).binary(op, broadcast_view(a, s), broadcast_view(b, s), out);
  return out;
}

// Backward functions: n.inputs = {a, b}; n.saved[0] = the output where needed.
void add_backward(Node& n, const Tensor& g) {
  accumulate_grad(n, 0, sum_to(g, n.inputs[0].shape()));
  accumulate_grad(n, 1, sum_to(g, n.inputs[1].shape()));
}
void sub_backward(Node& n, const Tensor& g) {
  accumulate_grad(n, 0, sum_to(g, n.inputs[0].shape()));
  if (n.inputs[1].requires_grad()) accumulate_grad(n, 1, neg(sum_to(g, n.inputs[1].shape())));
}
void mul_backward(Node& n, const Tensor& g) {
  const Tensor &a = n.inputs[0], &b = n.inputs[1];
  if (a.requires_grad()) accumulate_grad(n, 0, sum_to(mul(g, b), a.shape()));
  if (b.requires_grad()) accumulate_grad(n, 1, sum_to(mul(g, a), b.shape()));
}
void div_backward(Node& n, const Tensor& g) {
  const Tensor &a = n.inputs[0], &b = n.inputs[1];
  Tensor g_over_b = div(g, b);
  if (a.requires_grad()) accumulate_grad(n, 0, sum_to(g_over_b, a.shape()));
  if (b.requires_grad()) accumulate_grad(n, 1, neg(sum_to(div(mul(g_over_b, a), b), b.shape())));
}
void pow_backward(Node& n, const Tensor& g) {
  const Tensor &a = n.inputs[0], &b = n.inputs[1], &c = n.saved[0];
  if (a.requires_grad()) accumulate_grad(n, 0, sum_to(mul(g, mul(b, pow(a, add(b, -1.0)))), a.shape()));
  if (b.requires_grad()) accumulate_grad(n, 1, sum_to(mul(g, mul(c, log(a))), b.shape()));
}
// max/min: the selected operand gets the gradient; ties go to a.
void select_backward(Node& n, const Tensor& g) {
  const Tensor &a = n.inputs[0], &b = n.inputs[1], &c = n.saved[0];
  Tensor to_a = equal(broadcast_view(a, c.shape()), c);  // 1 where a was selected
  if (a.requires_grad()) accumulate_grad(n, 0, sum_to(mul(g, to_a), a.shape()));
  if (b.requires_grad()) accumulate_grad(n, 1, sum_to(sub(g, mul(g, to_a)), b.shape()));
}

Tensor binary_op(BinaryOp op, BackwardFn backward, bool save_output, const Tensor& a, const Tensor& b) {
  Tensor out = binary_raw(op, a, b);
  if (needs_grad(a, b)) {
    Node& n = record(binary_op_name(op), backward, out, {a, b});
    if (save_output) n.saved[0] = out.detach();
  }
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::add, add_backward, false, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::sub, sub_backward, false, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::mul, mul_backward, false, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::div, div_backward, false, a, b); }
Tensor pow(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::pow, pow_backward, true, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::maximum, select_backward, true, a, b);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::minimum, select_backward, true, a, b);
}
Tensor equal(const Tensor& a, const Tensor& b) { return binary_raw(BinaryOp::equal, a, b); }
Tensor greater(const Tensor& a, const Tensor& b) { return binary_raw(BinaryOp::greater, a, b); }

Tensor add(const Tensor& a, double b) { return unary(UnaryOp::add_scalar, a, b); }
Tensor mul(const Tensor& a, double b) { return unary(UnaryOp::scale, a, b); }
Tensor neg(const Tensor& a) { return unary(UnaryOp::neg, a); }

void add_(const Tensor& a, const Tensor& b, double alpha) {
  check_operands("add_", a, b);
  Tensor bb = broadcast_view(b, a.shape());
  if (alpha != 1.0) {
    Tensor scaled = empty(a.shape(), a.dtype(), a.device());
    backend(a).unary(UnaryOp::scale, alpha, 0.0, bb, scaled);
    bb = scaled;
  }
  backend(a).binary(BinaryOp::add, a, bb, a);
}

void mul_(const Tensor& a, double b) { backend(a).unary(UnaryOp::scale, b, 0.0, a, a); }
void fill_(const Tensor& a, double value) { backend(a).fill(a, value); }

void copy_(const Tensor& dst, const Tensor& src) {
  Tensor s = broadcast_view(src, dst.shape());
  Device d = dst.device() == Device::cuda || src.device() == Device::cuda ? Device::cuda : Device::cpu;
  backend(d).copy(s, dst);
}

}  // namespace elbo
