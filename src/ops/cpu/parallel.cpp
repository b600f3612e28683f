// The team governor of parallel_for (parallel.hpp). Shared loops start omp_get_max_threads()
// threads unless recent ones gained too little from them, the sign that other processes hold
// the cores. The rule:
//   the shared loops are taken in windows of at least kWindowLoops loops and kWindowTime;
//   a window's gain is the CPU time its loops used (what one thread would have taken, about)
//   over the time they took: near the thread count on an idle machine, about 1 or less when
//   helpers wait for cores;
//   a gain under kMinGain means "busy": loops then run on the calling thread for the back-off
//   time, kFirstBackOff at first, doubled (up to kMaxBackOff) at each "busy" verdict in a row,
//   back to kFirstBackOff after a window with enough gain.
// Waiting threads spin for a while, so on an idle machine a helper starts within microseconds,
// and one that has gone to sleep wakes in tens of microseconds; a helper that shares its core
// with another process waits for time slices of milliseconds.
#include "ops/cpu/parallel.hpp"

#include <time.h>

#include <algorithm>

#include "elbo/context.hpp"

namespace elbo::cpu {

namespace {

using Clock = TeamGovernor::Clock;

constexpr int kWindowLoops = 16;
constexpr Clock::duration kWindowTime = std::chrono::milliseconds(50);
constexpr double kMinGain = 1.25;
constexpr Clock::duration kFirstBackOff = std::chrono::seconds(1);
constexpr Clock::duration kMaxBackOff = std::chrono::seconds(8);

}  // namespace

bool TeamGovernor::busy(Clock::time_point now) const {
  return now.time_since_epoch().count() < alone_until_.load(std::memory_order_relaxed);
}

void TeamGovernor::note(Clock::duration took, Clock::duration cpu, Clock::time_point now) {
  const int loops = loops_.load(std::memory_order_relaxed) + 1;
  const Clock::rep window_took = took_.load(std::memory_order_relaxed) + took.count();
  const Clock::rep window_cpu = cpu_.load(std::memory_order_relaxed) + cpu.count();
  if (loops < kWindowLoops || window_took < kWindowTime.count()) {  // the window goes on
    loops_.store(loops, std::memory_order_relaxed);
    took_.store(window_took, std::memory_order_relaxed);
    cpu_.store(window_cpu, std::memory_order_relaxed);
    return;
  }
  if (static_cast<double>(window_cpu) < kMinGain * static_cast<double>(window_took)) {
    // busy: run alone for a while, longer if it happens again
    const Clock::duration back_off =
        std::max(kFirstBackOff, Clock::duration(back_off_.load(std::memory_order_relaxed)));
    alone_until_.store((now + back_off).time_since_epoch().count(), std::memory_order_relaxed);
    back_off_.store(std::min(2 * back_off, kMaxBackOff).count(), std::memory_order_relaxed);
  } else {
    back_off_.store(kFirstBackOff.count(), std::memory_order_relaxed);
  }
  loops_.store(0, std::memory_order_relaxed);
  took_.store(0, std::memory_order_relaxed);
  cpu_.store(0, std::memory_order_relaxed);
}

TeamGovernor& team_governor() {
  static TeamGovernor governor;
  return governor;
}

int64_t thread_cpu_ns() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec;
}

int team_threads() {
  const int threads = omp_get_max_threads();
  if (threads <= 1 || !adaptive_threads()) return threads;
  return team_governor().busy(Clock::now()) ? 1 : threads;
}

}  // namespace elbo::cpu
