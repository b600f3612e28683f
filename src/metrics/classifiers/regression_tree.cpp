#include "elbo/metrics/classifiers/regression_tree.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <numeric>

#include "elbo/error.hpp"

namespace elbo::metrics {
namespace {

constexpr double kFeatureThreshold = 1e-7;  // sklearn's FEATURE_THRESHOLD

struct NodeStats {
  int64_t count = 0;
  double sum = 0.0, sum_squares = 0.0;
  double impurity() const {
    const double mean = sum / static_cast<double>(count);
    return sum_squares / static_cast<double>(count) - mean * mean;
  }
};

struct BestSplit {
  double proxy = -std::numeric_limits<double>::infinity();
  int32_t feature = -1;
  double threshold = 0.0;
  NodeStats left;
};

// Running state of one open node during a pass over one feature.
struct Scan {
  NodeStats left;
  double last_value = 0.0;
};

}  // namespace

TreeData make_tree_data(const double* x, int64_t n, int64_t d) {
  ELBO_CHECK(n > 0 && d > 0 && n < std::numeric_limits<int32_t>::max(),
             "make_tree_data: need 0 < n < 2^31 samples and d > 0 features, got n = ", n, ", d = ", d);
  TreeData data;
  data.n = n;
  data.d = d;
  data.columns.resize(static_cast<size_t>(n * d));
  data.sorted.resize(static_cast<size_t>(n * d));
  for (int64_t f = 0; f < d; ++f) {
    float* column = data.columns.data() + f * n;
    for (int64_t i = 0; i < n; ++i) {
      ELBO_CHECK(std::isfinite(x[i * d + f]), "make_tree_data: feature ", f, " of sample ", i, " is not finite");
      column[i] = static_cast<float>(x[i * d + f]);
    }
    int32_t* order = data.sorted.data() + f * n;
    std::iota(order, order + n, 0);
    std::sort(order, order + n, [column](int32_t a, int32_t b) {
      return column[a] < column[b] || (column[a] == column[b] && a < b);
    });
  }
  return data;
}

RegressionTree fit_regression_tree(const TreeData& data, const double* target, const RegressionTreeOptions& o,
                                   std::vector<int32_t>& leaf_of) {
  ELBO_CHECK(o.max_depth >= 0 && o.min_samples_leaf >= 1 && o.min_samples_split >= 2,
             "fit_regression_tree: need max_depth ≥ 0, min_samples_leaf ≥ 1, min_samples_split ≥ 2");
  const int64_t n = data.n, d = data.d;
  const int64_t min_split = std::max(o.min_samples_split, 2 * o.min_samples_leaf);
  RegressionTree tree;
  std::vector<NodeStats> stats;  // per node
  leaf_of.assign(static_cast<size_t>(n), 0);

  NodeStats root;
  for (int64_t i = 0; i < n; ++i) {
    root.count += 1;
    root.sum += target[i];
    root.sum_squares += target[i] * target[i];
  }
  tree.nodes.push_back({});
  tree.nodes[0].samples = n;
  tree.nodes[0].impurity = root.impurity();
  tree.nodes[0].value = root.sum / static_cast<double>(n);
  stats.push_back(root);

  std::vector<int32_t> frontier = {0};  // nodes of the current depth
  std::vector<int32_t> slot_of;         // node → position in frontier, or −1 when it will not split
  std::vector<Scan> scan;
  std::vector<BestSplit> best;
  for (int depth = 0; depth < o.max_depth && !frontier.empty(); ++depth) {
    slot_of.assign(tree.nodes.size(), -1);
    int32_t open = 0;
    for (int32_t node : frontier) {
      const NodeStats& s = stats[static_cast<size_t>(node)];
      const bool leaf = s.count < min_split || tree.nodes[static_cast<size_t>(node)].impurity <= DBL_EPSILON;
      if (!leaf) slot_of[static_cast<size_t>(node)] = open++;
    }
    if (open == 0) break;
    best.assign(static_cast<size_t>(open), {});
    scan.resize(static_cast<size_t>(open));

    for (int64_t f = 0; f < d; ++f) {
      for (Scan& s : scan) s = {};
      const float* column = data.columns.data() + f * n;
      const int32_t* order = data.sorted.data() + f * n;
      for (int64_t j = 0; j < n; ++j) {
        const int32_t i = order[j];
        const int32_t slot = slot_of[static_cast<size_t>(leaf_of[static_cast<size_t>(i)])];
        if (slot < 0) continue;
        Scan& s = scan[static_cast<size_t>(slot)];
        const double value = static_cast<double>(column[i]);
        if (s.left.count > 0 && value > s.last_value + kFeatureThreshold) {
          // Candidate: the node's samples seen so far go left.
          const NodeStats& total = stats[static_cast<size_t>(leaf_of[static_cast<size_t>(i)])];
          const int64_t n_left = s.left.count, n_right = total.count - n_left;
          if (n_left >= o.min_samples_leaf && n_right >= o.min_samples_leaf) {
            const double nl = static_cast<double>(n_left), nr = static_cast<double>(n_right);
            const double diff = nr * s.left.sum - nl * (total.sum - s.left.sum);
            const double proxy = diff * diff / (nl * nr);
            BestSplit& b = best[static_cast<size_t>(slot)];
            if (proxy > b.proxy) {
              b.proxy = proxy;
              b.feature = static_cast<int32_t>(f);
              b.threshold = s.last_value / 2.0 + value / 2.0;
              if (b.threshold == value || std::isinf(b.threshold)) b.threshold = s.last_value;
              b.left = s.left;
            }
          }
        }
        s.left.count += 1;
        s.left.sum += target[i];
        s.left.sum_squares += target[i] * target[i];
        s.last_value = value;
      }
    }

    // Create the children of every node that found a split, then move its samples down.
    std::vector<int32_t> next;
    for (int32_t node : frontier) {
      const int32_t slot = slot_of[static_cast<size_t>(node)];
      if (slot < 0 || best[static_cast<size_t>(slot)].feature < 0) continue;
      const BestSplit& b = best[static_cast<size_t>(slot)];
      const NodeStats total = stats[static_cast<size_t>(node)];
      NodeStats right{total.count - b.left.count, total.sum - b.left.sum, total.sum_squares - b.left.sum_squares};
      const int32_t left_id = static_cast<int32_t>(tree.nodes.size());
      for (const NodeStats& child : {b.left, right}) {
        TreeNode c;
        c.samples = child.count;
        c.impurity = child.impurity();
        c.value = child.sum / static_cast<double>(child.count);
        tree.nodes.push_back(c);
        stats.push_back(child);
        next.push_back(static_cast<int32_t>(tree.nodes.size() - 1));
      }
      TreeNode& parent = tree.nodes[static_cast<size_t>(node)];
      parent.feature = b.feature;
      parent.threshold = b.threshold;
      parent.left = left_id;
      parent.right = left_id + 1;
    }
    for (int64_t i = 0; i < n; ++i) {
      const TreeNode& node = tree.nodes[static_cast<size_t>(leaf_of[static_cast<size_t>(i)])];
      if (node.feature < 0) continue;
      const double value = static_cast<double>(data.columns[static_cast<size_t>(node.feature * n + i)]);
      leaf_of[static_cast<size_t>(i)] = value <= node.threshold ? node.left : node.right;
    }
    frontier.swap(next);
  }
  return tree;
}

int32_t tree_apply(const RegressionTree& tree, const double* x) {
  int32_t node = 0;
  while (tree.nodes[static_cast<size_t>(node)].feature >= 0) {
    const TreeNode& t = tree.nodes[static_cast<size_t>(node)];
    const double value = static_cast<double>(static_cast<float>(x[t.feature]));
    node = value <= t.threshold ? t.left : t.right;
  }
  return node;
}

std::vector<double> tree_feature_importances(const RegressionTree& tree, int64_t d) {
  std::vector<double> importance(static_cast<size_t>(d), 0.0);
  for (const TreeNode& t : tree.nodes) {
    if (t.feature < 0) continue;
    const TreeNode& l = tree.nodes[static_cast<size_t>(t.left)];
    const TreeNode& r = tree.nodes[static_cast<size_t>(t.right)];
    importance[static_cast<size_t>(t.feature)] += static_cast<double>(t.samples) * t.impurity -
                                                  static_cast<double>(l.samples) * l.impurity -
                                                  static_cast<double>(r.samples) * r.impurity;
  }
  const double root = static_cast<double>(tree.nodes[0].samples);
  for (double& v : importance) v /= root;
  return importance;
}

}  // namespace elbo::metrics
