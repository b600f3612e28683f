// The team governor of parallel_for (parallel.hpp). Shared loops start omp_get_max_threads()
// threads unless recent ones found their helpers starting late, the sign that other processes
// hold the cores. The rule, over the loops that were shared:
//   a loop is late when its last helper started more than kLateStart and more than half the
//   loop's time after the loop began (with equal shares, the loop then took longer than its
//   work would have on one thread);
//   kLateLoops late loops among kWindow consecutive shared loops mean "busy": loops then run on
//   the calling thread for the back-off time, kFirstBackOff at first, doubled (up to
//   kMaxBackOff) at each "busy" verdict in a row, back to kFirstBackOff after a window with
//   fewer late loops.
// Waiting threads spin for a while, so on an idle machine a helper starts within microseconds,
// and one that has gone to sleep wakes in tens of microseconds; a helper that shares its core
// with another process waits for a time slice: 6–9 ms on average on the 2-core machine of
// docs/BENCHMARKS.md while two other processes trained there.
#include "ops/cpu/parallel.hpp"

#include <algorithm>

#include "elbo/context.hpp"

namespace elbo::cpu {

namespace {

using Clock = TeamGovernor::Clock;

constexpr Clock::duration kLateStart = std::chrono::microseconds(500);
constexpr int kWindow = 16;
constexpr int kLateLoops = 4;
constexpr Clock::duration kFirstBackOff = std::chrono::seconds(1);
constexpr Clock::duration kMaxBackOff = std::chrono::seconds(8);

}  // namespace

bool TeamGovernor::busy(Clock::time_point now) const {
  return now.time_since_epoch().count() < alone_until_.load(std::memory_order_relaxed);
}

void TeamGovernor::note(Clock::duration late, Clock::duration took, Clock::time_point now) {
  const bool was_late = late > kLateStart && 2 * late > took;
  const int late_loops = late_.load(std::memory_order_relaxed) + (was_late ? 1 : 0);
  const int loops = loops_.load(std::memory_order_relaxed) + 1;
  if (late_loops < kLateLoops && loops < kWindow) {  // the window goes on
    loops_.store(loops, std::memory_order_relaxed);
    late_.store(late_loops, std::memory_order_relaxed);
    return;
  }
  if (late_loops >= kLateLoops) {  // busy: run alone for a while, longer if it happens again
    const Clock::duration back_off =
        std::max(kFirstBackOff, Clock::duration(back_off_.load(std::memory_order_relaxed)));
    alone_until_.store((now + back_off).time_since_epoch().count(), std::memory_order_relaxed);
    back_off_.store(std::min(2 * back_off, kMaxBackOff).count(), std::memory_order_relaxed);
  } else {  // a clean window
    back_off_.store(kFirstBackOff.count(), std::memory_order_relaxed);
  }
  loops_.store(0, std::memory_order_relaxed);
  late_.store(0, std::memory_order_relaxed);
}

TeamGovernor& team_governor() {
  static TeamGovernor governor;
  return governor;
}

int team_threads() {
  const int threads = omp_get_max_threads();
  if (threads <= 1 || !adaptive_threads()) return threads;
  return team_governor().busy(Clock::now()) ? 1 : threads;
}

}  // namespace elbo::cpu
