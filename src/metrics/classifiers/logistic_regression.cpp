#include "elbo/metrics/classifiers/logistic_regression.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/error.hpp"
#include "elbo/metrics/classifiers/labels.hpp"

namespace elbo::metrics {
namespace {

// log(1 + exp(t)) without overflow.
double log1p_exp(double t) { return t > 0.0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t)); }

double sigmoid(double t) {
  if (t >= 0.0) return 1.0 / (1.0 + std::exp(-t));
  const double e = std::exp(t);
  return e / (1.0 + e);
}

// Binary objective / (C·n) over parameters p = [w (d), b].
//   F = (1/n) Σ log(1 + exp(−s_i t_i)) + ‖w‖² / (2Cn),  t_i = wᵀx_i + b
//   ∂F/∂w = (1/n) Σ (σ(t_i) − [s_i = +1]) x_i + w / (Cn),  ∂F/∂b = (1/n) Σ (σ(t_i) − [s_i = +1])
double binary_objective(const double* p, double* grad, const double* x, const int64_t* target, int64_t n, int64_t d,
                        double C, bool fit_intercept) {
  const double inv_n = 1.0 / static_cast<double>(n), inv_cn = inv_n / C;
  const double b = fit_intercept ? p[d] : 0.0;
  double loss = 0.0, grad_b = 0.0;
  for (int64_t j = 0; j < d; ++j) grad[j] = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double* xi = x + i * d;
    double t = b;
    for (int64_t j = 0; j < d; ++j) t += p[j] * xi[j];
    const double s = target[i] ? 1.0 : -1.0;
    loss += log1p_exp(-s * t);
    const double residual = sigmoid(t) - static_cast<double>(target[i]);
    for (int64_t j = 0; j < d; ++j) grad[j] += residual * xi[j];
    grad_b += residual;
  }
  double penalty = 0.0;
  for (int64_t j = 0; j < d; ++j) {
    penalty += p[j] * p[j];
    grad[j] = grad[j] * inv_n + p[j] * inv_cn;
  }
  if (fit_intercept) grad[d] = grad_b * inv_n;
  return loss * inv_n + 0.5 * penalty * inv_cn;
}

// Multinomial objective / (C·n) over p = [W (K×d), b (K)].
//   F = (1/n) Σ (logsumexp_k z_ik − z_{i,y_i}) + ‖W‖² / (2Cn),  z_ik = W_k·x_i + b_k
//   ∂F/∂W_k = (1/n) Σ (softmax_k(z_i) − [y_i = k]) x_i + W_k / (Cn)
double multinomial_objective(const double* p, double* grad, const double* x, const int64_t* target, int64_t n,
                             int64_t d, int64_t K, double C, bool fit_intercept, std::vector<double>& z) {
  const double inv_n = 1.0 / static_cast<double>(n), inv_cn = inv_n / C;
  const double* W = p;
  const double* b = p + K * d;
  double* gW = grad;
  double* gb = grad + K * d;
  std::fill(gW, gW + K * d, 0.0);
  if (fit_intercept) std::fill(gb, gb + K, 0.0);
  double loss = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double* xi = x + i * d;
    double zmax = -INFINITY;
    for (int64_t k = 0; k < K; ++k) {
      double t = fit_intercept ? b[k] : 0.0;
      for (int64_t j = 0; j < d; ++j) t += W[k * d + j] * xi[j];
      z[static_cast<size_t>(k)] = t;
      zmax = std::max(zmax, t);
    }
    const double z_label = z[static_cast<size_t>(target[i])];
    double total = 0.0;
    for (int64_t k = 0; k < K; ++k) {
      z[static_cast<size_t>(k)] = std::exp(z[static_cast<size_t>(k)] - zmax);
      total += z[static_cast<size_t>(k)];
    }
    loss += std::log(total) + zmax - z_label;  // logsumexp(z) − z_y
    for (int64_t k = 0; k < K; ++k) {
      const double residual = z[static_cast<size_t>(k)] / total - (k == target[i] ? 1.0 : 0.0);
      for (int64_t j = 0; j < d; ++j) gW[k * d + j] += residual * xi[j];
      if (fit_intercept) gb[k] += residual;
    }
  }
  double penalty = 0.0;
  for (int64_t q = 0; q < K * d; ++q) {
    penalty += W[q] * W[q];
    gW[q] = gW[q] * inv_n + W[q] * inv_cn;
  }
  if (fit_intercept)
    for (int64_t k = 0; k < K; ++k) gb[k] *= inv_n;
  return loss * inv_n + 0.5 * penalty * inv_cn;
}

}  // namespace

LogisticRegression fit_logistic_regression(const double* x, const int64_t* y, int64_t n, int64_t d,
                                           const LogisticRegressionOptions& options) {
  ELBO_CHECK(n > 0 && d > 0, "fit_logistic_regression: need n > 0 samples and d > 0 features, got n = ", n,
             ", d = ", d);
  ELBO_CHECK(options.C > 0.0, "fit_logistic_regression: C must be positive, got ", options.C);
  for (int64_t q = 0; q < n * d; ++q)
    ELBO_CHECK(std::isfinite(x[q]), "fit_logistic_regression: feature ", q % d, " of sample ", q / d,
               " is not finite");
  LogisticRegression model;
  model.num_features = d;
  model.classes = sorted_classes(y, n);
  const int64_t K = static_cast<int64_t>(model.classes.size());
  ELBO_CHECK(K >= 2, "fit_logistic_regression: the labels hold a single class (", model.classes[0],
             "); need at least two");
  const std::vector<int64_t> target = class_indices(model.classes, y, n);
  const int64_t rows = K == 2 ? 1 : K;
  const int64_t num_params = rows * d + (options.fit_intercept ? rows : 0);
  std::vector<double> p(static_cast<size_t>(num_params), 0.0);
  std::vector<double> z(static_cast<size_t>(K));

  ObjectiveFn objective = [&](const double* params, double* grad) {
    if (K == 2) return binary_objective(params, grad, x, target.data(), n, d, options.C, options.fit_intercept);
    return multinomial_objective(params, grad, x, target.data(), n, d, K, options.C, options.fit_intercept, z);
  };
  LbfgsOptions lbfgs;
  lbfgs.max_iterations = options.max_iterations;
  lbfgs.gradient_tolerance = options.gradient_tolerance;
  model.solver = minimize_lbfgs(objective, p, lbfgs);

  model.weights.assign(p.begin(), p.begin() + rows * d);
  model.intercepts.assign(static_cast<size_t>(rows), 0.0);
  if (options.fit_intercept) std::copy(p.begin() + rows * d, p.end(), model.intercepts.begin());
  return model;
}

void logistic_regression_predict_proba(const LogisticRegression& model, const double* x, int64_t n, double* proba) {
  const int64_t d = model.num_features, K = static_cast<int64_t>(model.classes.size());
  ELBO_CHECK(K >= 2, "logistic_regression_predict_proba: the model is not fitted");
  for (int64_t i = 0; i < n; ++i) {
    const double* xi = x + i * d;
    double* out = proba + i * K;
    if (K == 2) {
      double t = model.intercepts[0];
      for (int64_t j = 0; j < d; ++j) t += model.weights[static_cast<size_t>(j)] * xi[j];
      out[1] = sigmoid(t);
      out[0] = 1.0 - out[1];
      continue;
    }
    double zmax = -INFINITY;
    for (int64_t k = 0; k < K; ++k) {
      double t = model.intercepts[static_cast<size_t>(k)];
      for (int64_t j = 0; j < d; ++j) t += model.weights[static_cast<size_t>(k * d + j)] * xi[j];
      out[k] = t;
      zmax = std::max(zmax, t);
    }
    double total = 0.0;
    for (int64_t k = 0; k < K; ++k) total += (out[k] = std::exp(out[k] - zmax));
    for (int64_t k = 0; k < K; ++k) out[k] /= total;
  }
}

std::vector<int64_t> logistic_regression_predict(const LogisticRegression& model, const double* x, int64_t n) {
  const int64_t d = model.num_features, K = static_cast<int64_t>(model.classes.size());
  ELBO_CHECK(K >= 2, "logistic_regression_predict: the model is not fitted");
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double* xi = x + i * d;
    if (K == 2) {
      double t = model.intercepts[0];
      for (int64_t j = 0; j < d; ++j) t += model.weights[static_cast<size_t>(j)] * xi[j];
      labels[static_cast<size_t>(i)] = model.classes[t > 0.0 ? 1 : 0];
      continue;
    }
    // The largest linear score is the largest probability (softmax is monotone).
    int64_t best = 0;
    double best_score = -INFINITY;
    for (int64_t k = 0; k < K; ++k) {
      double t = model.intercepts[static_cast<size_t>(k)];
      for (int64_t j = 0; j < d; ++j) t += model.weights[static_cast<size_t>(k * d + j)] * xi[j];
      if (t > best_score) {
        best_score = t;
        best = k;
      }
    }
    labels[static_cast<size_t>(i)] = model.classes[static_cast<size_t>(best)];
  }
  return labels;
}

}  // namespace elbo::metrics
