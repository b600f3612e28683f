// The process's only mutable global state, gathered in one place:
//   * the number of threads elbo's kernels (and OpenBLAS) use;
//   * whether autodiff records (see NoGradGuard in autograd.hpp);
//   * free lists that recycle tensor and node objects, so that a training step in steady state
//     makes no call to malloc (storage is recycled by the allocators, allocator.hpp).
// None of it changes results: the thread count never changes a single bit of any output.
#pragma once
#include <cstdint>

namespace elbo {

// Threads used by parallel kernels and by OpenBLAS; default: OMP_NUM_THREADS or all cores.
void set_num_threads(int n);
int num_threads();

// Objects recycled by the pools since start-up, and objects taken fresh from the heap.
struct PoolStats {
  int64_t tensor_impls_created = 0;
  int64_t storages_created = 0;
  int64_t nodes_created = 0;
};
PoolStats pool_stats();

}  // namespace elbo
