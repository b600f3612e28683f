// Matrix products; the formulas are in include/elbo/ops/linalg.hpp.
#include "elbo/ops/linalg.hpp"

#include "elbo/autograd.hpp"
#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/backend.hpp"
#include "elbo/ops/reduce.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo {

namespace {

// x as a 3-D [batch, rows, cols] view (batch 1 for a matrix) that GEMM accepts: contiguous in
// the last axis, and rows at least a row length apart (BLAS needs lda ≥ cols), which a view
// expanded along its rows (row stride 0) is not.
Tensor as_batched(const Tensor& x) {
  int64_t rows = x.size(-2), cols = x.size(-1);
  bool unit_columns = x.strides()[x.ndim() - 1] == 1 || cols == 1;
  bool rows_apart = rows == 1 || x.strides()[x.ndim() - 2] >= cols;
  Tensor c = unit_columns && rows_apart ? x : contiguous(x);
  if (c.ndim() == 3) return c;
  if (c.ndim() == 2)
    return make_view(c, Shape{1, c.size(0), c.size(1)}, Shape{0, c.strides()[0], 1}, c.offset());
  c = contiguous(c);
  return make_view(c, Shape{c.numel() / (rows * cols), rows, cols}, Shape{rows * cols, cols, 1}, c.offset());
}

// Layer k of a contiguous [K, ...] tensor of stacked layers (a view), or t itself when not stacked.
Tensor layer_of(const Tensor& t, bool stacked, int64_t k) {
  if (!stacked) return t;
  Shape shape, strides;
  for (int i = 1; i < t.ndim(); ++i) {
    shape.push_back(t.size(i));
    strides.push_back(t.strides()[i]);
  }
  return make_view(t, shape, strides, t.offset() + k * t.strides()[0]);
}

// c = op(a)·op(b) with a fresh output of the given shape.
Tensor gemm_new(bool ta, bool tb, const Tensor& a, const Tensor& b, const Shape& out_shape) {
  Tensor out = empty(out_shape, a.dtype(), a.device());
  backend(a).gemm(ta, tb, 1.0, as_batched(a), as_batched(b), 0.0, as_batched(out));
  return out;
}

// n.inputs = {a, b} with broadcast batch axes already expanded to n.shape's batch axes.
void matmul_backward(Node& n, const Tensor& g) {
  const Tensor &a = n.inputs[0], &b = n.inputs[1];
  Tensor gc = contiguous(g);
  if (a.requires_grad()) {  // dA = G·Bᵀ, summed over broadcast batch axes
    Shape s = g.shape();
    s[-1] = a.size(-1);
    Shape bb = g.shape();
    bb[-2] = b.size(-2);
    bb[-1] = b.size(-1);
    accumulate_grad(n, 0, sum_to(gemm_new(false, true, gc, contiguous(broadcast_view(b, bb)), s), a.shape()));
  }
  if (b.requires_grad()) {  // dB = Aᵀ·G
    Shape s = g.shape();
    s[-2] = b.size(-2);
    Shape ab = g.shape();
    ab[-2] = a.size(-2);
    ab[-1] = a.size(-1);
    accumulate_grad(n, 1, sum_to(gemm_new(true, false, contiguous(broadcast_view(a, ab)), gc, s), b.shape()));
  }
}

// n.inputs = {x, weight, bias}; n.scalars[0] = the activation, n.saved[0] = the output y when there is one.
void linear_backward(Node& n, const Tensor& g) {
  const Tensor &x = n.inputs[0], &w = n.inputs[1], &b = n.inputs[2];
  const auto f = static_cast<FusedActivation>(static_cast<int>(n.scalars[0]));
  const bool bias_grad = b.defined() && b.requires_grad();
  const int rows = x.ndim() - 2;  // the axis of the N rows: 0, or 1 behind the layers' axis
  Tensor gc, gb;
  if (f == FusedActivation::none) {
    gc = contiguous(g);
    if (bias_grad) gb = sum(gc, {rows}, false);                                               // Σ rows
  } else {  // G' = G·f'(·) from y, and Σ rows of G' in the same pass, layer by layer
    const Tensor& y = n.saved[0];
    const Tensor gy = contiguous(g);
    gc = empty(y.shape(), y.dtype(), y.device());
    if (bias_grad) gb = empty(b.shape(), b.dtype(), b.device());
    const bool stacked = rows == 1;
    for (int64_t k = 0; k < (stacked ? y.size(0) : 1); ++k)
      backend(y).activation_backward(f, layer_of(y, stacked, k), layer_of(gy, stacked, k), layer_of(gc, stacked, k),
                                     bias_grad ? layer_of(gb, stacked, k) : Tensor());
  }
  if (x.requires_grad()) accumulate_grad(n, 0, gemm_new(false, false, gc, w, x.shape()));   // G·W
  if (w.requires_grad()) accumulate_grad(n, 1, gemm_new(true, false, gc, x, w.shape()));    // Gᵀ·x
  if (bias_grad) accumulate_grad(n, 2, gb);
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  ELBO_CHECK(a.defined() && b.defined(), "matmul: undefined operand");
  ELBO_CHECK(a.ndim() >= 2 && b.ndim() >= 2, "matmul: needs operands of rank ≥ 2, got ", a.str(), " and ", b.str());
  ELBO_CHECK(a.dtype() == b.dtype() && is_floating(a.dtype()), "matmul: needs two f32 or two f64 operands, got ",
             a.str(), " and ", b.str());
  ELBO_CHECK(a.device() == b.device(), "matmul: devices differ: ", a.str(), " and ", b.str());
  ELBO_CHECK(a.size(-1) == b.size(-2), "matmul: inner dimensions differ: ", a.shape().str(), " · ",
             b.shape().str());
  // Broadcast the batch axes.
  Shape ab = a.shape(), bb = b.shape();
  ab.ndim -= 2;
  bb.ndim -= 2;
  Shape batch = broadcast_shapes(ab, bb, "matmul");
  Shape out_shape = batch, a_full = batch, b_full = batch;
  out_shape.push_back(a.size(-2));
  out_shape.push_back(b.size(-1));
  a_full.push_back(a.size(-2));
  a_full.push_back(a.size(-1));
  b_full.push_back(b.size(-2));
  b_full.push_back(b.size(-1));
  Tensor out = empty(out_shape, a.dtype(), a.device());
  // A 2-D operand is shared across the batch with batch stride 0; others are materialised.
  Tensor ax = a.ndim() == 2 ? a : contiguous(broadcast_view(a, a_full));
  Tensor bx = b.ndim() == 2 ? b : contiguous(broadcast_view(b, b_full));
  Tensor a3 = as_batched(ax), b3 = as_batched(bx), o3 = as_batched(out);
  if (ax.ndim() == 2 && o3.size(0) > 1) a3 = make_view(a3, Shape{o3.size(0), a3.size(1), a3.size(2)}, Shape{0, a3.strides()[1], 1}, a3.offset());
  if (bx.ndim() == 2 && o3.size(0) > 1) b3 = make_view(b3, Shape{o3.size(0), b3.size(1), b3.size(2)}, Shape{0, b3.strides()[1], 1}, b3.offset());
  backend(a).gemm(false, false, 1.0, a3, b3, 0.0, o3);
  if (needs_grad(a, b)) record("matmul", matmul_backward, out, {a, b});
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, FusedActivation f) {
  ELBO_CHECK(x.defined() && weight.defined(), "linear: undefined input or weight");
  // Plain: x[N, in], weight[out, in], bias[out].  Stacked: x[K, N, in], weight[K, out, in], bias[K, out].
  const bool stacked = x.ndim() == 3;
  ELBO_CHECK((x.ndim() == 2 || stacked) && weight.ndim() == x.ndim() && x.size(-1) == weight.size(-1) &&
                 (!stacked || x.size(0) == weight.size(0)),
             "linear: input ", x.str(), " does not match weight ", weight.str(),
             " (expects [N, in] and [out, in], or [K, N, in] and [K, out, in])");
  ELBO_CHECK(x.dtype() == weight.dtype() && x.device() == weight.device(), "linear: input ", x.str(),
             " and weight ", weight.str(), " differ in dtype or device");
  ELBO_CHECK(!bias.defined() || (bias.ndim() == x.ndim() - 1 && bias.size(-1) == weight.size(-2) &&
                                 (!stacked || bias.size(0) == weight.size(0)) && bias.dtype() == x.dtype()),
             "linear: bias ", bias.str(), " does not match weight ", weight.str());
  Tensor xc = x.is_contiguous() ? x : contiguous(x);
  Tensor wc = weight.is_contiguous() ? weight : contiguous(weight);
  Shape out_shape = x.shape();
  out_shape[-1] = weight.size(-2);
  Tensor out = empty(out_shape, x.dtype(), x.device());
  backend(x).gemm(false, true, 1.0, as_batched(xc), as_batched(wc), 0.0, as_batched(out));
  if (bias.defined() || f != FusedActivation::none) {  // + b per row, then f, in one pass (layer by layer)
    Tensor bc = bias.defined() ? contiguous(bias) : Tensor();
    for (int64_t k = 0; k < (stacked ? x.size(0) : 1); ++k)
      backend(x).apply_epilogue(Epilogue{bias.defined() ? layer_of(bc, stacked, k) : Tensor(), f},
                                layer_of(out, stacked, k));
  }
  if (needs_grad(x, weight, bias)) {
    static const char* names[] = {"linear", "linear+relu", "linear+tanh", "linear+sigmoid"};
    Node& n = record(names[static_cast<int>(f)], linear_backward, out, {xc, wc, bias});
    n.scalars[0] = static_cast<double>(f);
    if (f != FusedActivation::none) n.saved[0] = out.detach();
  }
  return out;
}

}  // namespace elbo
