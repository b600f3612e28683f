// Unsupervised scores of a representation, from codes alone, as disentanglement_lib computes them
// (evaluation/metrics/unsupervised_metrics.py, gin "unsupervised_metrics"; Locatello et al.,
// "Challenging common assumptions in the unsupervised learning of disentangled representations",
// ICML 2019, Sec. 5). Σ is the sample covariance of the codes (ddof 1, numpy.cov):
//
//   Gaussian total correlation   KL( N(0, Σ) ‖ N(0, diag Σ) ) = ½ (Σ_i log Σ_ii − log det Σ)
//   Gaussian Wasserstein corr.   W₂²( N(0, Σ), N(0, diag Σ) ) = 2 tr Σ − 2 tr( (Δ^½ Σ Δ^½)^½ ),  Δ = diag Σ
//                                (the reference takes sqrtm(Σ·Δ), which has the same eigenvalues)
//   ... normalised               the same divided by tr Σ
//   mutual information score     mean over pairs i ≠ k of I(z̃_i; z̃_k), z̃ = histogram_discretize(z, 20)
//
// log det Σ comes from a Cholesky factorisation and the eigenvalues of Δ^½ Σ Δ^½ from Jacobi
// rotations, both in double. A singular Σ (a code that is a linear function of others) makes the
// total correlation +∞; a constant code (Σ_ii = 0) makes it NaN, as in the reference.
// Default: 10,000 points sampled 16 at a time.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/metrics/sampling.hpp"

namespace elbo::metrics {

struct UnsupervisedResult {
  double gaussian_total_correlation = 0.0;
  double gaussian_wasserstein_correlation = 0.0;
  double gaussian_wasserstein_correlation_norm = 0.0;
  double mutual_info_score = 0.0;
};

// The two Gaussian scores of a covariance matrix cov [D, D] (row-major, symmetric).
double gaussian_total_correlation(const std::vector<double>& cov, int64_t D);
double gaussian_wasserstein_correlation(const std::vector<double>& cov, int64_t D);

// From codes f64 [N, D], D ≥ 2.
UnsupervisedResult unsupervised_from_codes(const Tensor& codes, int64_t num_bins = 20);

struct UnsupervisedOptions {
  int64_t num_train = 10000;
  int64_t batch_size = 16;
  int64_t num_bins = 20;
};

UnsupervisedResult unsupervised(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng,
                                const UnsupervisedOptions& options = {});

}  // namespace elbo::metrics
