// The process's only mutable global state, gathered in one place:
//   * the number of threads elbo's kernels (and OpenBLAS) use, and whether a kernel falls back
//     to the calling thread while other processes keep the cores busy (the verdicts that decide
//     it live with the CPU kernels' parallel loop, src/ops/cpu/parallel.hpp);
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

// Whether parallel kernels may run on the calling thread alone while their helper threads keep
// starting late, a sign that other processes hold the cores (default: true). Results are the
// same either way; false makes every shared loop start num_threads() threads, as tests that
// compare thread counts need.
void set_adaptive_threads(bool enabled);
bool adaptive_threads();

// Objects recycled by the pools since start-up, and objects taken fresh from the heap.
struct PoolStats {
  int64_t tensor_impls_created = 0;
  int64_t storages_created = 0;
  int64_t nodes_created = 0;
};
PoolStats pool_stats();

}  // namespace elbo
