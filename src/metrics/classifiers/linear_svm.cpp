#include "elbo/metrics/classifiers/linear_svm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "elbo/error.hpp"
#include "elbo/metrics/classifiers/labels.hpp"
#include "elbo/rng.hpp"

namespace elbo::metrics {
namespace {

struct BinaryResult {
  int epochs = 0;
  bool converged = false;
};

// Dual coordinate descent for one binary problem: sign[i] = ±1, cost[i] = C_i. Writes w̃ (d + 1
// entries when an intercept is fitted: the last is the weight of the constant feature).
BinaryResult solve_binary(const double* x, const double* sign, const double* cost, int64_t n, int64_t d,
                          const LinearSvmOptions& o, uint64_t problem, double* w) {
  const bool bias = o.fit_intercept;
  const double scale = o.intercept_scaling;
  const int64_t dw = d + (bias ? 1 : 0);
  std::fill(w, w + dw, 0.0);
  std::vector<double> alpha(static_cast<size_t>(n), 0.0), diag(static_cast<size_t>(n)), upper(static_cast<size_t>(n)),
      qbar(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const bool squared = o.loss == SvmLoss::squared_hinge;
    diag[static_cast<size_t>(i)] = squared ? 0.5 / cost[i] : 0.0;
    upper[static_cast<size_t>(i)] = squared ? std::numeric_limits<double>::infinity() : cost[i];
    double q = bias ? scale * scale : 0.0;
    for (int64_t j = 0; j < d; ++j) q += x[i * d + j] * x[i * d + j];
    qbar[static_cast<size_t>(i)] = q + diag[static_cast<size_t>(i)];
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  Rng rng{o.seed, /*stream=*/0x73766d00ULL + problem, 0};
  BinaryResult r;
  while (r.epochs < o.max_epochs) {
    std::iota(order.begin(), order.end(), 0);
    for (int64_t i = n - 1; i > 0; --i)  // Fisher–Yates
      std::swap(order[static_cast<size_t>(i)], order[rng.below(static_cast<uint64_t>(i + 1))]);
    double pg_max = -std::numeric_limits<double>::infinity(), pg_min = std::numeric_limits<double>::infinity();
    for (int64_t i : order) {
      const size_t s = static_cast<size_t>(i);
      if (qbar[s] <= 0.0) continue;  // an all-zero sample with no intercept and hinge loss: no effect
      const double* xi = x + i * d;
      double margin = bias ? w[d] * scale : 0.0;
      for (int64_t j = 0; j < d; ++j) margin += w[j] * xi[j];
      const double G = sign[i] * margin - 1.0 + diag[s] * alpha[s];
      double pg = G;
      if (alpha[s] == 0.0) pg = std::min(G, 0.0);
      else if (alpha[s] == upper[s]) pg = std::max(G, 0.0);
      pg_max = std::max(pg_max, pg);
      pg_min = std::min(pg_min, pg);
      if (std::abs(pg) > 1e-12) {
        const double old = alpha[s];
        alpha[s] = std::min(std::max(old - G / qbar[s], 0.0), upper[s]);
        const double delta = (alpha[s] - old) * sign[i];
        for (int64_t j = 0; j < d; ++j) w[j] += delta * xi[j];
        if (bias) w[d] += delta * scale;
      }
    }
    ++r.epochs;
    if (pg_max - pg_min <= o.tolerance) {
      r.converged = true;
      break;
    }
  }
  return r;
}

}  // namespace

LinearSvm fit_linear_svm(const double* x, const int64_t* y, int64_t n, int64_t d, const LinearSvmOptions& o) {
  ELBO_CHECK(n > 0 && d > 0, "fit_linear_svm: need n > 0 samples and d > 0 features, got n = ", n, ", d = ", d);
  ELBO_CHECK(o.C > 0.0 && o.tolerance > 0.0 && o.max_epochs > 0 && o.intercept_scaling > 0.0,
             "fit_linear_svm: need C > 0, tolerance > 0, max_epochs > 0, intercept_scaling > 0; got C = ", o.C,
             ", tolerance = ", o.tolerance, ", max_epochs = ", o.max_epochs, ", intercept_scaling = ",
             o.intercept_scaling);
  for (int64_t q = 0; q < n * d; ++q)
    ELBO_CHECK(std::isfinite(x[q]), "fit_linear_svm: feature ", q % d, " of sample ", q / d, " is not finite");
  LinearSvm model;
  model.num_features = d;
  model.classes = sorted_classes(y, n);
  const int64_t K = static_cast<int64_t>(model.classes.size());
  ELBO_CHECK(K >= 2, "fit_linear_svm: the labels hold a single class (", model.classes[0], "); need at least two");
  const std::vector<int64_t> index = class_indices(model.classes, y, n);

  std::vector<double> class_weight(static_cast<size_t>(K), 1.0);
  if (o.balanced) {
    std::vector<int64_t> count(static_cast<size_t>(K), 0);
    for (int64_t c : index) ++count[static_cast<size_t>(c)];
    for (int64_t k = 0; k < K; ++k)
      class_weight[static_cast<size_t>(k)] =
          static_cast<double>(n) / (static_cast<double>(K) * static_cast<double>(count[static_cast<size_t>(k)]));
  }

  const int64_t rows = K == 2 ? 1 : K;
  const int64_t dw = d + (o.fit_intercept ? 1 : 0);
  model.weights.assign(static_cast<size_t>(rows * d), 0.0);
  model.intercepts.assign(static_cast<size_t>(rows), 0.0);
  std::vector<double> sign(static_cast<size_t>(n)), cost(static_cast<size_t>(n)), w(static_cast<size_t>(dw));
  model.converged = true;
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t positive = K == 2 ? 1 : row;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = index[static_cast<size_t>(i)];
      const bool is_positive = c == positive;
      sign[static_cast<size_t>(i)] = is_positive ? 1.0 : -1.0;
      const double weight = (K == 2 || is_positive) ? class_weight[static_cast<size_t>(c)] : 1.0;
      cost[static_cast<size_t>(i)] = o.C * weight;
    }
    BinaryResult r = solve_binary(x, sign.data(), cost.data(), n, d, o, static_cast<uint64_t>(row), w.data());
    model.epochs = std::max(model.epochs, r.epochs);
    model.converged = model.converged && r.converged;
    std::copy(w.begin(), w.begin() + d, model.weights.begin() + row * d);
    if (o.fit_intercept) model.intercepts[static_cast<size_t>(row)] = w[static_cast<size_t>(d)] * o.intercept_scaling;
  }
  return model;
}

void linear_svm_decision_function(const LinearSvm& model, const double* x, int64_t n, double* out) {
  const int64_t d = model.num_features;
  const int64_t rows = static_cast<int64_t>(model.intercepts.size());
  ELBO_CHECK(rows >= 1, "linear_svm_decision_function: the model is not fitted");
  for (int64_t i = 0; i < n; ++i)
    for (int64_t r = 0; r < rows; ++r) {
      double t = model.intercepts[static_cast<size_t>(r)];
      for (int64_t j = 0; j < d; ++j) t += model.weights[static_cast<size_t>(r * d + j)] * x[i * d + j];
      out[i * rows + r] = t;
    }
}

std::vector<int64_t> linear_svm_predict(const LinearSvm& model, const double* x, int64_t n) {
  const int64_t rows = static_cast<int64_t>(model.intercepts.size());
  std::vector<double> scores(static_cast<size_t>(n * rows));
  linear_svm_decision_function(model, x, n, scores.data());
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double* s = scores.data() + i * rows;
    int64_t best = 0;
    if (rows == 1) best = s[0] > 0.0 ? 1 : 0;
    else
      for (int64_t r = 1; r < rows; ++r)
        if (s[r] > s[best]) best = r;
    labels[static_cast<size_t>(i)] = model.classes[static_cast<size_t>(best)];
  }
  return labels;
}

}  // namespace elbo::metrics
