// Mutual Information Gap (Chen, Li, Grosse & Duvenaud, "Isolating sources of disentanglement in
// variational autoencoders", NeurIPS 2018, eq. 6), in disentanglement_lib's discretised,
// sample-based form (evaluation/metrics/mig.py, gin "mig"):
//
//   codes z [N, D] and factors v [N, K] from N = 10,000 points sampled 16 at a time
//   z̃_i      = histogram_discretize(z_i, 20 bins)                    (discretize.hpp)
//   I[i, j]  = plug-in mutual information I(z̃_i; v_j), nats          (mutual_information.hpp)
//   H[j]     = empirical entropy of v_j in the sample (not log |V_j|)
//   MIG      = (1/K) Σ_j ( I_(1)[j] − I_(2)[j] ) / H[j]              I_(1) ≥ I_(2) the two largest over i
//
// Chen et al.'s own estimator works on the continuous posterior over the whole dataset:
// continuous_mig.hpp. A factor constant in the sample (H = 0) has no gap: an error, where the
// reference would divide by zero.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/metrics/sampling.hpp"

namespace elbo::metrics {

struct MigResult {
  double mig = 0.0;
  int64_t num_codes = 0, num_factors = 0;
  std::vector<double> mutual_information;  // [D, K], nats
  std::vector<double> factor_entropy;      // [K], nats
  std::vector<double> gap;                 // [K], (I_(1) − I_(2)) / H per factor
};

// From codes f64 [N, D] (D ≥ 2) and factors i64 [N, K].
MigResult mig_from_codes(const Tensor& codes, const Tensor& factors, int64_t num_bins = 20);

struct MigOptions {
  int64_t num_train = 10000;
  int64_t batch_size = 16;
  int64_t num_bins = 20;
};

MigResult mig(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng,
              const MigOptions& options = {});

}  // namespace elbo::metrics
