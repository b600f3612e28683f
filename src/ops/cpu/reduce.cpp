// Reductions (sum and max) over any set of axes, parallel, in an order fixed by the shapes alone.
//
// Dropping extent-1 axes and merging neighbouring axes of the same kind, a contiguous x is seen as
// [K0, R1, K1, R2]: kept, reduced, kept, reduced groups of axes, any of them possibly 1. The
// output is [K0, K1]. This covers the reductions a network makes:
//     a loss, everything to a scalar      [1, 1, 1, n]
//     per row, over the last axis         [rows, 1, 1, L]
//     linear bias gradient [N,D] → [1,D]  [1, N, D, 1]
//     conv bias gradient [N,C,H,W] → [1,C,1,1]    [1, N, C, H·W]
// Any other pattern, or a strided x, is first copied into a contiguous [kept…, reduced…] layout.
//
// Two building blocks, each parallel over disjoint outputs:
//   reduce_rows     out[i] = ⊕_j x[i, j]        over rows of contiguous elements
//   reduce_columns  out[k, m] = ⊕_r x[k, r, m]  down the columns of a [K, R, M] block
// When both R1 and R2 exceed 1, rows run first (R2 ≥ kRowsFirst) or columns first (over the
// K1·R2 columns, then rows over R2).
//
// Sums accumulate in double, in this order:
//   rows     a row is cut into segments of kSegment elements; a segment is summed by
//            vm::sum_lanes (element j into partial sum j mod 32, partials combined by a fixed
//            pairwise tree); segment totals are added left to right;
//   columns  the rows r are taken in blocks of kColumnBlock; within a block each column is
//            summed from top to bottom, and block totals are added from top to bottom.
// The segment, block and tree boundaries are constants, so the result is the same bits at any
// thread count. Max is exact in any order (NaN if any element is NaN).
#include <algorithm>
#include <cmath>

#include "ops/cpu/cpu_kernels.hpp"
#include "ops/cpu/parallel.hpp"
#include "ops/cpu/vecmath.hpp"

namespace elbo::cpu {

namespace {

constexpr int64_t kSegment = 1 << 13;   // elements of a row summed as one work item
constexpr int64_t kColumnBlock = 128;   // rows of a column block
constexpr int64_t kColumnChunk = 256;   // columns of one work item (its accumulators stay in L1)
constexpr int64_t kRowsFirst = 16;      // R2 from which rows are reduced before columns

struct Sum {
  static constexpr double identity = 0.0;
  static double combine(double a, double b) { return a + b; }
  template <class In> static double row(const In* x, int64_t n) { return vm::sum_lanes(x, n); }
};

struct Max {
  static constexpr double identity = -INFINITY;
  static double combine(double a, double b) { return vm::max_propagating(a, b); }
  template <class In> static double row(const In* x, int64_t n) { return static_cast<double>(vm::max_lanes(x, n)); }
};

// out[i] = ⊕_{j < L} x[i·L + j] for i < rows.
template <class Op, class In>
void reduce_rows(const In* x, int64_t rows, int64_t L, double* out) {
  const int64_t segments = std::max<int64_t>(1, (L + kSegment - 1) / kSegment);
  const bool parallel = rows * L > kParallelGrain;
  if (segments == 1) {
    parallel_for(rows, parallel, [&](int64_t first, int64_t last, int) {
      for (int64_t i = first; i < last; ++i) out[i] = Op::row(x + i * L, L);
    });
    return;
  }
  Tensor scratch = empty(Shape{rows * segments}, DType::f64);
  double* partial = scratch.data<double>();
  parallel_for(rows * segments, parallel, [&](int64_t first, int64_t last, int) {
    for (int64_t item = first; item < last; ++item) {
      const int64_t i = item / segments, begin = item % segments * kSegment;
      partial[item] = Op::row(x + i * L + begin, std::min(kSegment, L - begin));
    }
  });
  for (int64_t i = 0; i < rows; ++i) {
    double acc = partial[i * segments];
    for (int64_t s = 1; s < segments; ++s) acc = Op::combine(acc, partial[i * segments + s]);
    out[i] = acc;
  }
}

// out[k·M + m] = ⊕_{r < R} x[(k·R + r)·M + m] for k < K, m < M.
template <class Op, class In>
void reduce_columns(const In* x, int64_t K, int64_t R, int64_t M, double* out) {
  const int64_t blocks = (R + kColumnBlock - 1) / kColumnBlock;
  const int64_t chunks = (M + kColumnChunk - 1) / kColumnChunk;
  // One block: the block totals are the result. Several: partial[(k·blocks + b)·M + m].
  Tensor scratch;
  double* partial = out;
  if (blocks > 1) {
    scratch = empty(Shape{K * blocks * M}, DType::f64);
    partial = scratch.data<double>();
  }
  parallel_for(K * blocks * chunks, K * R * M > kParallelGrain, [&](int64_t first, int64_t last, int) {
    for (int64_t item = first; item < last; ++item) {
      const int64_t kb = item / chunks, k = kb / blocks, b = kb % blocks;
      const int64_t m0 = item % chunks * kColumnChunk, width = std::min(kColumnChunk, M - m0);
      const int64_t r_end = std::min(R, (b + 1) * kColumnBlock);
      double acc[kColumnChunk];
      for (int64_t m = 0; m < width; ++m) acc[m] = Op::identity;
      for (int64_t r = b * kColumnBlock; r < r_end; ++r) {
        const In* row = x + (k * R + r) * M + m0;
        for (int64_t m = 0; m < width; ++m) acc[m] = Op::combine(acc[m], static_cast<double>(row[m]));
      }
      std::copy(acc, acc + width, partial + kb * M + m0);
    }
  });
  if (blocks == 1) return;
  parallel_for(K * M, K * M * blocks > kParallelGrain, [&](int64_t first, int64_t last, int) {
    for (int64_t km = first; km < last; ++km) {
      const double* p = partial + km / M * blocks * M + km % M;
      double acc = p[0];
      for (int64_t b = 1; b < blocks; ++b) acc = Op::combine(acc, p[b * M]);
      out[km] = acc;
    }
  });
}

// The sizes of the axis groups [K0, R1, K1, R2] (see the top of the file).
struct Groups {
  int64_t size[4] = {1, 1, 1, 1};
  bool fits = true;  // false when x has more than four alternating groups
};

Groups group_axes(const Tensor& x, const Tensor& out) {
  Groups g;
  int current = 0;  // even: kept, odd: reduced
  for (int i = 0; i < x.ndim(); ++i) {
    if (x.shape()[i] == 1) continue;
    int kind = out.shape()[i] == 1 ? 1 : 0;
    if (current % 2 != kind) ++current;
    if (current > 3) {
      g.fits = false;
      return g;
    }
    g.size[current] *= x.shape()[i];
  }
  if (current == 1) std::swap(g.size[1], g.size[3]);  // [K0, R1] is [K0, 1, 1, R2]: rows
  return g;
}

// out[k0, k1] = ⊕ x[k0, ·, k1, ·] for contiguous x of groups g.
template <class Op, class In>
void reduce_groups(const In* x, const Groups& g, double* out) {
  const int64_t k0 = g.size[0], r1 = g.size[1], k1 = g.size[2], r2 = g.size[3];
  if (r1 == 1) return reduce_rows<Op>(x, k0 * k1, r2, out);
  if (r2 == 1) return reduce_columns<Op>(x, k0, r1, k1, out);
  if (r2 >= kRowsFirst) {
    Tensor rows = empty(Shape{k0 * r1 * k1}, DType::f64);
    reduce_rows<Op>(x, k0 * r1 * k1, r2, rows.data<double>());
    return reduce_columns<Op>(rows.data<double>(), k0, r1, k1, out);
  }
  Tensor columns = empty(Shape{k0 * k1 * r2}, DType::f64);
  reduce_columns<Op>(x, k0, r1, k1 * r2, columns.data<double>());
  reduce_rows<Op>(columns.data<double>(), k0 * k1, r2, out);
}

template <class T, class Op>
void reduce_typed(const Tensor& x, const Tensor& out) {
  if (x.numel() == 0) return fill(out, Op::identity);
  Groups g = group_axes(x, out);
  Tensor input = x;
  if (!g.fits || !x.is_contiguous()) {
    // Copy into a contiguous [kept…, reduced…] layout: one row of reduced elements per output.
    Shape shape, strides;
    for (int pass = 0; pass < 2; ++pass)
      for (int i = 0; i < x.ndim(); ++i)
        if ((out.shape()[i] == 1 && x.shape()[i] != 1) == (pass == 1)) {
          shape.push_back(x.shape()[i]);
          strides.push_back(x.strides()[i]);
        }
    input = empty(shape, x.dtype());
    copy(make_view(x, shape, strides, x.offset()), input);
    g = Groups{};
    g.size[0] = out.numel();
    g.size[3] = x.numel() / out.numel();
  }
  Tensor result = empty(Shape{out.numel()}, DType::f64);
  const double* r = result.data<double>();
  reduce_groups<Op>(input.data<T>(), g, result.data<double>());
  // The output's elements in row-major order are the kept indices (k0, k1) in order.
  if (out.is_contiguous()) {
    T* o = out.data<T>();
    for (int64_t i = 0; i < out.numel(); ++i) o[i] = static_cast<T>(r[i]);
    return;
  }
  const Shape* strides[1] = {&out.strides()};
  const int64_t step = out.strides()[out.ndim() - 1];
  T* o = out.data<T>();
  for_each_row<1>(out.shape(), strides, [&](const int64_t* off, int64_t count) {
    for (int64_t i = 0; i < count; ++i) o[off[0] + i * step] = static_cast<T>(*r++);
  });
}

}  // namespace

bool channel_sums_by_rows(int64_t channels, int64_t inner) { return channels > 1 && inner >= kRowsFirst; }

template <class T>
double sum_row(const T* x, int64_t n) {
  // reduce_rows's order: segments of kSegment elements, their sums added left to right.
  double acc = Sum::row(x, std::min(kSegment, n));
  for (int64_t begin = kSegment; begin < n; begin += kSegment)
    acc = Sum::combine(acc, Sum::row(x + begin, std::min(kSegment, n - begin)));
  return acc;
}
template double sum_row(const float* x, int64_t n);
template double sum_row(const double* x, int64_t n);

void reduce(ReduceOp op, const Tensor& x, const Tensor& out) {
  const char* name = op == ReduceOp::sum ? "sum" : "max";
  ELBO_CHECK(x.ndim() == out.ndim(), name, ": output rank ", out.ndim(), " differs from input rank ", x.ndim());
  for (int i = 0; i < x.ndim(); ++i)
    ELBO_CHECK(out.shape()[i] == x.shape()[i] || out.shape()[i] == 1, name, ": output ", out.shape().str(),
               " is not input ", x.shape().str(), " with reduced axes of extent 1");
  ELBO_CHECK(out.dtype() == x.dtype(), name, ": output dtype ", dtype_name(out.dtype()), " differs from input dtype ",
             dtype_name(x.dtype()));
  dispatch_floating(x.dtype(), name, [&](auto zero) {
    using T = decltype(zero);
    if (op == ReduceOp::sum) reduce_typed<T, Sum>(x, out);
    else reduce_typed<T, Max>(x, out);
  });
}

}  // namespace elbo::cpu
