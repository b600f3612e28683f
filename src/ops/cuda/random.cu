// Philox draws written into a tensor: element i (row-major) gets draw counter + i of the stream
// (seed, stream), computed by the same host/device functions as on the CPU (elbo/rng.hpp).
//
// Uniform draws are integer arithmetic and one exact scaling, so they are bit-identical to the
// CPU's. Normal draws apply Box–Muller in double with CUDA's log, sqrt and cos; log and cos may
// differ from the host's C library by an ulp or two of a double, which the rounding to f32 hides
// in all but rare cases (docs/CUDA.md).
#include "elbo/rng.hpp"
#include "ops/cuda/cuda_kernels.cuh"

namespace elbo::cuda {

namespace {

template <class T>
__global__ void uniform_kernel(int64_t n, uint64_t seed, uint64_t stream, uint64_t counter, T* dst) {
  for (int64_t i = first_index(); i < n; i += grid_step())
    dst[i] = static_cast<T>(philox_uniform(seed, stream, counter + static_cast<uint64_t>(i)));
}

template <class T>
__global__ void normal_kernel(int64_t n, uint64_t seed, uint64_t stream, uint64_t counter, T* dst) {
  for (int64_t i = first_index(); i < n; i += grid_step())
    dst[i] = static_cast<T>(philox_normal(seed, stream, counter + static_cast<uint64_t>(i)));
}

void check_target(const Tensor& dst) {
  check_on_device("random", dst);
  ELBO_CHECK(dst.is_contiguous(), "random: the output must be contiguous, got ", dst.str());
}

}  // namespace

void fill_uniform(const Tensor& dst, uint64_t seed, uint64_t stream_id, uint64_t counter) {
  check_target(dst);
  const int64_t n = dst.numel();
  if (n == 0) return;
  dispatch_floating(dst.dtype(), "random", [&](auto zero) {
    using T = decltype(zero);
    uniform_kernel<T><<<blocks_for(n), kThreads, 0, stream()>>>(n, seed, stream_id, counter,
                                                                static_cast<T*>(dst.raw_data()));
    ELBO_CUDA_LAUNCHED("uniform_kernel");
  });
}

void fill_normal(const Tensor& dst, uint64_t seed, uint64_t stream_id, uint64_t counter) {
  check_target(dst);
  const int64_t n = dst.numel();
  if (n == 0) return;
  dispatch_floating(dst.dtype(), "random", [&](auto zero) {
    using T = decltype(zero);
    normal_kernel<T><<<blocks_for(n), kThreads, 0, stream()>>>(n, seed, stream_id, counter,
                                                               static_cast<T*>(dst.raw_data()));
    ELBO_CUDA_LAUNCHED("normal_kernel");
  });
}

}  // namespace elbo::cuda
