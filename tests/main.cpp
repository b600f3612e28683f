// The test runner. Parallel kernels may fall back to one thread on a busy machine
// (set_adaptive_threads); the tests that compare 1 and 2 threads need the 2 threads they ask
// for, so the fallback is off here (tests/ops/test_parallel.cpp checks its rule).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "elbo/context.hpp"

int main(int argc, char** argv) {
  elbo::set_adaptive_threads(false);
  return doctest::Context(argc, argv).run();
}
