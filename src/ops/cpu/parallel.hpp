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
//   * the calling thread alone while sharing does not pay. A helper thread of OpenMP's team
//     waits for work spinning, so on an idle machine it starts a range within microseconds and
//     runs it through; when other processes keep the cores busy it waits for a time slice to
//     start, or is preempted halfway, for milliseconds, and the loop waits for it. A training
//     step of many short loops then ran several times slower on 2 threads than on 1
//     (docs/BENCHMARKS.md, "Threads on a busy machine"). So each shared loop measures the CPU
//     time its threads spent on it (the time one thread would have needed) against the time the
//     loop took (two reads of each thread's CPU clock, about 0.4 µs each on the machine of
//     docs/BENCHMARKS.md); when a window of loops shows too little gain, loops run on the calling
//     thread for a while, then share again (parallel.cpp has the rule).
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
  // Records a shared loop that ended at `now`, took `took`, and on which its threads spent
  // `cpu` of CPU time together.
  void note(Clock::duration took, Clock::duration cpu, Clock::time_point now);

 private:
  // Relaxed atomics: kernels may be called from several threads at once (a data thread, say), and
  // a lost update only blurs a verdict a little.
  std::atomic<int> loops_{0};                 // shared loops in the current window
  std::atomic<Clock::rep> took_{0}, cpu_{0};  // their time and CPU time
  std::atomic<Clock::rep> alone_until_{0};    // loops run alone until this time
  std::atomic<Clock::rep> back_off_{0};       // the next back-off beyond the first
};

// The process's governor (context.hpp lists it among the global state).
TeamGovernor& team_governor();

// Threads the next shared loop will start: omp_get_max_threads(), or 1 while the process's
// governor finds the machine busy (unless adaptive_threads() is off).
int team_threads();
// The CPU time the calling thread has used, in nanoseconds.
int64_t thread_cpu_ns();

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
  std::atomic<int64_t> cpu{0};  // CPU time the team spent on the loop, in ns
  const int threads = static_cast<int>(team < items ? team : items);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), n = omp_get_num_threads();
    const int64_t before = thread_cpu_ns();
    body(items * t / n, items * (t + 1) / n, t);
    cpu.fetch_add(thread_cpu_ns() - before, std::memory_order_relaxed);
  }
  const Clock::time_point end = Clock::now();
  team_governor().note(end - start, std::chrono::nanoseconds(cpu.load(std::memory_order_relaxed)), end);
}

}  // namespace elbo::cpu
