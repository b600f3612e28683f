// The test runner. Parallel kernels may fall back to one thread on a busy machine
// (set_adaptive_threads); the tests that compare 1 and 2 threads need the 2 threads they ask
// for, so the fallback is off here (tests/ops/test_parallel.cpp checks its rule).
//
// ctest runs each test case by its name (doctest_discover_tests). A run that matches no test case
// at all fails: otherwise a name that ctest cannot pass through whole (a ';' splits it into two
// entries) would run nothing and pass.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "elbo/context.hpp"

namespace {

// Counts the test cases that start.
struct CountTestCases : doctest::IReporter {
  static inline int started = 0;
  explicit CountTestCases(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override { ++started; }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

DOCTEST_REGISTER_LISTENER("count_test_cases", 1, CountTestCases);

int main(int argc, char** argv) {
  elbo::set_adaptive_threads(false);
  doctest::Context context(argc, argv);
  const int status = context.run();
  if (context.shouldExit()) return status;  // --help, --list-test-cases and the like
  if (status == 0 && CountTestCases::started == 0) {
    std::fprintf(stderr, "elbo_tests: no test case matches the filters given; check the name (ctest splits names at ';')\n");
    return 1;
  }
  return status;
}
