// The parallel loop every CPU kernel runs its work through, and how many threads it starts.
//
//   parallel_for(items, share, body)
//       calls body(begin, end, thread) on contiguous ranges [begin, end) that cover [0, items)
//       once; `thread` < num_threads() tells a range which per-thread scratch to use.
//
// Each kernel computes an item the same way whichever thread runs it and whatever the ranges
// (every reduction has an order fixed by the shapes), so results never depend on how many threads
// a loop starts. That lets the loop choose its team:
//   * the calling thread alone when `share` is false: the kernel's estimate that the loop has too
//     little work to repay waking the other threads (kParallelGrain elements, for instance);
//   * the calling thread alone while the other threads start late. A helper thread of OpenMP's
//     team waits for work spinning, so on an idle machine it starts a range within microseconds;
//     when other processes keep the cores busy it waits for a time slice, often milliseconds, and
//     the loop waits for it. A training step of many short loops then ran 7 times slower on 2
//     threads than on 1 (docs/BENCHMARKS.md, "Threads on a busy machine"). So each shared loop
//     notes how late its last helper started and how long the loop took: a helper that started
//     after half the loop had passed cost more than it gave. When such loops pile up, loops run
//     on the calling thread for a while, then share again (parallel.cpp has the rule).
// The thread count set by set_num_threads() is the most a loop uses; OMP_WAIT_POLICY still
// applies to how OpenMP's threads wait.
#pragma once
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace elbo::cpu {

// When shared loops should run alone (parallel.cpp has the rule). The times are passed in, so
// that tests can check the rule without waiting.
class TeamGovernor {
 public:
  using Clock = std::chrono::steady_clock;
  // Whether loops should run on the calling thread alone at time `now`.
  bool busy(Clock::time_point now) const;
  // Records a shared loop that ended at `now`, took `took`, its last helper starting `late`
  // after the loop began.
  void note(Clock::duration late, Clock::duration took, Clock::time_point now);

 private:
  // Relaxed atomics: kernels may be called from several threads at once (a data thread, say), and
  // a lost update only shifts a verdict by a loop.
  std::atomic<int> loops_{0};                 // shared loops in the current window
  std::atomic<int> late_{0};                  // of which late
  std::atomic<Clock::rep> alone_until_{0};    // loops run alone until this time
  std::atomic<Clock::rep> back_off_{0};       // the next back-off beyond the first
};

// The process's governor (context.hpp lists it among the global state).
TeamGovernor& team_governor();

// Threads the next shared loop will start: omp_get_max_threads(), or 1 while the process's
// governor finds the machine busy (unless adaptive_threads() is off).
int team_threads();

template <class F>
void parallel_for(int64_t items, bool share, F&& body) {
  if (items <= 0) return;
  const int team = share && items > 1 && !omp_in_parallel() ? team_threads() : 1;
  if (team <= 1) {
    body(int64_t(0), items, 0);
    return;
  }
  using Clock = TeamGovernor::Clock;
  const Clock::time_point start = Clock::now();
  std::atomic<Clock::rep> latest{0};  // from `start` to the start of the latest helper
  const int threads = static_cast<int>(team < items ? team : items);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), n = omp_get_num_threads();
    if (t > 0) {
      const Clock::rep late = (Clock::now() - start).count();
      for (Clock::rep seen = latest.load(std::memory_order_relaxed); late > seen;)
        if (latest.compare_exchange_weak(seen, late, std::memory_order_relaxed)) break;
    }
    body(items * t / n, items * (t + 1) / n, t);
  }
  const Clock::time_point end = Clock::now();
  team_governor().note(Clock::duration(latest.load(std::memory_order_relaxed)), end - start, end);
}

}  // namespace elbo::cpu
