// Interventional Robustness Score (Suter, Miladinović, Schölkopf & Bauer, "Robustly disentangled
// causal mechanisms: validating deep representations for interventional robustness", ICML 2019,
// Sec. 4), as disentanglement_lib computes it (evaluation/metrics/irs.py, config sample/irs/irs.gin):
//
//   codes z [N, D], factors v [N, K] from N = 10,000 points sampled 16 at a time
//   v̂_j      = histogram_discretize(v_j, 20)           (the reference discretises the factors)
//   codes whose sample variance is 0 are dropped
//   for each factor j and each value u of v̂_j, with Z_u the codes of the points where v̂_j = u:
//     EMPD_u[i] = percentile_q( |Z_u[:, i] − mean(Z_u[:, i])| )     q = 99 (1.0 is the paper's max)
//   cum[i, j] = mean over u of EMPD_u[i]
//   max_dev[i] = max_n |z_{n,i} − mean(z_i)|
//   IRS[i, j] = 1 − cum[i, j] / max_dev[i];   score_i = max_j IRS[i, j]
//   IRS = Σ_i max_dev[i] · score_i / Σ_i max_dev[i]
//
// Percentiles interpolate linearly between order statistics, as numpy.percentile does.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/metrics/sampling.hpp"

namespace elbo::metrics {

struct IrsResult {
  double irs = 0.0;
  int64_t num_active_dims = 0;
  std::vector<double> per_code;  // score_i of each active code
};

IrsResult irs_from_codes(const Tensor& codes, const Tensor& factors, double diff_quantile = 0.99, int64_t num_bins = 20);

struct IrsOptions {
  int64_t num_train = 10000;
  int64_t batch_size = 16;
  double diff_quantile = 0.99;
  int64_t num_bins = 20;
};

IrsResult irs(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng,
              const IrsOptions& options = {});

}  // namespace elbo::metrics
