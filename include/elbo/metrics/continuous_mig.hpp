// Mutual Information Gap with Chen et al.'s estimator on the continuous posterior (Chen, Li, Grosse
// & Duvenaud, "Isolating sources of disentanglement in VAEs", NeurIPS 2018, Sec. 4.1 and eq. 6;
// reference implementation rtqichen/beta-tcvae, disentanglement_metrics.py estimate_entropies and
// metric_helpers/mi_metric.py). It needs q(z|x_n) = N(μ_n, diag σ_n²) for every x_n of a whole
// dataset (typically the full factor grid, each factor combination once) and the factors of each.
//
//   z_n ~ q(z|x_n), one draw per data point
//   q(z_d) = (1/N) Σ_n q(z_d | x_n)                          the aggregate posterior over the dataset
//   H(z_d) ≈ −(1/S) Σ_{s ∈ S} log q(z_{s,d})                 S: min(num_samples, N) points drawn
//                                                            without replacement
//   H(z_d | v_k) = Σ_u (N_u / N) · H_u(z_d)                  H_u: the same estimator restricted to the
//                                                            N_u points with v_k = u
//   I(z_d; v_k) = max(H(z_d) − H(z_d | v_k), 0)
//   MIG = (1/K) Σ_k ( I_(1)[k] − I_(2)[k] ) / log |V_k|       |V_k| the number of values of v_k
//
// log q(z_d) is a log-sum-exp over all N points, so an estimate costs O(S·N·D): minutes for all
// 737,280 dSprites images. Chen's dSprites script leaves the shape factor out; drop a factor by
// leaving its column out of `factors`. With a full grid, N_u / N = 1/|V_k| as in the reference.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/rng.hpp"
#include "elbo/tensor.hpp"

namespace elbo::metrics {

struct ContinuousMigOptions {
  int64_t num_samples = 10000;  // S, per entropy estimate
};

struct ContinuousMigResult {
  double mig = 0.0;
  std::vector<double> marginal_entropy;     // [D], nats
  std::vector<double> conditional_entropy;  // [K, D], nats
  std::vector<double> mutual_information;   // [K, D], nats, clamped at 0
  std::vector<int64_t> factor_sizes;        // [K], distinct values seen
};

// means, logvars: f64 [N, D] (D ≥ 2); factors: i64 [N, K]. Draws z with rng's normal draws
// counter + n·D + d (the counter then advances by N·D), then the subsets with uniform draws.
ContinuousMigResult continuous_mig(const Tensor& means, const Tensor& logvars, const Tensor& factors, Rng& rng,
                                   const ContinuousMigOptions& options = {});

}  // namespace elbo::metrics
