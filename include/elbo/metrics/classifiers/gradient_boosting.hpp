// Gradient-boosted trees for classification with the log-loss, as scikit-learn's
// GradientBoostingClassifier() with its defaults defines it (sklearn/ensemble/_gb.py,
// _gb_losses.py BinomialDeviance and MultinomialDeviance; Friedman, "Greedy function
// approximation: a gradient boosting machine", Ann. Stat. 2001, Algorithms 5 (LK_TreeBoost) and 6).
//
// K classes, T = 1 score when K = 2 and T = K scores otherwise; F_k(x) the raw scores.
//   start     K = 2: F = log(p / (1 − p)), p the fraction of the second class;
//             K > 2: F_k = log p_k, p_k the class frequencies (both clipped to [ε₃₂, 1 − ε₃₂])
//   stage m   for each k, from the scores before the stage:
//               residual  r_ik = y_ik − P_k(x_i)      P = σ(F) (K = 2) or softmax(F) (K > 2),
//                                                      y_ik = [y_i is class k]
//               tree      a regression tree of depth 3 on r_·k (regression_tree.hpp)
//               leaves    γ = Σ_leaf r / Σ_leaf (y − r)(1 − y + r)   (one Newton step; times (K − 1)/K
//                         when K > 2; 0 when the denominator is below 10⁻¹⁵⁰)
//               update    F_k(x_i) += learning_rate · γ(leaf of x_i)
//   predict   K = 2: the second class when F > 0; K > 2: argmax_k F_k (the first on ties).
//
// Feature importances (sklearn's feature_importances_): each tree with at least one split gives its
// impurity decreases per feature divided by its root's sample count (tree_feature_importances); they
// are averaged over those trees and normalised to sum to 1 (all zero when no tree split).
//
// Deterministic: no subsampling, and split ties go to the lowest feature index (sklearn breaks
// them by a random feature order). The T trees of a stage are independent given the scores before
// the stage and are grown in parallel, each by one thread, so the thread count changes nothing.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/metrics/classifiers/regression_tree.hpp"

namespace elbo::metrics {

struct GradientBoostingOptions {
  int num_stages = 100;  // n_estimators
  double learning_rate = 0.1;
  int max_depth = 3;
  int64_t min_samples_split = 2;
  int64_t min_samples_leaf = 1;
};

struct GradientBoostingClassifier {
  int64_t num_features = 0;
  std::vector<int64_t> classes;        // sorted; at least two
  int64_t trees_per_stage = 0;         // T
  std::vector<double> initial_scores;  // [T]
  double learning_rate = 0.1;
  std::vector<RegressionTree> trees;   // [stages, T]: tree (m, k) at m·T + k
};

GradientBoostingClassifier fit_gradient_boosting(const double* x, const int64_t* y, int64_t n, int64_t d,
                                                 const GradientBoostingOptions& options = {});

// Raw scores F(x): out[n, T].
void gradient_boosting_decision_function(const GradientBoostingClassifier& model, const double* x, int64_t n,
                                         double* out);

std::vector<int64_t> gradient_boosting_predict(const GradientBoostingClassifier& model, const double* x, int64_t n);

// Normalised impurity-based importances, one per feature, summing to 1 (or all 0).
std::vector<double> gradient_boosting_feature_importances(const GradientBoostingClassifier& model);

}  // namespace elbo::metrics
