// Learning-rate schedules (nn/schedule.hpp).
#include "elbo/nn/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "elbo/error.hpp"

namespace elbo::nn {

double Schedule::lr(int64_t step) const {
  ELBO_CHECK(step >= 0, "Schedule::lr: step must be ≥ 0, got ", step);
  // warm-up: base · (step + 1) / W
  if (step < warmup_steps) return base_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  if (decay_steps == 0) return base_lr;
  // cosine: min + (base − min) · ½ · (1 + cos(π·p)),  p = min((step − W)/(T − W), 1)
  double progress = std::min(1.0, static_cast<double>(step - warmup_steps) /
                                      static_cast<double>(decay_steps - warmup_steps));
  return min_lr + (base_lr - min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

Schedule Schedule::constant(double lr) {
  ELBO_CHECK(lr >= 0, "Schedule::constant: lr must be ≥ 0, got ", lr);
  return {lr, 0, 0, 0.0};
}

Schedule Schedule::warmup(double lr, int64_t warmup_steps) {
  ELBO_CHECK(lr >= 0 && warmup_steps >= 0, "Schedule::warmup: needs lr ≥ 0 and warmup_steps ≥ 0, got ", lr, " and ",
             warmup_steps);
  return {lr, warmup_steps, 0, 0.0};
}

Schedule Schedule::cosine(double lr, int64_t decay_steps, int64_t warmup_steps, double min_lr) {
  ELBO_CHECK(lr >= 0 && min_lr >= 0 && warmup_steps >= 0 && decay_steps > warmup_steps,
             "Schedule::cosine: needs lr, min_lr ≥ 0 and 0 ≤ warmup_steps < decay_steps, got lr ", lr, ", min_lr ",
             min_lr, ", warmup_steps ", warmup_steps, ", decay_steps ", decay_steps);
  return {lr, warmup_steps, decay_steps, min_lr};
}

}  // namespace elbo::nn
