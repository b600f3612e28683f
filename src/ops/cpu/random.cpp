// Philox draws written into a tensor: element i (row-major) gets draw counter + i.
#include "elbo/rng.hpp"
#include "ops/cpu/cpu_kernels.hpp"
#include "ops/cpu/parallel.hpp"

namespace elbo::cpu {

namespace {
template <class Draw>
void fill_draws(const Tensor& dst, Draw draw) {
  ELBO_CHECK(dst.is_contiguous(), "random: the output must be contiguous, got ", dst.str());
  int64_t n = dst.numel();
  dispatch_floating(dst.dtype(), "random", [&](auto zero) {
    using T = decltype(zero);
    T* d = dst.data<T>();
    parallel_for(n, n > kParallelGrain / 8, [=](int64_t first, int64_t last, int) {
      for (int64_t i = first; i < last; ++i) d[i] = static_cast<T>(draw(static_cast<uint64_t>(i)));
    });
  });
}
}  // namespace

void fill_uniform(const Tensor& dst, uint64_t seed, uint64_t stream, uint64_t counter) {
  fill_draws(dst, [=](uint64_t i) { return philox_uniform(seed, stream, counter + i); });
}

void fill_normal(const Tensor& dst, uint64_t seed, uint64_t stream, uint64_t counter) {
  fill_draws(dst, [=](uint64_t i) { return philox_normal(seed, stream, counter + i); });
}

}  // namespace elbo::cpu
