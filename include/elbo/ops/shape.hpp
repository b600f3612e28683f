// Operations that move data without arithmetic, differentiable. Views (reshape of a
// contiguous tensor, permute, slice, expand) share storage; the others copy. Their backward
// passes route the gradient back to where each element came from:
//   reshape: reshape back          permute: inverse permutation     expand: sum_to
//   slice: zero-padded into the input's shape                     concat: slices of the gradient
//   pad: the interior slice         upsample_nearest: sum over each s×s block
//   avg_pool2d (kernel k, stride k): g/k² spread over each block
#pragma once
#include <initializer_list>
#include <vector>

#include "elbo/tensor.hpp"

namespace elbo {

// One extent may be −1 (inferred). A view when x is contiguous, a copy otherwise.
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor flatten(const Tensor& x, int start_axis = 1);  // [N, C, H, W] → [N, C·H·W]
Tensor permute(const Tensor& x, std::initializer_list<int> order);
Tensor permute(const Tensor& x, const std::vector<int>& order);
Tensor transpose(const Tensor& x, int axis0, int axis1);
// Broadcasts x to `shape` (numpy rules) as a zero-stride view.
Tensor expand(const Tensor& x, const Shape& shape);
Tensor contiguous(const Tensor& x);
// The zero-stride view of x broadcast to `shape`, without history (for kernels and backward passes).
Tensor broadcast_view(const Tensor& x, const Shape& shape);
Tensor to_dtype(const Tensor& x, DType dtype);
Tensor to_device(const Tensor& x, Device device);

// x[..., start:stop:step, ...] along one axis (a view). stop may be negative (from the end).
Tensor slice(const Tensor& x, int axis, int64_t start, int64_t stop, int64_t step = 1);
Tensor concat(const std::vector<Tensor>& xs, int axis);
// Splits into pieces of the given sizes along `axis` (views).
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int axis);
// Splits into `parts` equal pieces (the extent must divide).
std::vector<Tensor> chunk(const Tensor& x, int parts, int axis);

// Pads the last two axes of [N, C, H, W] (top, bottom, left, right) with a constant.
Tensor pad2d(const Tensor& x, int64_t top, int64_t bottom, int64_t left, int64_t right, double value = 0.0);
// out[n, c, h·s + i, w·s + j] = x[n, c, h, w] for 0 ≤ i, j < s.
Tensor upsample_nearest2d(const Tensor& x, int64_t scale);
// Mean over non-overlapping k×k windows (stride k); H and W must be multiples of k.
Tensor avg_pool2d(const Tensor& x, int64_t kernel);
// Mean over H and W: [N, C, H, W] → [N, C, 1, 1].
Tensor global_avg_pool2d(const Tensor& x);

}  // namespace elbo
