// Softmax and log-softmax over the last axis of a contiguous tensor, and their backward passes,
// with the CPU's formulas (src/ops/cpu/softmax.cpp):
//   softmax       y_i = e_i / s            e_i = e^(x_i − m), m = max_j x_j, s = Σ_j e_j
//   log_softmax   y_i = (x_i − m) − ln s
//   backward      softmax       gx_i = y_i · (g_i − Σ_j g_j·y_j)
//                 log_softmax   gx_i = g_i − e^(y_i) · Σ_j g_j
// One block per row (grid-stride over rows). The sums are taken in double, thread t adding the
// elements t, t + blockDim, … in order and the block combining the threads' sums by the fixed tree
// of block_reduce; blockDim depends on the row length alone, so the bits never change.
#include <cmath>

#include "ops/cuda/cuda_kernels.cuh"

namespace elbo::cuda {

namespace {

constexpr int kMaxRowThreads = 256;

// Threads per row: a warp for short rows, kMaxRowThreads for long ones (powers of two).
int row_threads(int64_t n) { return n <= 128 ? 32 : kMaxRowThreads; }

__device__ inline float exp_of(float x) { return ::expf(x); }
__device__ inline double exp_of(double x) { return ::exp(x); }
__device__ inline float fma_of(float a, float b, float c) { return ::fmaf(a, b, c); }
__device__ inline double fma_of(double a, double b, double c) { return ::fma(a, b, c); }

template <class T>
__global__ void softmax_kernel(bool log, int64_t rows, int64_t n, const T* x, T* y) {
  __shared__ double shared[kMaxRowThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * n;
    T* yr = y + r * n;
    double m = -INFINITY;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) m = MaxOp{}(m, static_cast<double>(xr[i]));
    const T max = static_cast<T>(block_reduce(m, shared, MaxOp{}));
    double s = 0.0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
      const T e = exp_of(xr[i] - max);  // e_i, kept in y (each thread reads back only its own elements)
      yr[i] = e;
      s += static_cast<double>(e);
    }
    const double total = block_reduce(s, shared, SumOp{});
    if (log) {
      const T log_s = static_cast<T>(::log(total));
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x) yr[i] = (xr[i] - max) - log_s;
    } else {
      const T s_t = static_cast<T>(total);
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x) yr[i] = yr[i] / s_t;
    }
  }
}

template <class T>
__global__ void softmax_backward_kernel(bool log, int64_t rows, int64_t n, const T* y, const T* g, T* gx) {
  __shared__ double shared[kMaxRowThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T *yr = y + r * n, *gr = g + r * n;
    T* out = gx + r * n;
    double acc = 0.0;
    if (log) {
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x) acc += static_cast<double>(gr[i]);  // Σ_j g_j
    } else {
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
        acc = fma_of(static_cast<double>(gr[i]), static_cast<double>(yr[i]), acc);  // Σ_j g_j·y_j
    }
    const T total = static_cast<T>(block_reduce(acc, shared, SumOp{}));
    if (log) {
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x) out[i] = fma_of(-exp_of(yr[i]), total, gr[i]);
    } else {
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x) out[i] = yr[i] * (gr[i] - total);
    }
  }
}

void check_rows(const char* name, const Tensor& a, const Tensor& b) {
  check_on_device(name, a);
  check_on_device(name, b);
  ELBO_CHECK(a.ndim() >= 1, name, ": needs at least one axis, got ", a.str());
  ELBO_CHECK(a.is_contiguous() && b.is_contiguous(), name, ": kernel needs contiguous tensors, got ", a.str(), " and ",
             b.str());
  ELBO_CHECK(a.shape() == b.shape() && a.dtype() == b.dtype(), name, ": tensors differ: ", a.str(), " and ", b.str());
}

unsigned row_blocks(int64_t rows) { return static_cast<unsigned>(std::min<int64_t>(rows, int64_t(1) << 20)); }

}  // namespace

void softmax(bool log, const Tensor& x, const Tensor& y) {
  const char* name = log ? "log_softmax" : "softmax";
  check_rows(name, x, y);
  const int64_t n = x.shape()[-1], rows = n > 0 ? x.numel() / n : 0;
  if (rows == 0) return;
  dispatch_floating(x.dtype(), name, [&](auto zero) {
    using T = decltype(zero);
    softmax_kernel<T><<<row_blocks(rows), row_threads(n), 0, stream()>>>(
        log, rows, n, static_cast<const T*>(x.raw_data()), static_cast<T*>(y.raw_data()));
    ELBO_CUDA_LAUNCHED("softmax_kernel");
  });
}

void softmax_backward(bool log, const Tensor& y, const Tensor& gy, const Tensor& gx) {
  const char* name = log ? "log_softmax" : "softmax";
  check_rows(name, y, gy);
  check_rows(name, y, gx);
  const int64_t n = y.shape()[-1], rows = n > 0 ? y.numel() / n : 0;
  if (rows == 0) return;
  dispatch_floating(y.dtype(), name, [&](auto zero) {
    using T = decltype(zero);
    softmax_backward_kernel<T><<<row_blocks(rows), row_threads(n), 0, stream()>>>(
        log, rows, n, static_cast<const T*>(y.raw_data()), static_cast<const T*>(gy.raw_data()),
        static_cast<T*>(gx.raw_data()));
    ELBO_CUDA_LAUNCHED("softmax_backward_kernel");
  });
}

}  // namespace elbo::cuda
