#include "elbo/metrics/classifiers/gradient_boosting.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "elbo/error.hpp"
#include "elbo/metrics/classifiers/labels.hpp"

namespace elbo::metrics {

GradientBoostingClassifier fit_gradient_boosting(const double* x, const int64_t* y, int64_t n, int64_t d,
                                                 const GradientBoostingOptions& o) {
  ELBO_CHECK(n > 0 && d > 0, "fit_gradient_boosting: need n > 0 samples and d > 0 features, got n = ", n,
             ", d = ", d);
  ELBO_CHECK(o.num_stages >= 1 && o.learning_rate > 0.0, "fit_gradient_boosting: need num_stages ≥ 1 and ",
             "learning_rate > 0, got ", o.num_stages, " and ", o.learning_rate);
  GradientBoostingClassifier model;
  model.num_features = d;
  model.learning_rate = o.learning_rate;
  model.classes = sorted_classes(y, n);
  const int64_t K = static_cast<int64_t>(model.classes.size());
  ELBO_CHECK(K >= 2, "fit_gradient_boosting: the labels hold a single class (", model.classes[0],
             "); need at least two");
  const std::vector<int64_t> label = class_indices(model.classes, y, n);
  const int64_t T = K == 2 ? 1 : K;
  model.trees_per_stage = T;

  // Initial scores from the class frequencies.
  const double eps = static_cast<double>(FLT_EPSILON);
  std::vector<double> frequency(static_cast<size_t>(K), 0.0);
  for (int64_t c : label) frequency[static_cast<size_t>(c)] += 1.0;
  for (double& p : frequency) p = std::clamp(p / static_cast<double>(n), eps, 1.0 - eps);
  model.initial_scores.resize(static_cast<size_t>(T));
  if (K == 2) model.initial_scores[0] = std::log(frequency[1] / (1.0 - frequency[1]));
  else
    for (int64_t k = 0; k < K; ++k) model.initial_scores[static_cast<size_t>(k)] = std::log(frequency[static_cast<size_t>(k)]);

  const TreeData data = make_tree_data(x, n, d);
  std::vector<double> scores(static_cast<size_t>(n * T));  // [n, T]
  for (int64_t i = 0; i < n; ++i)
    std::copy(model.initial_scores.begin(), model.initial_scores.end(), scores.begin() + i * T);
  std::vector<double> residual(static_cast<size_t>(T * n));  // [T, n]
  std::vector<std::vector<int32_t>> leaf_of(static_cast<size_t>(T));
  RegressionTreeOptions tree_options{o.max_depth, o.min_samples_split, o.min_samples_leaf};
  model.trees.resize(static_cast<size_t>(o.num_stages * T));

  for (int stage = 0; stage < o.num_stages; ++stage) {
    // Residuals y − P from the scores before this stage.
    for (int64_t i = 0; i < n; ++i) {
      const double* F = scores.data() + i * T;
      if (K == 2) {
        const double p = F[0] >= 0.0 ? 1.0 / (1.0 + std::exp(-F[0])) : std::exp(F[0]) / (1.0 + std::exp(F[0]));
        residual[static_cast<size_t>(i)] = (label[static_cast<size_t>(i)] == 1 ? 1.0 : 0.0) - p;
        continue;
      }
      double fmax = F[0];
      for (int64_t k = 1; k < K; ++k) fmax = std::max(fmax, F[k]);
      double total = 0.0;
      for (int64_t k = 0; k < K; ++k) total += std::exp(F[k] - fmax);
      const double log_total = std::log(total) + fmax;
      for (int64_t k = 0; k < K; ++k)
        residual[static_cast<size_t>(k * n + i)] =
            (label[static_cast<size_t>(i)] == k ? 1.0 : 0.0) - std::exp(F[k] - log_total);
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t k = 0; k < T; ++k) {
      const double* r = residual.data() + k * n;
      std::vector<int32_t>& leaves = leaf_of[static_cast<size_t>(k)];
      RegressionTree tree = fit_regression_tree(data, r, tree_options, leaves);
      // One Newton step per leaf: γ = Σ r / Σ (y − r)(1 − y + r).
      std::vector<double> numerator(tree.nodes.size(), 0.0), denominator(tree.nodes.size(), 0.0);
      const int64_t positive = K == 2 ? 1 : k;
      for (int64_t i = 0; i < n; ++i) {
        const double yi = label[static_cast<size_t>(i)] == positive ? 1.0 : 0.0;
        const size_t leaf = static_cast<size_t>(leaves[static_cast<size_t>(i)]);
        numerator[leaf] += r[i];
        denominator[leaf] += (yi - r[i]) * (1.0 - yi + r[i]);
      }
      const double factor = K == 2 ? 1.0 : static_cast<double>(K - 1) / static_cast<double>(K);
      for (size_t t = 0; t < tree.nodes.size(); ++t) {
        if (tree.nodes[t].feature >= 0) continue;
        tree.nodes[t].value = std::abs(denominator[t]) < 1e-150 ? 0.0 : factor * numerator[t] / denominator[t];
      }
      for (int64_t i = 0; i < n; ++i)
        scores[static_cast<size_t>(i * T + k)] +=
            o.learning_rate * tree.nodes[static_cast<size_t>(leaves[static_cast<size_t>(i)])].value;
      model.trees[static_cast<size_t>(stage * T + k)] = std::move(tree);
    }
  }
  return model;
}

void gradient_boosting_decision_function(const GradientBoostingClassifier& model, const double* x, int64_t n,
                                         double* out) {
  const int64_t T = model.trees_per_stage, d = model.num_features;
  ELBO_CHECK(T >= 1, "gradient_boosting_decision_function: the model is not fitted");
  const int64_t stages = static_cast<int64_t>(model.trees.size()) / T;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < T; ++k) {
      double F = model.initial_scores[static_cast<size_t>(k)];
      for (int64_t m = 0; m < stages; ++m) {
        const RegressionTree& tree = model.trees[static_cast<size_t>(m * T + k)];
        F += model.learning_rate * tree.nodes[static_cast<size_t>(tree_apply(tree, x + i * d))].value;
      }
      out[i * T + k] = F;
    }
  }
}

std::vector<int64_t> gradient_boosting_predict(const GradientBoostingClassifier& model, const double* x, int64_t n) {
  const int64_t T = model.trees_per_stage;
  std::vector<double> scores(static_cast<size_t>(n * T));
  gradient_boosting_decision_function(model, x, n, scores.data());
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double* F = scores.data() + i * T;
    int64_t best = 0;
    if (T == 1) best = F[0] > 0.0 ? 1 : 0;
    else
      for (int64_t k = 1; k < T; ++k)
        if (F[k] > F[best]) best = k;
    labels[static_cast<size_t>(i)] = model.classes[static_cast<size_t>(best)];
  }
  return labels;
}

std::vector<double> gradient_boosting_feature_importances(const GradientBoostingClassifier& model) {
  const int64_t d = model.num_features;
  std::vector<double> total(static_cast<size_t>(d), 0.0);
  int64_t relevant = 0;
  for (const RegressionTree& tree : model.trees) {
    if (tree.nodes.size() <= 1) continue;
    const std::vector<double> importance = tree_feature_importances(tree, d);
    for (int64_t f = 0; f < d; ++f) total[static_cast<size_t>(f)] += importance[static_cast<size_t>(f)];
    ++relevant;
  }
  double sum = 0.0;
  for (double& v : total) {
    v /= static_cast<double>(std::max<int64_t>(relevant, 1));
    sum += v;
  }
  if (sum > 0.0)
    for (double& v : total) v /= sum;
  return total;
}

}  // namespace elbo::metrics
