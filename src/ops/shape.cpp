// Data movement: views, copies, concatenation, padding, upsampling and pooling.
// The backward rules are listed in include/elbo/ops/shape.hpp.
#include "elbo/ops/shape.hpp"

#include <algorithm>

#include "elbo/autograd.hpp"
#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/backend.hpp"
#include "elbo/ops/reduce.hpp"

namespace elbo {

namespace {

Shape resolve_shape(const Tensor& x, const Shape& shape) {
  Shape s = shape;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < s.ndim; ++i) {
    if (s.dims[i] == -1) {
      ELBO_CHECK(infer < 0, "reshape: more than one -1 in ", shape.str());
      infer = i;
    } else {
      known *= s.dims[i];
    }
  }
  if (infer >= 0) {
    ELBO_CHECK(known > 0 && x.numel() % known == 0, "reshape: cannot infer -1 in ", shape.str(), " for ",
               x.shape().str());
    s.dims[infer] = x.numel() / known;
  }
  ELBO_CHECK(s.numel() == x.numel(), "reshape: ", x.shape().str(), " (", x.numel(), " elements) cannot become ",
             shape.str());
  return s;
}

// ---- backward functions ----
void reshape_backward(Node& n, const Tensor& g) { accumulate_grad(n, 0, reshape(g, n.inputs[0].shape())); }
void permute_backward(Node& n, const Tensor& g) {
  std::vector<int> inverse(static_cast<size_t>(g.ndim()));
  for (int i = 0; i < g.ndim(); ++i) inverse[static_cast<size_t>(n.ints[i])] = i;
  accumulate_grad(n, 0, permute(g, inverse));
}
void expand_backward(Node& n, const Tensor& g) { accumulate_grad(n, 0, sum_to(g, n.inputs[0].shape())); }
void copy_backward(Node& n, const Tensor& g) {  // contiguous(), clone(), to_dtype, to_device
  const Tensor& x = n.inputs[0];
  Tensor gx = empty(x.shape(), x.dtype(), x.device());
  copy_(gx, g);
  accumulate_grad(n, 0, gx);
}
// ints: axis, start, step
// The slice's window of a tensor shaped like its input.
Tensor slice_window(const Node& n, const Tensor& full) {
  const int axis = static_cast<int>(n.ints[0]);
  return slice(full, axis, n.ints[1], n.ints[1] + n.ints[2] * n.out_shape[axis], n.ints[2]);
}
void slice_backward(Node& n, const Tensor& g) { accumulate_grad_window(n, 0, g, slice_window); }
// ints: axis; inputs: up to kMaxNodeInputs pieces (longer lists are chained)
void concat_backward(Node& n, const Tensor& g) {
  int axis = static_cast<int>(n.ints[0]);
  int64_t start = 0;
  for (int i = 0; i < n.num_inputs; ++i) {
    int64_t len = n.inputs[i].size(axis);
    if (n.inputs[i].requires_grad()) accumulate_grad(n, i, contiguous(slice(g, axis, start, start + len)));
    start += len;
  }
}
// ints: top, left
void pad_backward(Node& n, const Tensor& g) {
  const Tensor& x = n.inputs[0];
  Tensor inner = slice(slice(g, 2, n.ints[0], n.ints[0] + x.size(2)), 3, n.ints[1], n.ints[1] + x.size(3));
  accumulate_grad(n, 0, contiguous(inner));
}
// ints: scale
void upsample_backward(Node& n, const Tensor& g) {
  const Tensor& x = n.inputs[0];
  int64_t s = n.ints[0];
  Tensor blocks = reshape(contiguous(g), Shape{x.size(0), x.size(1), x.size(2), s, x.size(3), s});
  accumulate_grad(n, 0, reshape(sum(blocks, {3, 5}, false), x.shape()));
}

Tensor view_with_history(const Tensor& x, const Shape& shape, const Shape& strides, int64_t offset, const char* name,
                         BackwardFn backward) {
  Tensor out = make_view(x, shape, strides, offset);
  if (needs_grad(x)) record(name, backward, out, {x});
  return out;
}

Tensor copy_with_history(const Tensor& x, DType dtype, Device device, const char* name) {
  Tensor out = empty(x.shape(), dtype, device);
  copy_(out, x);
  if (needs_grad(x)) record(name, copy_backward, out, {x});
  return out;
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  Shape s = resolve_shape(x, shape);
  if (s == x.shape()) return x;
  Tensor base = x.is_contiguous() ? x : contiguous(x);
  return view_with_history(base, s, contiguous_strides(s), base.offset(), "reshape", reshape_backward);
}

Tensor flatten(const Tensor& x, int start_axis) {
  int a = normalize_axis(start_axis, x.ndim(), "flatten");
  Shape s;
  for (int i = 0; i < a; ++i) s.push_back(x.size(i));
  int64_t rest = 1;
  for (int i = a; i < x.ndim(); ++i) rest *= x.size(i);
  s.push_back(rest);
  return reshape(x, s);
}

Tensor permute(const Tensor& x, const std::vector<int>& order) {
  ELBO_CHECK(static_cast<int>(order.size()) == x.ndim(), "permute: order has ", order.size(),
             " axes for a tensor of rank ", x.ndim());
  Shape s, st;
  bool seen[kMaxDims] = {};
  for (int i = 0; i < x.ndim(); ++i) {
    int a = normalize_axis(order[static_cast<size_t>(i)], x.ndim(), "permute");
    ELBO_CHECK(!seen[a], "permute: axis ", a, " appears twice");
    seen[a] = true;
    s.push_back(x.size(a));
    st.push_back(0);
    st.dims[i] = x.strides()[a];
  }
  Tensor out = make_view(x, s, st, x.offset());
  if (needs_grad(x)) {
    Node& n = record("permute", permute_backward, out, {x});
    for (int i = 0; i < x.ndim(); ++i) n.ints[i] = normalize_axis(order[static_cast<size_t>(i)], x.ndim(), "permute");
  }
  return out;
}
Tensor permute(const Tensor& x, std::initializer_list<int> order) { return permute(x, std::vector<int>(order)); }

Tensor transpose(const Tensor& x, int axis0, int axis1) {
  std::vector<int> order(static_cast<size_t>(x.ndim()));
  for (int i = 0; i < x.ndim(); ++i) order[static_cast<size_t>(i)] = i;
  std::swap(order[static_cast<size_t>(normalize_axis(axis0, x.ndim(), "transpose"))],
            order[static_cast<size_t>(normalize_axis(axis1, x.ndim(), "transpose"))]);
  return permute(x, order);
}

Tensor broadcast_view(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  ELBO_CHECK(shape.ndim >= x.ndim(), "expand: cannot broadcast ", x.shape().str(), " to the smaller rank of ",
             shape.str());
  int lead = shape.ndim - x.ndim();
  Shape st = Shape::of_rank(shape.ndim, 0);
  for (int i = 0; i < x.ndim(); ++i) {
    int64_t d = x.size(i);
    ELBO_CHECK(d == shape[i + lead] || d == 1, "expand: cannot broadcast ", x.shape().str(), " to ", shape.str());
    st.dims[i + lead] = d == 1 && shape[i + lead] != 1 ? 0 : x.strides()[i];
  }
  return make_view(x, shape, st, x.offset());
}

Tensor expand(const Tensor& x, const Shape& shape) {
  Tensor v = broadcast_view(x, shape);
  if (v.impl() == x.impl()) return x;
  if (needs_grad(x)) record("expand", expand_backward, v, {x});
  return v;
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  return copy_with_history(x, x.dtype(), x.device(), "contiguous");
}
Tensor to_dtype(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  return copy_with_history(x, dtype, x.device(), "to_dtype");
}
Tensor to_device(const Tensor& x, Device device) {
  if (x.device() == device) return x;
  return copy_with_history(x, x.dtype(), device, "to_device");
}
Tensor Tensor::contiguous() const { return elbo::contiguous(*this); }
Tensor Tensor::to(Device device) const { return to_device(*this, device); }
Tensor Tensor::to(DType dtype) const { return to_dtype(*this, dtype); }
Tensor Tensor::clone() const { return copy_with_history(*this, dtype(), device(), "clone"); }

Tensor slice(const Tensor& x, int axis, int64_t start, int64_t stop, int64_t step) {
  int a = normalize_axis(axis, x.ndim(), "slice");
  int64_t n = x.size(a);
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (stop > n) stop = n;
  ELBO_CHECK(step >= 1, "slice: step must be ≥ 1, got ", step);
  ELBO_CHECK(start >= 0 && start <= stop, "slice: range [", start, ", ", stop, ") is invalid for axis ", a,
             " of ", x.shape().str());
  Shape s = x.shape(), st = x.strides();
  s.dims[a] = (stop - start + step - 1) / step;
  st.dims[a] *= step;
  Tensor out = make_view(x, s, st, x.offset() + start * x.strides()[a]);
  if (needs_grad(x)) {
    Node& nd = record("slice", slice_backward, out, {x});
    nd.ints[0] = a;
    nd.ints[1] = start;
    nd.ints[2] = step;
  }
  return out;
}

Tensor concat(const std::vector<Tensor>& xs, int axis) {
  ELBO_CHECK(!xs.empty(), "concat: no tensors");
  // Longer lists are concatenated as a tree, since one node holds at most kMaxNodeInputs inputs:
  // kMaxNodeInputs consecutive runs concatenated first, so each element is copied log(n) times.
  if (xs.size() > static_cast<size_t>(kMaxNodeInputs)) {
    const size_t n = xs.size(), run = (n + kMaxNodeInputs - 1) / kMaxNodeInputs;
    std::vector<Tensor> runs;
    for (size_t i = 0; i < n; i += run)
      runs.push_back(concat(std::vector<Tensor>(xs.begin() + static_cast<std::ptrdiff_t>(i),
                                                xs.begin() + static_cast<std::ptrdiff_t>(std::min(n, i + run))),
                            axis));
    return concat(runs, axis);
  }
  const Tensor& first = xs[0];
  int a = normalize_axis(axis, first.ndim(), "concat");
  Shape s = first.shape();
  s.dims[a] = 0;
  for (const Tensor& t : xs) {
    bool ok = t.ndim() == first.ndim() && t.dtype() == first.dtype() && t.device() == first.device();
    for (int i = 0; ok && i < t.ndim(); ++i) ok = i == a || t.size(i) == first.size(i);
    ELBO_CHECK(ok, "concat: ", t.str(), " does not match ", first.str(), " outside axis ", a);
    s.dims[a] += t.size(a);
  }
  Tensor out = empty(s, first.dtype(), first.device());
  int64_t start = 0;
  for (const Tensor& t : xs) {
    Shape ws = out.shape();
    ws.dims[a] = t.size(a);
    backend(out).copy(t, make_view(out, ws, out.strides(), start * out.strides()[a]));
    start += t.size(a);
  }
  bool grad = false;
  for (const Tensor& t : xs) grad = grad || needs_grad(t);
  if (grad) {
    Node& n = record("concat", concat_backward, out, {});
    for (const Tensor& t : xs) n.inputs[n.num_inputs++] = t;
    n.ints[0] = a;
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int axis) {
  int a = normalize_axis(axis, x.ndim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  ELBO_CHECK(total == x.size(a), "split: sizes add up to ", total, " but axis ", a, " of ", x.shape().str(),
             " has ", x.size(a));
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(slice(x, a, start, start + s));
    start += s;
  }
  return out;
}

std::vector<Tensor> chunk(const Tensor& x, int parts, int axis) {
  int a = normalize_axis(axis, x.ndim(), "chunk");
  ELBO_CHECK(parts >= 1 && x.size(a) % parts == 0, "chunk: axis ", a, " of ", x.shape().str(),
             " does not divide into ", parts, " parts");
  return split(x, std::vector<int64_t>(static_cast<size_t>(parts), x.size(a) / parts), a);
}

Tensor pad2d(const Tensor& x, int64_t top, int64_t bottom, int64_t left, int64_t right, double value) {
  ELBO_CHECK(x.ndim() == 4, "pad2d: needs [N, C, H, W], got ", x.str());
  ELBO_CHECK(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, "pad2d: negative padding");
  Shape s{x.size(0), x.size(1), x.size(2) + top + bottom, x.size(3) + left + right};
  Tensor out = full(s, value, x.dtype(), x.device());
  Tensor inner = make_view(out, x.shape(), out.strides(), top * out.strides()[2] + left);
  backend(out).copy(x, inner);
  if (needs_grad(x)) {
    Node& n = record("pad2d", pad_backward, out, {x});
    n.ints[0] = top;
    n.ints[1] = left;
  }
  return out;
}

Tensor upsample_nearest2d(const Tensor& x, int64_t scale) {
  ELBO_CHECK(x.ndim() == 4, "upsample_nearest2d: needs [N, C, H, W], got ", x.str());
  ELBO_CHECK(scale >= 1, "upsample_nearest2d: scale must be ≥ 1, got ", scale);
  int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  // Read x as [N, C, H, 1, W, 1] broadcast to [N, C, H, s, W, s]: one strided copy.
  Shape s6{N, C, H, scale, W, scale};
  Shape st6{x.strides()[0], x.strides()[1], x.strides()[2], 0, x.strides()[3], 0};
  Tensor out = empty(Shape{N, C, H * scale, W * scale}, x.dtype(), x.device());
  backend(x).copy(make_view(x, s6, st6, x.offset()), make_view(out, s6, contiguous_strides(s6), 0));
  if (needs_grad(x)) record("upsample_nearest2d", upsample_backward, out, {x})
      .ints[0] = scale;
  return out;
}

Tensor avg_pool2d(const Tensor& x, int64_t kernel) {
  ELBO_CHECK(x.ndim() == 4, "avg_pool2d: needs [N, C, H, W], got ", x.str());
  ELBO_CHECK(kernel >= 1 && x.size(2) % kernel == 0 && x.size(3) % kernel == 0, "avg_pool2d: kernel ", kernel,
             " does not tile ", x.shape().str());
  int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  Tensor blocks = reshape(x, Shape{N, C, H / kernel, kernel, W / kernel, kernel});
  return mean(blocks, {3, 5}, false);
}

Tensor global_avg_pool2d(const Tensor& x) {
  ELBO_CHECK(x.ndim() == 4, "global_avg_pool2d: needs [N, C, H, W], got ", x.str());
  return mean(x, {2, 3}, true);
}

}  // namespace elbo
