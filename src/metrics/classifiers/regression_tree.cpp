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

// The best candidate so far; its proxy is numerator / denominator (−1 / 1 before the first).
struct BestSplit {
  double numerator = -1.0, denominator = 1.0;
  int32_t feature = -1;
  double threshold = 0.0;
  NodeStats left;
};

// Running state of one open node during a pass over one feature: its left part so far and its total.
struct Scan {
  NodeStats left;
  double last_value = 0.0;
  int64_t total_count = 0;
  double total_sum = 0.0;
};

// What the pass needs of each sample, gathered in one place: its target and its node's slot.
struct SampleState {
  double target = 0.0;
  int32_t slot = -1;  // position of its node among the open nodes, or −1
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
  data.sorted_values.resize(static_cast<size_t>(n * d));
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
    for (int64_t j = 0; j < n; ++j) data.sorted_values[static_cast<size_t>(f * n + j)] = column[order[j]];
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
  std::vector<SampleState> state(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) state[static_cast<size_t>(i)].target = target[i];
  for (int depth = 0; depth < o.max_depth && !frontier.empty(); ++depth) {
    slot_of.assign(tree.nodes.size(), -1);
    std::vector<int32_t> open_nodes;
    for (int32_t node : frontier) {
      const NodeStats& s = stats[static_cast<size_t>(node)];
      const bool leaf = s.count < min_split || tree.nodes[static_cast<size_t>(node)].impurity <= DBL_EPSILON;
      if (leaf) continue;
      slot_of[static_cast<size_t>(node)] = static_cast<int32_t>(open_nodes.size());
      open_nodes.push_back(node);
    }
    if (open_nodes.empty()) break;
    const size_t open = open_nodes.size();
    best.assign(open, {});
    scan.resize(open);
    for (int64_t i = 0; i < n; ++i)
      state[static_cast<size_t>(i)].slot = slot_of[static_cast<size_t>(leaf_of[static_cast<size_t>(i)])];

    for (int64_t f = 0; f < d; ++f) {
      const float* sorted_values = data.sorted_values.data() + f * n;
      const int32_t* order = data.sorted.data() + f * n;
      if (open == 1) {
        // One open node (always the root): the same scan with the running sums in registers.
        const NodeStats& total = stats[static_cast<size_t>(open_nodes[0])];
        BestSplit& b = best[0];
        int64_t count = 0;
        double sum = 0.0, last_value = 0.0;
        for (int64_t j = 0; j < n; ++j) {
          const SampleState& sample = state[static_cast<size_t>(order[j])];
          if (sample.slot < 0) continue;
          const double value = static_cast<double>(sorted_values[j]);
          if (count > 0 && value > last_value + kFeatureThreshold && count >= o.min_samples_leaf &&
              total.count - count >= o.min_samples_leaf) {
            const double nl = static_cast<double>(count), nr = static_cast<double>(total.count - count);
            const double diff = nr * sum - nl * (total.sum - sum);
            if (diff * diff * b.denominator > b.numerator * (nl * nr)) {
              b.numerator = diff * diff;
              b.denominator = nl * nr;
              b.feature = static_cast<int32_t>(f);
              b.threshold = last_value / 2.0 + value / 2.0;
              if (b.threshold == value || std::isinf(b.threshold)) b.threshold = last_value;
              b.left.count = count;
              b.left.sum = sum;
            }
          }
          count += 1;
          sum += sample.target;
          last_value = value;
        }
        continue;
      }
      for (size_t t = 0; t < open; ++t) {
        const NodeStats& total = stats[static_cast<size_t>(open_nodes[t])];
        scan[t] = {};
        scan[t].total_count = total.count;
        scan[t].total_sum = total.sum;
      }
      for (int64_t j = 0; j < n; ++j) {
        const SampleState& sample = state[static_cast<size_t>(order[j])];
        if (sample.slot < 0) continue;
        Scan& s = scan[static_cast<size_t>(sample.slot)];
        const double value = static_cast<double>(sorted_values[j]);
        if (s.left.count > 0 && value > s.last_value + kFeatureThreshold) {
          // Candidate: the node's samples seen so far go left.
          const int64_t n_left = s.left.count, n_right = s.total_count - n_left;
          if (n_left >= o.min_samples_leaf && n_right >= o.min_samples_leaf) {
            const double nl = static_cast<double>(n_left), nr = static_cast<double>(n_right);
            const double diff = nr * s.left.sum - nl * (s.total_sum - s.left.sum);
            BestSplit& b = best[static_cast<size_t>(sample.slot)];
            // proxy = diff² / (n_L n_R) > best, without dividing.
            if (diff * diff * b.denominator > b.numerator * (nl * nr)) {
              b.numerator = diff * diff;
              b.denominator = nl * nr;
              b.feature = static_cast<int32_t>(f);
              b.threshold = s.last_value / 2.0 + value / 2.0;
              if (b.threshold == value || std::isinf(b.threshold)) b.threshold = s.last_value;
              b.left = s.left;
            }
          }
        }
        s.left.count += 1;
        s.left.sum += sample.target;
        s.last_value = value;
      }
    }
    // The chosen left parts' sums of squares (for their impurities), in one pass over the samples.
    for (int64_t i = 0; i < n; ++i) {
      const SampleState& sample = state[static_cast<size_t>(i)];
      if (sample.slot < 0) continue;
      BestSplit& b = best[static_cast<size_t>(sample.slot)];
      if (b.feature >= 0 && static_cast<double>(data.columns[static_cast<size_t>(b.feature * n + i)]) <= b.threshold)
        b.left.sum_squares += sample.target * sample.target;
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
