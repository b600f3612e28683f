// L2-regularised logistic regression, as scikit-learn's LogisticRegression(penalty="l2", C,
// solver="lbfgs") defines it (sklearn/linear_model/_logistic.py; the loss of its user guide,
// section "Logistic regression"). Samples x_i ∈ ℝ^d, labels y_i among K sorted classes.
//
//   K > 2, multinomial:  minimise  C·Σ_i −log softmax(W x_i + b)_{y_i}  +  ½‖W‖²_F      W ∈ ℝ^{K×d}
//   K = 2, binary:       minimise  C·Σ_i log(1 + exp(−s_i (wᵀx_i + b)))  +  ½‖w‖²     s_i = ±1
//                        (s_i = +1 for the second class), one weight vector as sklearn fits it
//
// The intercept b is not penalised. The solver is L-BFGS (lbfgs.hpp) on the same objective
// divided by C·n (as sklearn ≥ 1.2 scales it; the minimiser is unchanged), run until the
// gradient's largest entry is below gradient_tolerance: much tighter than sklearn's default
// (tol 1e-4, max_iter 100), so results are the optimum rather than an early stop.
//
// Prediction: multinomial probabilities softmax(W x + b); binary [1 − σ(t), σ(t)] with
// t = wᵀx + b; the predicted label is the class of highest probability (binary: the second class
// when t > 0), the first one on ties.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/metrics/classifiers/lbfgs.hpp"

namespace elbo::metrics {

struct LogisticRegressionOptions {
  double C = 1.0;  // inverse regularisation strength
  bool fit_intercept = true;
  int max_iterations = 1000;
  double gradient_tolerance = 1e-8;  // on the gradient of the objective / (C·n)
};

struct LogisticRegression {
  int64_t num_features = 0;
  std::vector<int64_t> classes;  // sorted; at least two
  // One row per class (K > 2), or a single row scoring classes[1] (K = 2).
  std::vector<double> weights;     // [rows, num_features], row-major
  std::vector<double> intercepts;  // [rows]
  LbfgsResult solver;
};

// Fits on x[n, d] (row-major) and labels y[n].
LogisticRegression fit_logistic_regression(const double* x, const int64_t* y, int64_t n, int64_t d,
                                           const LogisticRegressionOptions& options = {});

// Class probabilities, proba[n, K] in the order of model.classes.
void logistic_regression_predict_proba(const LogisticRegression& model, const double* x, int64_t n, double* proba);

// Predicted labels.
std::vector<int64_t> logistic_regression_predict(const LogisticRegression& model, const double* x, int64_t n);

}  // namespace elbo::metrics
