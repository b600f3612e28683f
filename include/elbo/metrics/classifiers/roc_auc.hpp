// Area under the ROC curve, computed as the Mann–Whitney U statistic (Hanley & McNeil, "The meaning
// and use of the area under a receiver operating characteristic (ROC) curve", Radiology 1982):
//
//   AUC = (1 / (n₊ n₋)) Σ_{i positive} Σ_{j negative} ( [s_i > s_j] + ½ [s_i = s_j] )
//       = (R₊ − n₊(n₊ + 1)/2) / (n₊ n₋)
//
// with R₊ the sum of the positives' ranks among all scores, tied scores sharing their mean rank.
// This equals scikit-learn's roc_auc_score (the trapezoidal area, which also counts a tie as ½).
// The scores are sorted once, O(n log n).
#pragma once
#include <cstdint>

namespace elbo::metrics {

// AUC of scores[n] for the binary labels positive[n] (nonzero = positive). Needs at least one
// positive and one negative.
double roc_auc(const double* scores, const uint8_t* positive, int64_t n);

// One-vs-rest macro average over the columns of proba[n, K] against labels[n]: column k scores
// "label == k"; a label outside [0, K) (a class the classifier never saw) is negative everywhere. As sklearn's roc_auc_score on one-hot targets (average="macro",
// what disentanglement_lib's explicitness computes), except that a class without both positives and
// negatives among the n samples is skipped instead of raising an error. NaN when none has both.
double roc_auc_one_vs_rest(const double* proba, const int64_t* labels, int64_t n, int64_t K);

}  // namespace elbo::metrics
