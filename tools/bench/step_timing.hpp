// What the training-step benchmarks (bench_train, bench_objectives) share: the random binary images
// they train on, and how they time a step.
//
// Timing: steps run until at least `min_warmup_steps` have run and `warmup_seconds` have passed;
// the warm-up's mean time per step sets the steps of a window, round(window_seconds / per step) but
// at least `min_window_steps`; then `windows` windows are timed, each giving a rate in steps/s.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "elbo/ops.hpp"
#include "progress.hpp"  // cli::seconds_now

namespace bench {

// `count` batches of shape `shape` whose pixels are 0 or 1 with probability ½ each: batch i is
// uniform(shape, seed, stream i) > 0.5.
inline std::vector<elbo::Tensor> random_binary_batches(const elbo::Shape& shape, uint64_t seed, uint64_t count) {
  std::vector<elbo::Tensor> batches;
  for (uint64_t i = 0; i < count; ++i)
    batches.push_back(elbo::greater(elbo::uniform(shape, seed, i), elbo::full(elbo::Shape{}, 0.5)));
  return batches;
}

struct StepTiming {
  int64_t min_warmup_steps = 3;
  double warmup_seconds = 1.0;
  int64_t min_window_steps = 2;
  double window_seconds = 2.0;
  int64_t windows = 3;
};

// The rates (steps/s) of the timed windows of `step`, sorted ascending: the median is
// rates[rates.size() / 2].
inline std::vector<double> time_step_windows(const std::function<void()>& step, const StepTiming& t) {
  int64_t steps = 0;
  const double t0 = cli::seconds_now();
  while (steps < t.min_warmup_steps || cli::seconds_now() - t0 < t.warmup_seconds) {
    step();
    ++steps;
  }
  const double per_step = (cli::seconds_now() - t0) / static_cast<double>(steps);
  const int64_t window_steps =
      std::max<int64_t>(t.min_window_steps, static_cast<int64_t>(t.window_seconds / per_step + 0.5));
  std::vector<double> rates;
  for (int64_t w = 0; w < t.windows; ++w) {
    const double start = cli::seconds_now();
    for (int64_t s = 0; s < window_steps; ++s) step();
    rates.push_back(static_cast<double>(window_steps) / (cli::seconds_now() - start));
  }
  std::sort(rates.begin(), rates.end());
  return rates;
}

}  // namespace bench
