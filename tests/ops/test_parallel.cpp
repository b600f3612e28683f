// parallel_for (src/ops/cpu/parallel.hpp): ranges that cover every item once, per-thread
// indices, the calling thread alone when a loop is not worth sharing; and the governor's rule for
// running alone on a busy machine, driven with made-up times.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <vector>

#include "elbo/context.hpp"
#include "ops/cpu/parallel.hpp"

using namespace elbo;
using elbo::cpu::TeamGovernor;
using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST_CASE("ops: parallel_for covers every item once in contiguous ranges, at 1 and 2 threads") {
  const int before = num_threads();
  for (int threads = 1; threads <= 2; ++threads) {
    set_num_threads(threads);
    for (int64_t items : {1, 2, 3, 17, 1000}) {
      for (bool share : {false, true}) {
        CAPTURE(threads);
        CAPTURE(items);
        CAPTURE(share);
        std::vector<std::atomic<int>> visits(static_cast<size_t>(items));
        std::atomic<int> calls{0}, bad_thread{0}, bad_range{0};
        cpu::parallel_for(items, share, [&](int64_t first, int64_t last, int thread) {
          ++calls;
          if (thread < 0 || thread >= num_threads()) ++bad_thread;
          if (first >= last || first < 0 || last > items) ++bad_range;
          for (int64_t i = first; i < last; ++i) ++visits[static_cast<size_t>(i)];
        });
        for (const auto& v : visits) CHECK(v.load() == 1);
        CHECK(bad_thread.load() == 0);
        CHECK(bad_range.load() == 0);
        // Shared loops of 2 or more items start both threads (the fallback is off in the tests).
        CHECK(calls.load() == (share && threads == 2 && items >= 2 ? 2 : 1));
      }
    }
  }
  set_num_threads(before);
  cpu::parallel_for(0, true, [](int64_t, int64_t, int) { FAIL("called for an empty loop"); });
}

TEST_CASE("ops: the team governor runs loops alone after late helpers, for a back-off that doubles") {
  using Clock = TeamGovernor::Clock;
  const Clock::time_point t0{};  // any origin: the governor only compares the times it is given
  TeamGovernor g;
  CHECK_FALSE(g.busy(t0));

  // Not late: helpers that start within 0.5 ms, or after less than half of a long loop.
  Clock::time_point now = t0;
  for (int i = 0; i < 40; ++i) {
    now += milliseconds(1);
    g.note(microseconds(400), microseconds(600), now);  // under kLateStart
    g.note(milliseconds(5), milliseconds(20), now);      // the helper still did most of its share
  }
  CHECK_FALSE(g.busy(now));

  // Three late loops in a window of 16 are not enough.
  for (int i = 0; i < 16; ++i) g.note(i < 3 ? milliseconds(6) : microseconds(5), milliseconds(8), now);
  CHECK_FALSE(g.busy(now));

  // Four are: alone for 1 s.
  for (int i = 0; i < 4; ++i) g.note(milliseconds(6), milliseconds(8), now);
  CHECK(g.busy(now));
  CHECK(g.busy(now + milliseconds(999)));
  CHECK_FALSE(g.busy(now + milliseconds(1001)));

  // Busy again when sharing resumes: alone for 2 s, then 4 s.
  now += milliseconds(1001);
  for (int i = 0; i < 4; ++i) g.note(milliseconds(6), milliseconds(8), now);
  CHECK(g.busy(now + milliseconds(1999)));
  CHECK_FALSE(g.busy(now + milliseconds(2001)));
  now += milliseconds(2001);
  for (int i = 0; i < 4; ++i) g.note(milliseconds(6), milliseconds(8), now);
  CHECK(g.busy(now + milliseconds(3999)));
  CHECK_FALSE(g.busy(now + milliseconds(4001)));

  // A clean window resets the back-off to 1 s.
  now += milliseconds(4001);
  for (int i = 0; i < 16; ++i) g.note(microseconds(5), milliseconds(8), now);
  CHECK_FALSE(g.busy(now));
  for (int i = 0; i < 4; ++i) g.note(milliseconds(6), milliseconds(8), now);
  CHECK(g.busy(now + milliseconds(999)));
  CHECK_FALSE(g.busy(now + milliseconds(1001)));
}

TEST_CASE("ops: set_adaptive_threads(false) makes shared loops start every thread") {
  const int before = num_threads();
  const bool adaptive = adaptive_threads();
  set_num_threads(2);
  set_adaptive_threads(false);
  CHECK(cpu::team_threads() == 2);
  set_adaptive_threads(true);
  CHECK(adaptive_threads());
  set_adaptive_threads(adaptive);
  set_num_threads(before);
}
