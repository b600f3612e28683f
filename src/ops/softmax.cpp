// Softmax and log-softmax over any axis; the formulas are in include/elbo/ops/softmax.hpp.
// The backend kernels work on the last axis of a contiguous tensor. Another axis is moved last
// (a permuted view and a contiguous copy), and the result is moved back the same way; the
// backward pass does the same with the gradient.
#include "elbo/ops/softmax.hpp"

#include "elbo/autograd.hpp"
#include "elbo/ops/backend.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo {

namespace {

// A contiguous copy of t with axis `axis` moved to the end (t itself when it is already so).
Tensor move_axis_last(const Tensor& t, int axis) {
  const int last = t.ndim() - 1;
  if (axis == last) return contiguous(t);
  Shape shape, strides;
  for (int i = 0; i <= last; ++i) {
    int from = i < axis ? i : (i < last ? i + 1 : axis);
    shape.push_back(t.shape()[from]);
    strides.push_back(t.strides()[from]);
  }
  return contiguous(make_view(t, shape, strides, t.offset()));
}

// The inverse: t has the moved layout; returns it contiguous in the original axis order.
Tensor move_last_axis_back(const Tensor& t, int axis) {
  const int last = t.ndim() - 1;
  if (axis == last) return t;
  Shape shape, strides;
  for (int i = 0; i <= last; ++i) {
    int from = i < axis ? i : (i == axis ? last : i - 1);
    shape.push_back(t.shape()[from]);
    strides.push_back(t.strides()[from]);
  }
  return contiguous(make_view(t, shape, strides, t.offset()));
}

// n.inputs[0] = x; n.saved[0] = y with the axis last; n.ints = {axis, log}.
void softmax_backward_fn(Node& n, const Tensor& g) {
  const int axis = static_cast<int>(n.ints[0]);
  const bool log = n.ints[1] != 0;
  const Tensor& y_last = n.saved[0];
  Tensor g_last = move_axis_last(g, axis);
  Tensor gx_last = empty(g_last.shape(), g_last.dtype(), g_last.device());
  backend(g).softmax_backward(log, y_last, g_last, gx_last);
  accumulate_grad(n, 0, move_last_axis_back(gx_last, axis));
}

Tensor softmax_op(const Tensor& x, int axis, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  ELBO_CHECK(x.defined(), name, ": undefined input");
  ELBO_CHECK(is_floating(x.dtype()), name, ": needs an f32 or f64 input, got ", x.str());
  const int a = normalize_axis(axis, x.ndim(), name);
  // The views and copies below are internal: x.detach() keeps them out of the graph.
  Tensor x_last = move_axis_last(x.detach(), a);
  Tensor y_last = empty(x_last.shape(), x.dtype(), x.device());
  backend(x).softmax(log, x_last, y_last);
  Tensor y = move_last_axis_back(y_last, a);
  if (needs_grad(x)) {
    Node& n = record(name, softmax_backward_fn, y, {x});
    n.saved[0] = y_last.detach();
    n.ints[0] = a;
    n.ints[1] = log ? 1 : 0;
  }
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int axis) { return softmax_op(x, axis, false); }
Tensor log_softmax(const Tensor& x, int axis) { return softmax_op(x, axis, true); }

}  // namespace elbo
