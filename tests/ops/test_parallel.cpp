// parallel_for (src/ops/cpu/parallel.hpp): ranges that cover every item once, per-thread
// indices, the calling thread alone when a loop is not worth sharing; and the governor's rule for
// running alone when sharing gains too little (a busy machine), driven with made-up times.
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

TEST_CASE("ops: the team governor runs loops alone when sharing gains too little, for a back-off that doubles") {
  using Clock = TeamGovernor::Clock;
  const Clock::time_point t0{};  // any origin: the governor only compares the times it is given
  TeamGovernor g;
  CHECK_FALSE(g.busy(t0));
  // note(took, cpu, now): a loop that took `took` while its threads used `cpu` of CPU time.
  auto loops = [&](int count, Clock::duration took, double gain, Clock::time_point now) {
    for (int i = 0; i < count; ++i)
      g.note(took, std::chrono::duration_cast<Clock::duration>(took * gain), now);
  };

  // Loops that gain (1.9 on 2 threads, an idle machine) never make it busy.
  loops(192, milliseconds(5), 1.9, t0);  // 12 windows of 16 loops, 80 ms each
  CHECK_FALSE(g.busy(t0));

  // No verdict before a window holds 16 loops and 50 ms: 15 loops of 10 ms, then 40 of 1 ms.
  loops(15, milliseconds(10), 1.0, t0);
  CHECK_FALSE(g.busy(t0));
  loops(1, milliseconds(10), 1.9, t0);  // 16 loops, 160 ms, gain (15 + 1.9) / 16 ≈ 1.06
  CHECK(g.busy(t0));
  CHECK(g.busy(t0 + milliseconds(999)));
  CHECK_FALSE(g.busy(t0 + milliseconds(1001)));
  Clock::time_point now = t0 + milliseconds(1001);
  loops(16, microseconds(500), 1.0, now);  // 8 ms: not yet a window
  CHECK_FALSE(g.busy(now));
  loops(84, microseconds(500), 1.0, now);  // 50 ms: a window, no gain
  // Busy again: alone for 2 s, then 4 s.
  CHECK(g.busy(now + milliseconds(1999)));
  CHECK_FALSE(g.busy(now + milliseconds(2001)));
  now += milliseconds(2001);
  loops(16, milliseconds(5), 1.1, now);
  CHECK(g.busy(now + milliseconds(3999)));
  CHECK_FALSE(g.busy(now + milliseconds(4001)));

  // A window with enough gain (1.5) resets the back-off to 1 s.
  now += milliseconds(4001);
  loops(16, milliseconds(5), 1.5, now);
  CHECK_FALSE(g.busy(now));
  loops(16, milliseconds(5), 0.9, now);
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
