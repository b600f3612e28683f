// Where the random numbers of training and evaluation come from.
//
// Every random draw of a training step is a pure function of (seed, purpose, step): the step's
// numbers come from its own Philox stream (rng.hpp),
//     stream = purpose · 2⁴⁸ + step,
// starting at counter 0. A run resumed at step t therefore draws exactly what a run that never
// stopped draws at step t, whatever the batch size of earlier steps; and the parameter
// initialisers (streams 0, 1, 2, … in construction order, nn/init.hpp) never meet these streams.
//
//   posterior:    ε of z = μ + σ ⊙ ε at training step t; draw n·latents + j is ε[n, j]
//   permutation:  FactorVAE's per-dimension shuffles of the batch at step t (models/factor_vae.hpp)
//   evaluation:   the evaluation functions' ε for batch b (models/evaluate.hpp)
//   prior:        z ~ N(0, I) of the pictures of prior samples (models/visualize.hpp); step 0
//   data:         generated training data drawn afresh at step t (the unit circle's points of
//                 `elbo fusion`, data/unit_circle.hpp)
#pragma once
#include <cstdint>

#include "elbo/error.hpp"

namespace elbo::models {

enum class NoisePurpose : uint64_t { posterior = 1, permutation = 2, evaluation = 3, prior = 4, data = 5 };

constexpr uint64_t kMaxNoiseStep = (uint64_t{1} << 48) - 1;

inline uint64_t noise_stream(NoisePurpose purpose, uint64_t step) {
  ELBO_CHECK(step <= kMaxNoiseStep, "noise_stream: step ", step, " exceeds 2^48 − 1");
  return (static_cast<uint64_t>(purpose) << 48) | step;
}

}  // namespace elbo::models
