// Modularity and explicitness (Ridgeway & Mozer, "Learning deep disentangled embeddings with the
// F-statistic loss", NeurIPS 2018, Sec. 3), as disentanglement_lib computes them
// (evaluation/metrics/modularity_explicitness.py, gin "modularity_explicitness"):
//
// Modularity — each code should carry information about one factor only:
//   m[i, j]  = I(histogram_discretize(z_i, 20); v_j)        nats, as MIG (mig.hpp)
//   θ_i      = max_j m[i, j]²
//   δ_i      = (Σ_j m[i, j]² − θ_i) / (θ_i (K − 1))          the share of the other factors
//   modularity = (1/D) Σ_i (1 − δ_i), a code with θ_i = 0 counting as 0
// It asks only whether each code informs about a single factor, not whether each factor has its own
// code: a code that copies one factor scores 1 even when another code copies the same factor. It is
// unchanged by permuting, shifting or scaling codes, but not by rotations that mix them.
//
// Explicitness — each factor should be linearly decodable from the codes:
//   codes standardised with the training mean and standard deviation (ddof 0)
//   per factor j: LogisticRegression() (C = 1, classifiers/logistic_regression.hpp) on the training
//   codes; AUC_j = one-vs-rest ROC-AUC of its class probabilities, macro-averaged over classes
//   explicitness = (1/K) Σ_j AUC_j, on the training and on the test set
// A code that is constant in the training sample has standard deviation 0: it is set to 0 after
// standardisation, where the reference produces NaN. The K fits run in parallel, one per thread.
//
// Defaults: 10,000 training and 5,000 test points, sampled 16 at a time; 20 bins.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/metrics/classifiers/logistic_regression.hpp"
#include "elbo/metrics/sampling.hpp"

namespace elbo::metrics {

// Modularity of a mutual-information matrix m [D, K] (row-major), K ≥ 2.
double modularity_score(const std::vector<double>& mutual_information, int64_t D, int64_t K);

// Modularity from codes f64 [N, D] and factors i64 [N, K].
double modularity_from_codes(const Tensor& codes, const Tensor& factors, int64_t num_bins = 20);

struct ExplicitnessResult {
  double train = 0.0, test = 0.0;
  std::vector<double> per_factor_train, per_factor_test;  // [K]
};

ExplicitnessResult explicitness_from_codes(const Tensor& codes_train, const Tensor& factors_train,
                                           const Tensor& codes_test, const Tensor& factors_test,
                                           const LogisticRegressionOptions& classifier = {});

struct ModularityExplicitnessOptions {
  int64_t num_train = 10000;
  int64_t num_test = 5000;
  int64_t batch_size = 16;
  int64_t num_bins = 20;
};

struct ModularityExplicitnessResult {
  double modularity = 0.0;
  double explicitness_train = 0.0, explicitness_test = 0.0;
};

ModularityExplicitnessResult modularity_explicitness(const data::GroundTruthDataset& dataset, const Representation& rep,
                                                     Rng& rng, const ModularityExplicitnessOptions& options = {});

}  // namespace elbo::metrics
