// DCI: disentanglement, completeness and informativeness (Eastwood & Williams, "A framework for the
// quantitative evaluation of disentangled representations", ICLR 2018, Sec. 2), as
// disentanglement_lib computes them with gradient-boosted trees (evaluation/metrics/dci.py, gin "dci"):
//
//   for each factor j: a GradientBoostingClassifier() (classifiers/gradient_boosting.hpp) predicts
//                      v_j from all codes; R[:, j] = its feature importances (each column sums to 1)
//   informativeness   = mean over factors of the classifier's accuracy, on train and on test
//                       (an accuracy, although the reference stores it in a variable named "err")
//   disentanglement   = Σ_i ρ_i (1 − H_K(P_i·)),  P_ij = R_ij / Σ_k R_ik,  ρ_i = Σ_j R_ij / Σ R
//   completeness      = Σ_j ρ_j (1 − H_D(P̃_·j)), P̃_ij = R_ij / Σ_k R_kj,   ρ_j = Σ_i R_ij / Σ R
//
// H_K is the entropy in base K (scipy.stats.entropy(·, base = K)), computed on R + 10⁻¹¹ as the
// reference does so that zero rows are defined; when R is all zero the weights ρ are uniform.
// Defaults: 10,000 training and 5,000 test points, sampled 16 at a time.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/metrics/classifiers/gradient_boosting.hpp"
#include "elbo/metrics/sampling.hpp"

namespace elbo::metrics {

struct DciResult {
  double disentanglement = 0.0;
  double completeness = 0.0;
  double informativeness_train = 0.0;
  double informativeness_test = 0.0;
  int64_t num_codes = 0, num_factors = 0;
  std::vector<double> importance;  // R [D, K]
};

struct DciOptions {
  int64_t num_train = 10000;
  int64_t num_test = 5000;
  int64_t batch_size = 16;
  GradientBoostingOptions boosting;
};

// The two scores of an importance matrix R [D, K] (row-major), D ≥ 2 and K ≥ 2.
double dci_disentanglement(const std::vector<double>& importance, int64_t D, int64_t K);
double dci_completeness(const std::vector<double>& importance, int64_t D, int64_t K);

DciResult dci_from_codes(const Tensor& codes_train, const Tensor& factors_train, const Tensor& codes_test,
                         const Tensor& factors_test, const DciOptions& options = {});

DciResult dci(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng,
              const DciOptions& options = {});

}  // namespace elbo::metrics
