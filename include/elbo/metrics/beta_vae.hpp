// BetaVAE score (Higgins et al., "β-VAE: learning basic visual concepts with a constrained
// variational framework", ICLR 2017, Sec. 3 and Fig. 5), as disentanglement_lib computes it
// (evaluation/metrics/beta_vae.py, gin "beta_vae_sklearn"):
//
//   one training point:  k ~ uniform factor index;  draw two batches of L = 64 factor vectors,
//                        copy factor k of the first batch into the second;
//                        feature = (1/L) Σ_l | z(x_l¹) − z(x_l²) |   (elementwise, length D)
//                        label   = k
//   classifier:          LogisticRegression() — sklearn's defaults: C = 1, L2, multinomial
//                        (classifiers/logistic_regression.hpp), on the raw features
//   score:               its accuracy on 10,000 training points and on 5,000 fresh points
//
// The idea: if one code tracks factor k alone, that code barely differs between the two batches,
// so a linear classifier reads k off the smallest feature. The paper used its own classifier
// settings; these follow the library. The representation is called once per batch of L images.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/metrics/classifiers/logistic_regression.hpp"
#include "elbo/metrics/sampling.hpp"

namespace elbo::metrics {

struct BetaVaeOptions {
  int64_t batch_size = 64;  // L
  int64_t num_train = 10000;
  int64_t num_eval = 5000;
  LogisticRegressionOptions classifier;  // C = 1
};

// The classifier's data set: features [num_points, D] (row-major) and labels.
struct BetaVaePoints {
  int64_t num_points = 0, num_codes = 0;
  std::vector<double> features;
  std::vector<int64_t> labels;
};

BetaVaePoints beta_vae_points(const data::GroundTruthDataset& dataset, const Representation& rep, int64_t num_points,
                              int64_t batch_size, Rng& rng);

struct BetaVaeResult {
  double train_accuracy = 0.0, eval_accuracy = 0.0;
};

// Fits the classifier on `train` and scores it on both sets.
BetaVaeResult beta_vae_from_points(const BetaVaePoints& train, const BetaVaePoints& eval,
                                   const LogisticRegressionOptions& classifier = {});

// Samples the training points, then the evaluation points, from rng.
BetaVaeResult beta_vae(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng,
                       const BetaVaeOptions& options = {});

}  // namespace elbo::metrics
