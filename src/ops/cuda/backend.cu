// The CUDA backend: one GPU (the current device, 0 unless CUDA_VISIBLE_DEVICES says otherwise),
// one stream, one cuBLAS handle, one caching allocator. Each method forwards to its kernel family
// in src/ops/cuda/.
//
// Resources, made once when the backend is first used and kept until the process ends:
//   stream     a non-blocking stream; every kernel, copy and cuBLAS call runs on it, in order, so
//              a buffer returned to the allocator can be reused by the next kernel at once;
//   cuBLAS     bound to the stream, scalars passed from the host (CUBLAS_POINTER_MODE_HOST), no
//              atomics (CUBLAS_ATOMICS_NOT_ALLOWED), and a fixed 32 MiB workspace, so that a
//              product gives the same bits on every run on the same GPU model and cuBLAS version;
//   allocator  a CachingAllocator (allocator.hpp) over cudaMalloc/cudaFree: blocks are cached by
//              their size rounded up to 64 bytes, so after the first training step every request
//              is served from the cache and a step makes no cudaMalloc (which would synchronise).
// Nothing here uses managed memory.
#include "ops/cuda/cuda_kernels.cuh"

namespace elbo {

namespace cuda {

void check_cuda(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) return;
  detail::fail("cuda: ", call, " failed at ", file, ":", line, ": ", cudaGetErrorName(status), " (",
               cudaGetErrorString(status), ")");
}

void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  detail::fail("cuda: ", call, " failed at ", file, ":", line, ": ", cublasGetStatusName(status), " (",
               cublasGetStatusString(status), ")");
}

namespace {

// cudaMalloc for the CachingAllocator: nullptr when the device is out of memory (the allocator
// then returns its cached blocks and tries once more), an exception for any other failure.
void* device_malloc(size_t bytes) {
  void* p = nullptr;
  cudaError_t status = cudaMalloc(&p, bytes);
  if (status == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // clear the error so that later calls do not report it
    return nullptr;
  }
  check_cuda(status, "cudaMalloc", __FILE__, __LINE__);
  return p;
}

void device_free(void* p) { ELBO_CUDA_CHECK(cudaFree(p)); }

constexpr size_t kBlasWorkspaceBytes = size_t(32) << 20;  // cuBLAS's recommendation for Hopper

struct Resources {
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  void* blas_workspace = nullptr;
};

// Made on first use; never destroyed (tensors in static objects may outlive any static object,
// and the CUDA runtime may already be shut down when static destructors run).
Resources& resources() {
  static Resources* r = [] {
    auto* res = new Resources();
    ELBO_CUDA_CHECK(cudaStreamCreateWithFlags(&res->stream, cudaStreamNonBlocking));
    ELBO_CUBLAS_CHECK(cublasCreate(&res->blas));
    ELBO_CUBLAS_CHECK(cublasSetStream(res->blas, res->stream));
    ELBO_CUBLAS_CHECK(cublasSetPointerMode(res->blas, CUBLAS_POINTER_MODE_HOST));
    ELBO_CUBLAS_CHECK(cublasSetAtomicsMode(res->blas, CUBLAS_ATOMICS_NOT_ALLOWED));
    ELBO_CUBLAS_CHECK(cublasSetMathMode(res->blas, CUBLAS_DEFAULT_MATH));  // no TF32: f32 products stay f32
    ELBO_CUDA_CHECK(cudaMalloc(&res->blas_workspace, kBlasWorkspaceBytes));
    ELBO_CUBLAS_CHECK(cublasSetWorkspace(res->blas, res->blas_workspace, kBlasWorkspaceBytes));
    return res;
  }();
  return *r;
}

}  // namespace

cudaStream_t stream() { return resources().stream; }
cublasHandle_t blas_handle() { return resources().blas; }

Allocator& device_allocator() {
  static CachingAllocator* allocator = new CachingAllocator(Device::cuda, device_malloc, device_free);
  return *allocator;
}

}  // namespace cuda

// Whether a CUDA device is visible: asked once. With no driver, an old driver or no GPU the
// answer is false and the error is cleared.
bool cuda_device_present() {
  static const bool present = [] {
    int count = 0;
    cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
      (void)cudaGetLastError();
      return false;
    }
    return count > 0;
  }();
  return present;
}

namespace {

class CudaBackend final : public Backend {
 public:
  CudaBackend() {
    if (!cuda_device_present()) {
      int count = 0;
      cudaError_t status = cudaGetDeviceCount(&count);
      (void)cudaGetLastError();
      detail::fail("backend(cuda): no CUDA device is visible (cudaGetDeviceCount: ", cudaGetErrorString(status),
                   "); check the driver, nvidia-smi and CUDA_VISIBLE_DEVICES, or use Device::cpu");
    }
    cuda::stream();  // make the stream and the cuBLAS handle now, so that a failure shows here
  }
  Device device() const override { return Device::cuda; }
  Allocator& allocator() override { return cuda::device_allocator(); }
  void copy(const Tensor& src, const Tensor& dst) override { cuda::copy(src, dst); }
  void fill(const Tensor& dst, double value) override { cuda::fill(dst, value); }
  void unary(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y) override {
    cuda::unary(op, a, b, x, y);
  }
  void unary_backward(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y, const Tensor& gy,
                      const Tensor& gx) override {
    cuda::unary_backward(op, a, b, x, y, gy, gx);
  }
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override {
    cuda::binary(op, a, b, out);
  }
  void reduce(ReduceOp op, const Tensor& x, const Tensor& out) override { cuda::reduce(op, x, out); }
  void gemm(bool ta, bool tb, double alpha, const Tensor& a, const Tensor& b, double beta,
            const Tensor& c) override {
    cuda::gemm(ta, tb, alpha, a, b, beta, c);
  }
  void conv2d_forward(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& y) override {
    cuda::conv2d_forward(g, x, w, y);
  }
  void conv2d_backward_input(const ConvGeometry& g, const Tensor& gy, const Tensor& w, const Tensor& gx) override {
    cuda::conv2d_backward_input(g, gy, w, gx);
  }
  void conv2d_backward_weight(const ConvGeometry& g, const Tensor& x, const Tensor& gy, const Tensor& gw) override {
    cuda::conv2d_backward_weight(g, x, gy, gw);
  }
  void softmax(bool log, const Tensor& x, const Tensor& y) override { cuda::softmax(log, x, y); }
  void softmax_backward(bool log, const Tensor& y, const Tensor& gy, const Tensor& gx) override {
    cuda::softmax_backward(log, y, gy, gx);
  }
  void fill_uniform(const Tensor& dst, uint64_t seed, uint64_t stream, uint64_t counter) override {
    cuda::fill_uniform(dst, seed, stream, counter);
  }
  void fill_normal(const Tensor& dst, uint64_t seed, uint64_t stream, uint64_t counter) override {
    cuda::fill_normal(dst, seed, stream, counter);
  }
  void optimizer_update(const OptimizerStep& s, const Tensor& param, const Tensor& grad, const Tensor& m,
                        const Tensor& v) override {
    cuda::optimizer_update(s, param, grad, m, v);
  }
};

}  // namespace

Backend& cuda_backend() {
  static auto* backend = new CudaBackend();
  return *backend;
}

}  // namespace elbo
