// Training NVAE one step at a time, with the reference's optimiser and schedules (NVlabs/NVAE
// train.py): Adamax (lr 1e-2, β (0.9, 0.999), ε 1e-3, L2 weight decay 3e-4 added to the gradient;
// nn/optim.hpp), a linear learning-rate warm-up then a cosine decay to 1e-4 (nn/schedule.hpp),
// the KL warm-up and balancing and λ·(L_SR + L_BN) (models/nvae_objective.hpp).
//
// Step t (0-based) of T:
//   1. lr(t) from the schedule;
//   2. x ← 1[u < x] with u from the stream (seed, data, t) (dynamic binarisation, as the
//      reference's MNIST loader; off with dynamic_binarization = false);
//   3. the losses with ε from (seed, posterior, t) (models/noise.hpp), and 40 power iterations of
//      the spectral regulariser at t = 0 (the reference's 10× on first use), 4 afterwards;
//   4. backward, one Adamax update.
// Where elbo differs: the reference steps its cosine schedule once per epoch after the warm-up
// epochs; here the schedule is a function of the step. Its optional λ annealing
// (--weight_decay_norm_anneal, not used by its MNIST command) is not implemented.
//
// Everything step t draws is keyed by (seed, t), the spectral vectors are buffers of the model and
// the optimiser keeps its step counts: a run resumed after step t − 1 from a checkpoint of the
// model and optimiser computes the same bits as one that never stopped.
#pragma once
#include <cstdint>
#include <string>

#include "elbo/io/json.hpp"
#include "elbo/models/nvae.hpp"
#include "elbo/models/nvae_objective.hpp"
#include "elbo/nn/optim.hpp"
#include "elbo/nn/schedule.hpp"

namespace elbo::models {

struct NvaeTraining {
  int64_t steps = 3000;  // T, the total number of steps (the warm-ups and the cosine are fractions of it)
  double lr = 1e-2, min_lr = 1e-4;
  int64_t warmup_steps = 100;
  double adamax_eps = 1e-3, weight_decay = 3e-4;
  NvaeObjective objective;
  int power_iterations = 4, first_power_iterations = 40;
  bool dynamic_binarization = true;

  void validate() const;
  json::Value to_json() const;
  static NvaeTraining from_json(const json::Value& v);  // missing fields keep their defaults
};

struct NvaeStepReport {
  double loss = 0, reconstruction = 0, kl = 0, spectral = 0, batchnorm = 0, kl_coefficient = 0, lr = 0;
  std::vector<double> kl_per_group, balance_coefficients;
};

class NvaeTrainer {
 public:
  NvaeTrainer(const NvaeConfig& config, const NvaeTraining& training, uint64_t seed, DType dtype = DType::f32);
  NvaeTrainer(const NvaeTrainer&) = delete;
  NvaeTrainer& operator=(const NvaeTrainer&) = delete;

  // One step at index t on images x [N, C, S, S] in [0, 1].
  NvaeStepReport step(const Tensor& x, uint64_t t);

  const NvaeTraining training;
  const uint64_t seed;
  nn::Init init;
  Nvae model;
  nn::Optimizer optimizer;
  nn::Schedule schedule;
};

}  // namespace elbo::models
