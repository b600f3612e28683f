// Linear support vector classifier, as scikit-learn's LinearSVC defines it (sklearn/svm/_classes.py,
// which calls liblinear): penalty "l2", loss "squared_hinge" (LinearSVC's default), one-vs-rest for
// more than two classes, the intercept learned as the weight of a constant feature of value
// intercept_scaling (so it IS penalised, as in liblinear).
//
// For a binary problem with labels s_i = ±1 and x̃_i = [x_i, intercept_scaling]:
//   minimise over w̃    ½‖w̃‖² + Σ_i C_i · max(0, 1 − s_i w̃ᵀx̃_i)²      (loss = squared_hinge)
//                      ½‖w̃‖² + Σ_i C_i · max(0, 1 − s_i w̃ᵀx̃_i)       (loss = hinge)
// solved in the dual by coordinate descent (Hsieh, Chang, Lin, Keerthi & Sundararajan, "A dual
// coordinate descent method for large-scale linear SVM", ICML 2008, Algorithm 1; liblinear's
// solve_l2r_l1l2_svc):
//   min_α ½ αᵀ(Q + D)α − Σα_i,  0 ≤ α_i ≤ U_i,  Q_ij = s_i s_j x̃_iᵀx̃_j,  w̃ = Σ α_i s_i x̃_i
//   squared hinge: D_ii = 1/(2C_i), U_i = ∞;   hinge: D_ii = 0, U_i = C_i
//   per coordinate: G = s_i w̃ᵀx̃_i − 1 + D_ii α_i,  α_i ← clip(α_i − G / (x̃_iᵀx̃_i + D_ii), 0, U_i)
// visiting the coordinates in a fresh Philox-seeded permutation each epoch, until the projected
// gradients span at most `tolerance` (liblinear's stopping rule; sklearn passes tol = 1e-4, the
// default here is tighter). The squared-hinge primal is strictly convex: its minimiser is unique,
// and the visiting order changes the result only within the tolerance.
//
// Class weights (class_weight="balanced"): c_k = n / (K · n_k). Binary: C_i = C·c_{y_i}. One-vs-rest
// problem k (K > 2): the positives (class k) get C·c_k and all negatives get the plain C: liblinear
// weights only the positive side of each one-vs-rest problem.
//
// Prediction: binary, the second class when w̃ᵀx̃ > 0; otherwise the class of the largest score,
// the first one on ties.
#pragma once
#include <cstdint>
#include <vector>

namespace elbo::metrics {

enum class SvmLoss { squared_hinge, hinge };

struct LinearSvmOptions {
  double C = 1.0;
  SvmLoss loss = SvmLoss::squared_hinge;
  bool balanced = false;  // class_weight="balanced"
  bool fit_intercept = true;
  double intercept_scaling = 1.0;
  double tolerance = 1e-6;  // on max − min of the projected gradients in one epoch
  int max_epochs = 1000;
  uint64_t seed = 0;  // the coordinate order's Philox key
};

struct LinearSvm {
  int64_t num_features = 0;
  std::vector<int64_t> classes;    // sorted; at least two
  std::vector<double> weights;     // [rows, num_features]: rows = 1 (binary, scores classes[1]) or K
  std::vector<double> intercepts;  // [rows]
  int epochs = 0;                  // the most epochs any of the binary problems took
  bool converged = false;          // every binary problem met the tolerance
};

LinearSvm fit_linear_svm(const double* x, const int64_t* y, int64_t n, int64_t d, const LinearSvmOptions& options = {});

// Scores w̃ᵀx̃ per row of the model: out[n, rows].
void linear_svm_decision_function(const LinearSvm& model, const double* x, int64_t n, double* out);

std::vector<int64_t> linear_svm_predict(const LinearSvm& model, const double* x, int64_t n);

}  // namespace elbo::metrics
