#include "elbo/context.hpp"

#include <cblas.h>
#include <omp.h>

#include "elbo/error.hpp"

namespace elbo {

void set_num_threads(int n) {
  ELBO_CHECK(n >= 1, "set_num_threads: need at least 1 thread, got ", n);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace elbo
