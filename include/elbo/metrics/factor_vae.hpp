// FactorVAE score (Kim & Mnih, "Disentangling by factorising", ICML 2018, Sec. 4), as
// disentanglement_lib computes it (evaluation/metrics/factor_vae.py, gin "factor_vae_score"):
//
//   global variance  s²_d = Var(z_d) over 10,000 random images (ddof 1), encoded 64 at a time
//   active codes     s_d ≥ 0.05 (prune_dims.threshold, applied to the standard deviation)
//   one vote:        k ~ uniform factor index; a batch of L = 64 factor vectors with factor k fixed
//                    to the first vector's value; local variance v_d = Var over the batch (ddof 1);
//                    d* = argmin over active d of v_d / s²_d; votes[k, d*] += 1
//   classifier       each code d predicts the factor with most votes: c(d) = argmax_k votes[k, d]
//   score            Σ_d votes[c(d), d] / Σ votes, on the 10,000 training votes and on 5,000
//                    fresh votes counted with the training classifier
//
// No active code: both accuracies are 0. Differences from the reference, none of which changes an
// accuracy: votes are stored under the code's own index (the reference uses its position among the
// active codes), num_active_dims is the number of active codes (the reference reports D), and a
// code of zero global variance is never active, even with threshold 0.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/metrics/sampling.hpp"

namespace elbo::metrics {

struct FactorVaeOptions {
  int64_t batch_size = 64;  // L
  int64_t num_train = 10000;
  int64_t num_eval = 5000;
  int64_t num_variance_estimate = 10000;
  double prune_threshold = 0.05;
};

// Var(z_d) (ddof 1) of num_points random images, encoded 64 at a time.
std::vector<double> factor_vae_global_variance(const data::GroundTruthDataset& dataset, const Representation& rep,
                                               int64_t num_points, Rng& rng);

// The raw votes: for each point, the fixed factor and the batch's local variance per code.
struct FactorVaePoints {
  int64_t num_points = 0, num_codes = 0;
  std::vector<int64_t> factor;          // [num_points]
  std::vector<double> local_variance;   // [num_points, D]
};

FactorVaePoints factor_vae_points(const data::GroundTruthDataset& dataset, const Representation& rep,
                                  int64_t num_points, int64_t batch_size, Rng& rng);

struct FactorVaeResult {
  double train_accuracy = 0.0, eval_accuracy = 0.0;
  int64_t num_active_dims = 0;
};

FactorVaeResult factor_vae_from_points(const std::vector<double>& global_variance, const FactorVaePoints& train,
                                       const FactorVaePoints& eval, int64_t num_factors, double prune_threshold = 0.05);

FactorVaeResult factor_vae(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng,
                           const FactorVaeOptions& options = {});

}  // namespace elbo::metrics
