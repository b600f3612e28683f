// Regression tree grown greedily to a fixed depth with Friedman's split criterion, as
// scikit-learn's DecisionTreeRegressor(criterion="friedman_mse", splitter="best") grows the trees
// of GradientBoostingClassifier (sklearn/tree/_criterion.pyx FriedmanMSE, _splitter.pyx
// BestSplitter, _tree.pyx DepthFirstTreeBuilder). Used by gradient_boosting.hpp.
//
// A node holding samples S with targets r splits on a feature f and threshold τ into
// L = {x_f ≤ τ} and R = {x_f > τ}, choosing the split that maximises Friedman's improvement
// ("Greedy function approximation: a gradient boosting machine", Ann. Stat. 2001, eq. 35):
//
//   proxy(L, R) = (n_R Σ_L r − n_L Σ_R r)² / (n_L n_R)
//
// Candidates are the midpoints τ = x_(p−1)/2 + x_(p)/2 between consecutive sorted values of the
// node that differ by more than 10⁻⁷ (τ = x_(p−1) if the midpoint rounds to x_(p)). Features are
// stored in float32 as sklearn stores them; thresholds are doubles. Ties: the first feature, then
// the lowest threshold, wins (sklearn visits features in a random order instead).
//
// A node is a leaf when it is at max_depth, holds fewer than min_samples_split samples (or fewer
// than 2·min_samples_leaf), its impurity (the variance of r, computed as Σr²/n − (Σr/n)²) is at
// most DBL_EPSILON, or no candidate leaves min_samples_leaf samples on each side. A leaf predicts
// the mean of its targets (gradient boosting overwrites it).
//
// The tree is grown one depth level at a time: for each feature, one pass over all samples in that
// feature's presorted order accumulates every open node's left sums, so a level costs O(n·d).
// Candidates are compared by cross-multiplying, diff²·(n_L' n_R') > diff'²·(n_L n_R), rather than
// dividing: the same order up to rounding.
#pragma once
#include <cstdint>
#include <vector>

namespace elbo::metrics {

struct RegressionTreeOptions {
  int max_depth = 3;
  int64_t min_samples_split = 2;
  int64_t min_samples_leaf = 1;
};

struct TreeNode {
  int32_t feature = -1;  // −1 for a leaf
  double threshold = 0.0;
  int32_t left = -1, right = -1;
  double value = 0.0;     // the prediction of a leaf
  double impurity = 0.0;  // variance of the targets in the node
  int64_t samples = 0;
};

struct RegressionTree {
  std::vector<TreeNode> nodes;  // nodes[0] is the root
};

// The training features as the tree builder reads them: float32 columns and, per feature, the
// sample indices sorted by value (ties by index) with the values in that order.
struct TreeData {
  int64_t n = 0, d = 0;
  std::vector<float> columns;        // [d, n]
  std::vector<int32_t> sorted;       // [d, n]
  std::vector<float> sorted_values;  // [d, n]: columns[f][sorted[f][j]]
};

TreeData make_tree_data(const double* x, int64_t n, int64_t d);

// Grows a tree on target[n]; writes each training sample's leaf (node index) to leaf_of[n].
RegressionTree fit_regression_tree(const TreeData& data, const double* target, const RegressionTreeOptions& options,
                                   std::vector<int32_t>& leaf_of);

// The leaf reached by one sample x[d] (compared in float32, as sklearn does).
int32_t tree_apply(const RegressionTree& tree, const double* x);

// Impurity decrease per feature, Σ over the splits on it of n·imp − n_L·imp_L − n_R·imp_R,
// divided by the root's n (sklearn's compute_feature_importances(normalize=False)).
std::vector<double> tree_feature_importances(const RegressionTree& tree, int64_t d);

}  // namespace elbo::metrics
