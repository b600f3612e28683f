// Learning-rate schedules: the learning rate as a pure function of the step (0-based: the
// number of updates made before this one). One formula covers the three shapes:
//
//     warm-up (step < W):      lr = base · (step + 1) / W
//     then, without decay:     lr = base
//     with cosine decay to T (Loshchilov & Hutter 2017, SGDR without restarts):
//                              lr = min + (base − min) · ½ · (1 + cos(π · p)),
//                              p = min((step − W) / (T − W), 1)
//
//     Schedule::constant(1e-3)                      base throughout
//     Schedule::warmup(1e-3, 1000)                  linear warm-up over 1000 steps, then constant
//     Schedule::cosine(1e-3, 100000, 1000, 1e-5)    warm-up, then cosine decay to 1e-5 at step 100000
#pragma once
#include <cstdint>

namespace elbo::nn {

struct Schedule {
  double base_lr = 1e-3;
  int64_t warmup_steps = 0;  // W; 0: no warm-up
  int64_t decay_steps = 0;   // T, the step at which the cosine reaches min_lr; 0: no decay
  double min_lr = 0.0;

  double lr(int64_t step) const;

  static Schedule constant(double lr);
  static Schedule warmup(double lr, int64_t warmup_steps);
  static Schedule cosine(double lr, int64_t decay_steps, int64_t warmup_steps = 0, double min_lr = 0.0);
};

}  // namespace elbo::nn
