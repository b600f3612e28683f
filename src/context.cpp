#include "elbo/context.hpp"

#include <cblas.h>
#include <omp.h>

#include <atomic>

#include "elbo/error.hpp"

namespace elbo {

void set_num_threads(int n) {
  ELBO_CHECK(n >= 1, "set_num_threads: need at least 1 thread, got ", n);
  // elbo's kernels use n OpenMP threads; OpenBLAS stays single-threaded, called on each of them
  // within elbo's own fixed partition of every product (src/ops/cpu/gemm.cpp).
  // (OpenBLAS's OpenMP build may pass its own count on to OpenMP: set it first.)
  openblas_set_num_threads(1);
  omp_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

namespace {
std::atomic<bool> adaptive{true};
}

void set_adaptive_threads(bool enabled) { adaptive.store(enabled, std::memory_order_relaxed); }

bool adaptive_threads() { return adaptive.load(std::memory_order_relaxed); }

}  // namespace elbo
