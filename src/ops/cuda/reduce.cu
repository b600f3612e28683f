// Reductions (sum and max) over any set of axes of any strided tensor, in an order fixed by the
// shapes alone: no atomics, so every run gives the same bits.
//
// The axes of x split into kept axes (out has x's extent) and reduced axes (out has extent 1,
// x more). Output element o (row-major over the kept axes) is
//     out[o] = ⊕_{r < R} x[kept(o) + reduced(r)],   R = Π reduced extents,
// where kept(o) and reduced(r) are offsets through x's strides. Sums accumulate in double for f32
// and f64 alike, as the CPU does (src/ops/cpu/reduce.cpp); max is exact in any order and NaN if
// any element is NaN.
//
// Two kernels, chosen by R alone:
//   R ≤ kSerialMax   one thread per output sums r = 0, 1, …, R − 1 in order;
//   larger R         one block of kBlockThreads threads per output: thread t sums
//                    r = t, t + kBlockThreads, … in order, and the block combines the threads'
//                    partial sums by the fixed tree of block_reduce (cuda_kernels.cuh).
// The order differs from the CPU's, so f32 sums agree with it to rounding (the double
// accumulator makes that a few units in the last place of the f32 result at most).
#include <cmath>

#include "ops/cuda/cuda_kernels.cuh"

namespace elbo::cuda {

namespace {

constexpr int64_t kSerialMax = 64;   // largest R summed by one thread
constexpr int kBlockThreads = 256;   // threads per output above that

// The kept and reduced axes, each group with extent-1 axes dropped and neighbours merged where the
// strides allow (as merge_axes), in x's axis order.
struct ReduceGeometry {
  int kept_ndim = 0;
  int64_t kept_dims[kMaxDims] = {};
  int64_t kept_x_strides[kMaxDims] = {};
  int64_t kept_out_strides[kMaxDims] = {};
  int reduced_ndim = 0;
  int64_t reduced_dims[kMaxDims] = {};
  int64_t reduced_x_strides[kMaxDims] = {};
  int64_t outputs = 1, reduced = 1;  // number of outputs, R
};

ReduceGeometry reduce_geometry(const Tensor& x, const Tensor& out) {
  ReduceGeometry g;
  for (int i = 0; i < x.ndim(); ++i) {
    const int64_t d = x.shape()[i];
    if (d == 1) continue;
    const int64_t xs = x.strides()[i], os = out.strides()[i];
    if (out.shape()[i] == 1) {  // reduced
      g.reduced *= d;
      const int last = g.reduced_ndim - 1;
      if (last >= 0 && g.reduced_x_strides[last] == xs * d) {
        g.reduced_dims[last] *= d;
        g.reduced_x_strides[last] = xs;
      } else {
        g.reduced_dims[g.reduced_ndim] = d;
        g.reduced_x_strides[g.reduced_ndim] = xs;
        ++g.reduced_ndim;
      }
    } else {  // kept
      g.outputs *= d;
      const int last = g.kept_ndim - 1;
      if (last >= 0 && g.kept_x_strides[last] == xs * d && g.kept_out_strides[last] == os * d) {
        g.kept_dims[last] *= d;
        g.kept_x_strides[last] = xs;
        g.kept_out_strides[last] = os;
      } else {
        g.kept_dims[g.kept_ndim] = d;
        g.kept_x_strides[g.kept_ndim] = xs;
        g.kept_out_strides[g.kept_ndim] = os;
        ++g.kept_ndim;
      }
    }
  }
  return g;
}

// Offsets of output o in x and in out.
__device__ inline void kept_offsets(const ReduceGeometry& g, int64_t o, int64_t& x_offset, int64_t& out_offset) {
  x_offset = 0;
  out_offset = 0;
  for (int d = g.kept_ndim - 1; d >= 0; --d) {
    const int64_t index = o % g.kept_dims[d];
    o /= g.kept_dims[d];
    x_offset += index * g.kept_x_strides[d];
    out_offset += index * g.kept_out_strides[d];
  }
}

// Offset of reduced element r in x.
__device__ inline int64_t reduced_offset(const ReduceGeometry& g, int64_t r) {
  int64_t offset = 0;
  for (int d = g.reduced_ndim - 1; d >= 0; --d) {
    offset += (r % g.reduced_dims[d]) * g.reduced_x_strides[d];
    r /= g.reduced_dims[d];
  }
  return offset;
}

template <class T, class Op>
__global__ void reduce_serial_kernel(ReduceGeometry g, double identity, Op combine, const T* x, T* out) {
  for (int64_t o = first_index(); o < g.outputs; o += grid_step()) {
    int64_t x_offset, out_offset;
    kept_offsets(g, o, x_offset, out_offset);
    double acc = identity;
    for (int64_t r = 0; r < g.reduced; ++r)
      acc = combine(acc, static_cast<double>(x[x_offset + reduced_offset(g, r)]));
    out[out_offset] = static_cast<T>(acc);
  }
}

// Launched with kBlockThreads threads per block; block b handles outputs b, b + gridDim, ….
template <class T, class Op>
__global__ void reduce_block_kernel(ReduceGeometry g, double identity, Op combine, const T* x, T* out) {
  __shared__ double partial[kBlockThreads];
  for (int64_t o = blockIdx.x; o < g.outputs; o += gridDim.x) {
    int64_t x_offset, out_offset;
    kept_offsets(g, o, x_offset, out_offset);
    double acc = identity;
    for (int64_t r = threadIdx.x; r < g.reduced; r += blockDim.x)
      acc = combine(acc, static_cast<double>(x[x_offset + reduced_offset(g, r)]));
    const double total = block_reduce(acc, partial, combine);
    if (threadIdx.x == 0) out[out_offset] = static_cast<T>(total);
  }
}

template <class T, class Op>
void reduce_typed(const Tensor& x, const Tensor& out, double identity, Op combine) {
  const ReduceGeometry g = reduce_geometry(x, out);
  const T* xp = static_cast<const T*>(x.raw_data());
  T* op = static_cast<T*>(out.raw_data());
  if (g.reduced <= kSerialMax) {
    reduce_serial_kernel<T, Op><<<blocks_for(g.outputs), kThreads, 0, stream()>>>(g, identity, combine, xp, op);
    ELBO_CUDA_LAUNCHED("reduce_serial_kernel");
  } else {
    const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(g.outputs, int64_t(1) << 20));
    reduce_block_kernel<T, Op><<<blocks, kBlockThreads, 0, stream()>>>(g, identity, combine, xp, op);
    ELBO_CUDA_LAUNCHED("reduce_block_kernel");
  }
}

}  // namespace

void reduce(ReduceOp op, const Tensor& x, const Tensor& out) {
  const char* name = op == ReduceOp::sum ? "sum" : "max";
  check_on_device(name, x);
  check_on_device(name, out);
  ELBO_CHECK(x.ndim() == out.ndim(), name, ": output rank ", out.ndim(), " differs from input rank ", x.ndim());
  for (int i = 0; i < x.ndim(); ++i)
    ELBO_CHECK(out.shape()[i] == x.shape()[i] || out.shape()[i] == 1, name, ": output ", out.shape().str(),
               " is not input ", x.shape().str(), " with reduced axes of extent 1");
  ELBO_CHECK(out.dtype() == x.dtype(), name, ": output dtype ", dtype_name(out.dtype()), " differs from input dtype ",
             dtype_name(x.dtype()));
  if (out.numel() == 0) return;
  const double identity = op == ReduceOp::sum ? 0.0 : -INFINITY;
  if (x.numel() == 0) return fill(out, identity);  // an empty sum is 0, an empty max −∞
  dispatch_floating(x.dtype(), name, [&](auto zero) {
    using T = decltype(zero);
    if (op == ReduceOp::sum) reduce_typed<T>(x, out, identity, SumOp{});
    else reduce_typed<T>(x, out, identity, MaxOp{});
  });
}

}  // namespace elbo::cuda
