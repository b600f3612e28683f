// Reductions over axes; the formulas are in include/elbo/ops/reduce.hpp.
#include "elbo/ops/reduce.hpp"

#include "elbo/autograd.hpp"
#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/backend.hpp"
#include "elbo/ops/math.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo {

namespace {

// Reduced axes are carried as a bit mask (bit i = axis i): no allocation in the hot path.
uint32_t axis_mask(const Tensor& x, const int* axes, size_t count, const char* op) {
  if (count == 0) return (1u << x.ndim()) - 1u;  // every axis
  uint32_t mask = 0;
  for (size_t i = 0; i < count; ++i) mask |= 1u << normalize_axis(axes[i], x.ndim(), op);
  return mask;
}

// The shape with extent 1 on each reduced axis, or without those axes.
Shape reduced_shape(const Tensor& x, uint32_t mask, bool keepdim) {
  Shape s;
  for (int i = 0; i < x.ndim(); ++i) {
    if (!(mask >> i & 1u)) s.push_back(x.shape()[i]);
    else if (keepdim) s.push_back(1);
  }
  return s;
}

// n.inputs[0] = x; n.shape = the keepdim shape.
void sum_backward(Node& n, const Tensor& g) {
  Tensor gk = reshape(g, n.shape);
  accumulate_grad(n, 0, contiguous(broadcast_view(gk, n.inputs[0].shape())));
}

// n.saved[0] = the max in keepdim shape. The gradient is shared among tied maxima.
void max_backward(Node& n, const Tensor& g) {
  const Tensor& x = n.inputs[0];
  Tensor mask = equal(x, broadcast_view(n.saved[0], x.shape()));
  Tensor count = empty(n.shape, x.dtype(), x.device());
  backend(x).reduce(ReduceOp::sum, mask, count);
  Tensor share = div(reshape(g, n.shape), count);
  accumulate_grad(n, 0, mul(mask, broadcast_view(share, x.shape())));
}

Tensor reduce_op(ReduceOp op, const Tensor& x, uint32_t mask, bool keepdim) {
  const char* name = op == ReduceOp::sum ? "sum" : "max";
  ELBO_CHECK(is_floating(x.dtype()), name, ": needs an f32 or f64 input, got ", x.str());
  ELBO_CHECK(op == ReduceOp::sum || x.numel() > 0, name, ": reducing an empty tensor ", x.str());
  Shape ks = reduced_shape(x, mask, true);
  Tensor kept = empty(ks, x.dtype(), x.device());
  backend(x).reduce(op, x, kept);
  Tensor out = kept;
  if (!keepdim) {
    Shape s = reduced_shape(x, mask, false);
    out = make_view(kept, s, contiguous_strides(s), 0);
  }
  if (needs_grad(x)) {
    Node& n = record(name, op == ReduceOp::sum ? sum_backward : max_backward, out, {x});
    n.shape = ks;
    if (op == ReduceOp::max) n.saved[0] = kept.detach();
  }
  return out;
}

Tensor mean_op(const Tensor& x, uint32_t mask, bool keepdim) {
  Tensor s = reduce_op(ReduceOp::sum, x, mask, keepdim);
  int64_t kept = s.numel() > 0 ? s.numel() : 1;
  return mul(s, static_cast<double>(kept) / static_cast<double>(x.numel() > 0 ? x.numel() : 1));
}

Tensor logsumexp_op(const Tensor& x, uint32_t mask, bool keepdim) {
  // m is a constant shift (its gradient cancels exactly), so it is taken without history.
  Tensor m = reduce_op(ReduceOp::max, x.detach(), mask, true);
  Tensor y = add(log(reduce_op(ReduceOp::sum, exp(sub(x, m)), mask, true)), m);
  return keepdim ? y : reshape(y, reduced_shape(x, mask, false));
}

void check_input(const Tensor& x, const char* op) { ELBO_CHECK(x.defined(), op, ": undefined input"); }

}  // namespace

#define ELBO_REDUCTION(NAME, IMPL)                                                       \
  Tensor NAME(const Tensor& x, std::initializer_list<int> axes, bool keepdim) {          \
    check_input(x, #NAME);                                                               \
    return IMPL(x, axis_mask(x, axes.begin(), axes.size(), #NAME), keepdim);             \
  }                                                                                      \
  Tensor NAME(const Tensor& x, const std::vector<int>& axes, bool keepdim) {             \
    check_input(x, #NAME);                                                               \
    return IMPL(x, axis_mask(x, axes.data(), axes.size(), #NAME), keepdim);              \
  }

static Tensor sum_impl(const Tensor& x, uint32_t m, bool k) { return reduce_op(ReduceOp::sum, x, m, k); }
static Tensor max_impl(const Tensor& x, uint32_t m, bool k) { return reduce_op(ReduceOp::max, x, m, k); }
ELBO_REDUCTION(sum, sum_impl)
ELBO_REDUCTION(max, max_impl)
ELBO_REDUCTION(mean, mean_op)
ELBO_REDUCTION(logsumexp, logsumexp_op)
#undef ELBO_REDUCTION

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  int lead = x.ndim() - shape.ndim;
  ELBO_CHECK(lead >= 0, "sum_to: cannot sum ", x.shape().str(), " to the larger rank of ", shape.str());
  uint32_t mask = 0;
  for (int i = 0; i < x.ndim(); ++i) {
    if (i < lead) {
      mask |= 1u << i;
    } else if (shape[i - lead] != x.shape()[i]) {
      ELBO_CHECK(shape[i - lead] == 1, "sum_to: ", x.shape().str(), " does not broadcast from ", shape.str());
      mask |= 1u << i;
    }
  }
  if (mask == 0) return reshape(x, shape);
  return reshape(reduce_op(ReduceOp::sum, x, mask, true), shape);
}

}  // namespace elbo
