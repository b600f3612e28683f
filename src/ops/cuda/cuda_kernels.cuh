// The CUDA backend's kernels, one family per file under src/ops/cuda/, and what they share:
// error checks, the backend's stream and cuBLAS handle, dtype dispatch, strided index
// arithmetic, scratch memory and a fixed-order block reduction. Internal to the library: ops
// reach these kernels through elbo::backend(Device::cuda) (include/elbo/ops/backend.hpp), whose
// comments give each kernel's contract; the CPU kernels in src/ops/cpu/ have the same semantics.
//
// Every kernel is launched on the backend's one stream (stream()); nothing here synchronises
// except the copies that hand data to the host. Every loop over elements is a grid-stride loop
// with a bounds check, so any launch size is correct; launch sizes only change the speed.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "elbo/ops/backend.hpp"

namespace elbo::cuda {

// ---- errors ---------------------------------------------------------------------------------
// Throw elbo::Error naming the call, the file and line, and CUDA's own description of the error.
void check_cuda(cudaError_t status, const char* call, const char* file, int line);
void check_cublas(cublasStatus_t status, const char* call, const char* file, int line);

}  // namespace elbo::cuda

#define ELBO_CUDA_CHECK(call) ::elbo::cuda::check_cuda((call), #call, __FILE__, __LINE__)
#define ELBO_CUBLAS_CHECK(call) ::elbo::cuda::check_cublas((call), #call, __FILE__, __LINE__)
// After a <<<...>>> launch: reports a bad launch configuration at once (a fault inside the
// kernel surfaces at the next synchronising call, which is checked too).
#define ELBO_CUDA_LAUNCHED(kernel_name) \
  ::elbo::cuda::check_cuda(cudaGetLastError(), "launch of " kernel_name, __FILE__, __LINE__)

namespace elbo::cuda {

// ---- the backend's resources (backend.cu) ------------------------------------------------------
cudaStream_t stream();        // the one stream every kernel, copy and cuBLAS call runs on
cublasHandle_t blas_handle();  // bound to stream(), host pointer mode, no atomics, fixed workspace
Allocator& device_allocator();  // the caching allocator of device memory

// ---- the kernel families (the contracts are in ops/backend.hpp) ---------------------------------
void copy(const Tensor& src, const Tensor& dst);                               // copy.cu
void fill(const Tensor& dst, double value);                                    // copy.cu
void unary(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y);  // elementwise.cu
void unary_backward(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y, const Tensor& gy,
                    const Tensor& gx);                                         // elementwise.cu
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);  // elementwise.cu
void reduce(ReduceOp op, const Tensor& x, const Tensor& out);                  // reduce.cu
void gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
          const Tensor& c);                                                    // gemm.cu
void conv2d_forward(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& y);  // conv.cu
void conv2d_backward_input(const ConvGeometry& g, const Tensor& gy, const Tensor& w, const Tensor& gx);
void conv2d_backward_weight(const ConvGeometry& g, const Tensor& x, const Tensor& gy, const Tensor& gw);
void softmax(bool log, const Tensor& x, const Tensor& y);                      // softmax.cu
void softmax_backward(bool log, const Tensor& y, const Tensor& gy, const Tensor& gx);
void fill_uniform(const Tensor& dst, uint64_t seed, uint64_t stream_id, uint64_t counter);  // random.cu
void fill_normal(const Tensor& dst, uint64_t seed, uint64_t stream_id, uint64_t counter);
void optimizer_update(const OptimizerStep& s, const Tensor& param, const Tensor& grad, const Tensor& m,
                      const Tensor& v);                                        // optimizer.cu

// Row-major product on raw device pointers, batched with fixed strides (gemm.cu):
//     C[i] = alpha · op(A[i]) · op(B[i]) + beta · C[i],   i < batch,
// C[i] is M×N with row stride ldc at C + i·stride_c; op(A[i]) is M×K, op(B[i]) is K×N.
template <class T>
void gemm_strided(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                  int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta, T* C, int64_t ldc,
                  int64_t stride_c, int64_t batch);

// ---- operand checks -----------------------------------------------------------------------------
// Every tensor a CUDA kernel touches must live on the GPU.
inline void check_on_device(const char* op, const Tensor& t) {
  ELBO_CHECK(t.defined(), op, ": undefined operand");
  ELBO_CHECK(t.device() == Device::cuda, op, ": operand ", t.str(), " is not on the cuda device (move it with .to(Device::cuda))");
}

// ---- dtype dispatch -----------------------------------------------------------------------------
// Calls f(T{}) with T the C++ type of a floating dtype, or throws naming `op`.
template <class F>
void dispatch_floating(DType t, const char* op, F&& f) {
  if (t == DType::f32) f(float{});
  else if (t == DType::f64) f(double{});
  else detail::fail(op, ": needs f32 or f64, got ", dtype_name(t));
}

// Calls f(T{}) with T the C++ type of any dtype.
template <class F>
void dispatch_any(DType t, F&& f) {
  switch (t) {
    case DType::f32: f(float{}); break;
    case DType::f64: f(double{}); break;
    case DType::i32: f(int32_t{}); break;
    case DType::i64: f(int64_t{}); break;
    case DType::u8: f(uint8_t{}); break;
  }
}

// ---- launch sizes ---------------------------------------------------------------------------------
constexpr int kThreads = 256;  // threads per block of the elementwise kernels

// Blocks for n elements at one element per thread, capped (grid-stride loops cover the rest).
inline unsigned blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, int64_t(1) << 20));
}

// The index of this thread in a grid-stride loop, and the loop's step.
__device__ inline int64_t first_index() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ inline int64_t grid_step() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// ---- strided index arithmetic ------------------------------------------------------------------------
// The iteration space of an elementwise kernel over K tensors of one shape (tensor 0 is the
// output): extent-1 axes dropped, and neighbouring axes merged wherever every tensor steps through
// them as through one axis (stride[i] = stride[i+1]·dims[i+1]). A contiguous tensor becomes one
// axis. Element i (row-major over the shape) of tensor k is at offset(i)[k] elements from its start.
template <int K>
struct Strided {
  int ndim = 0;
  int64_t dims[kMaxDims] = {};
  int64_t strides[K][kMaxDims] = {};
};

// shape and strides[k] describe tensor k; all K share the shape.
template <int K>
Strided<K> merge_axes(const Shape& shape, const Shape* const (&strides)[K]) {
  Strided<K> s;
  for (int i = 0; i < shape.ndim; ++i) {
    const int64_t d = shape.dims[i];
    if (d == 1) continue;
    const int last = s.ndim - 1;
    bool merge = last >= 0;
    for (int k = 0; k < K && merge; ++k) merge = s.strides[k][last] == strides[k]->dims[i] * d;
    if (merge) {
      s.dims[last] *= d;
      for (int k = 0; k < K; ++k) s.strides[k][last] = strides[k]->dims[i];
    } else {
      s.dims[s.ndim] = d;
      for (int k = 0; k < K; ++k) s.strides[k][s.ndim] = strides[k]->dims[i];
      ++s.ndim;
    }
  }
  if (s.ndim == 0) {  // one element (or a shape of extent-1 axes)
    s.ndim = 1;
    s.dims[0] = 1;
    for (int k = 0; k < K; ++k) s.strides[k][0] = 0;
  }
  return s;
}

template <int K>
Strided<K> merge_axes(const Tensor* const (&tensors)[K]) {
  const Shape* strides[K];
  for (int k = 0; k < K; ++k) strides[k] = &tensors[k]->strides();
  return merge_axes<K>(tensors[0]->shape(), strides);
}

// The offsets of element i (row-major) in each of the K tensors.
template <int K>
__device__ inline void offsets_of(const Strided<K>& s, int64_t i, int64_t (&offset)[K]) {
  if (s.ndim == 1) {
    for (int k = 0; k < K; ++k) offset[k] = i * s.strides[k][0];
    return;
  }
  for (int k = 0; k < K; ++k) offset[k] = 0;
  for (int d = s.ndim - 1; d >= 0; --d) {
    const int64_t index = i % s.dims[d];
    i /= s.dims[d];
    for (int k = 0; k < K; ++k) offset[k] += index * s.strides[k][d];
  }
}

// ---- scratch memory ---------------------------------------------------------------------------------
// A device buffer from the caching allocator, returned on scope exit. Returning it while kernels
// that use it are still queued is safe: every later user of the block runs on the same stream.
template <class T>
class DeviceScratch {
 public:
  explicit DeviceScratch(int64_t count)
      : bytes_(sizeof(T) * static_cast<size_t>(std::max<int64_t>(count, 1))),
        data_(static_cast<T*>(device_allocator().allocate(bytes_))) {}
  ~DeviceScratch() { device_allocator().deallocate(data_, bytes_); }
  DeviceScratch(const DeviceScratch&) = delete;
  DeviceScratch& operator=(const DeviceScratch&) = delete;
  T* get() const { return data_; }

 private:
  size_t bytes_;
  T* data_;
};

// ---- fixed-order reductions within a block --------------------------------------------------------
// Every thread of the block passes its value v; every thread gets back combine over all of them,
// combined by the tree s[t] = combine(s[t], s[t + w]) for w = blockDim/2, …, 2, 1. The order
// depends on blockDim alone (a power of two), so the bits never change from run to run.
// `shared` holds blockDim doubles. All threads of the block must call it.
template <class Combine>
__device__ double block_reduce(double v, double* shared, Combine combine) {
  const unsigned t = threadIdx.x;
  shared[t] = v;
  __syncthreads();
  for (unsigned w = blockDim.x / 2; w >= 1; w /= 2) {
    if (t < w) shared[t] = combine(shared[t], shared[t + w]);
    __syncthreads();
  }
  const double total = shared[0];
  __syncthreads();  // every thread has read shared[0] before the next call overwrites it
  return total;
}

struct SumOp {
  __device__ double operator()(double a, double b) const { return a + b; }
};
// max(a, v), NaN if either is NaN (the CPU's vm::max_propagating).
struct MaxOp {
  __device__ double operator()(double a, double v) const { return (v > a || v != v) ? v : a; }
};

}  // namespace elbo::cuda
