// NVAE's training objective (Vahdat & Kautz 2020, §3.2 and App. A; NVlabs/NVAE train.py train,
// utils.kl_coeff, utils.kl_balancer, utils.kl_balancer_coeff), per training step t:
//
//     loss = (1/N) Σ_n [ R(x_n) + β(t) · KL_bal(x_n) ] + λ · (L_SR + L_BN)
//
// with R = −ln p(x | z) (Bernoulli, models/nvae.hpp), L_SR and L_BN the spectral and batch-norm
// regularisers (nn/spectral_regularization.hpp) and:
//
// KL warm-up (utils.kl_coeff), T the total number of training steps:
//     β(t) = max(min((t − c·T) / (a·T), 1), β_min)
//   a = kl_anneal_portion (0.3), c = kl_const_portion (1e-4), β_min = kl_const_coeff (1e-4):
//   a linear rise from 0 to 1 over the first 30 % of the steps, never below 1e-4.
//
// KL balancing (utils.kl_balancer, only while β(t) < 1; after it, KL_bal = Σ_i KL_i): with KL_i
// [N] the KL of group i (decoder order, top first),
//     α_i   = (2^s_i)² / G(s_i), then divided by min_j α_j     (utils.kl_balancer_coeff 'square')
//             s_i the scale of group i counted from the top (0 = coarsest), G(s) its group count:
//             α is proportional to the latents of a group's scale per group;
//     γ_i   = mean_n |KL_i| + 0.01
//     γ_i  ← γ_i / α_i · Σ_j γ_j      (the reference's factor Σ_j γ_j cancels in the next line)
//     γ_i  ← γ_i / mean_j γ_j         (the coefficients average 1)
//     KL_bal(x_n) = Σ_i γ_i · KL_i(x_n),  γ held constant (no gradient through it)
// Groups with a small KL get a small coefficient, so their KL costs less and they are encouraged
// to carry information ("KL balancing", NVAE App. A, after Vahdat et al. 2018 (DVAE++) App. H).
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/models/nvae.hpp"

namespace elbo::models {

struct NvaeObjective {
  double lambda = 1e-2;              // λ (the reference's weight_decay_norm; 1e-2 for MNIST)
  double kl_anneal_portion = 0.3;    // a
  double kl_const_portion = 1e-4;    // c
  double kl_const_coeff = 1e-4;      // β_min
  bool kl_balance = true;
};

// β(t) with T = total_steps.
double kl_warmup_coefficient(int64_t step, int64_t total_steps, const NvaeObjective& objective);
// α_i for the model's groups (decoder order).
std::vector<double> kl_balancer_alpha(const std::vector<Nvae::GroupInfo>& groups);
// γ_i from the groups' KLs ([N] each), without history.
std::vector<double> kl_balancer_coefficients(const std::vector<Tensor>& kl, const std::vector<double>& alpha);

// The loss terms of one step, with history where a gradient flows.
struct NvaeLosses {
  Tensor loss;            // the scalar the optimiser minimises
  Tensor reconstruction;  // mean over the batch of R
  Tensor kl;              // mean over the batch of Σ_i KL_i (unweighted)
  Tensor spectral;        // L_SR
  Tensor batchnorm;       // L_BN
  double kl_coefficient = 1.0;             // β(t)
  std::vector<double> kl_per_group;        // mean over the batch of KL_i
  std::vector<double> balance_coefficients;  // γ_i (all 1 when the balancer is off)
};

// x must already be binary (or in [0, 1]); ε from (seed, stream); `power_iterations` of the
// spectral regulariser (nn/spectral_regularization.hpp; 0 leaves u and v as they are).
NvaeLosses nvae_losses(Nvae& model, const Tensor& x, int64_t step, int64_t total_steps,
                       const NvaeObjective& objective, uint64_t seed, uint64_t stream, int power_iterations);

}  // namespace elbo::models
