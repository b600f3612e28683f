// SAP score, "Separated Attribute Predictability" (Kumar, Sattigeri & Balakrishnan, "Variational
// inference of disentangled latent concepts from unlabeled observations", ICLR 2018, Sec. 3), as
// disentanglement_lib computes it (evaluation/metrics/sap_score.py, gin "sap_score"):
//
//   S[i, j] = accuracy on the test set of a linear SVM predicting factor j from code i alone:
//             LinearSVC(C = 0.01, class_weight = "balanced") (classifiers/linear_svm.hpp)
//             — or, with continuous_factors, S[i, j] = Cov(z_i, v_j)² / (Var z_i · Var v_j)
//             (ddof 1; 0 when Var z_i ≤ 10⁻¹²)
//   SAP     = (1/K) Σ_j ( S_(1)[j] − S_(2)[j] )      the two largest scores over the codes i
//
// Defaults: 10,000 training and 5,000 test points, sampled 16 at a time; the classification
// variant (continuous_factors = false), as every study config uses. The D·K SVMs are independent
// and fitted in parallel, each by one thread.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/metrics/sampling.hpp"

namespace elbo::metrics {

struct SapResult {
  double sap = 0.0;
  int64_t num_codes = 0, num_factors = 0;
  std::vector<double> score_matrix;  // [D, K]
};

struct SapOptions {
  int64_t num_train = 10000;
  int64_t num_test = 5000;
  int64_t batch_size = 16;
  bool continuous_factors = false;
  double C = 0.01;
};

// codes f64 [N, D] (D ≥ 2) and factors i64 [N, K], for training and testing.
SapResult sap_from_codes(const Tensor& codes_train, const Tensor& factors_train, const Tensor& codes_test,
                         const Tensor& factors_test, const SapOptions& options = {});

SapResult sap(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng,
              const SapOptions& options = {});

}  // namespace elbo::metrics
