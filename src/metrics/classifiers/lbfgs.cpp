#include "elbo/metrics/classifiers/lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "elbo/error.hpp"

namespace elbo::metrics {
namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double max_abs(const std::vector<double>& a) {
  double m = 0.0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}

}  // namespace

LbfgsResult minimize_lbfgs(const ObjectiveFn& f, std::vector<double>& x, const LbfgsOptions& options) {
  ELBO_CHECK(options.history >= 1 && options.max_iterations >= 0 && options.gradient_tolerance >= 0.0,
             "minimize_lbfgs: need history ≥ 1, max_iterations ≥ 0, gradient_tolerance ≥ 0; got ", options.history,
             ", ", options.max_iterations, ", ", options.gradient_tolerance);
  const size_t n = x.size();
  const size_t m = static_cast<size_t>(options.history);
  std::vector<double> g(n), x_new(n), g_new(n), d(n), alpha(m);
  std::vector<std::vector<double>> s_hist, y_hist;  // oldest first, at most m pairs
  std::vector<double> rho_hist;

  LbfgsResult r;
  r.value = f(x.data(), g.data());
  r.evaluations = 1;
  ELBO_CHECK(std::isfinite(r.value), "minimize_lbfgs: the objective is not finite at the starting point");
  r.gradient_norm = max_abs(g);

  while (r.gradient_norm > options.gradient_tolerance && r.iterations < options.max_iterations) {
    // Two-loop recursion: d = −H g.
    for (size_t i = 0; i < n; ++i) d[i] = -g[i];
    const size_t k = s_hist.size();
    for (size_t j = k; j-- > 0;) {
      alpha[j] = rho_hist[j] * dot(s_hist[j], d);
      for (size_t i = 0; i < n; ++i) d[i] -= alpha[j] * y_hist[j][i];
    }
    double gamma = 1.0;
    if (k > 0) gamma = 1.0 / (rho_hist[k - 1] * dot(y_hist[k - 1], y_hist[k - 1]));
    else gamma = 1.0 / std::max(1.0, max_abs(g));  // first step: at most unit length per coordinate
    for (size_t i = 0; i < n; ++i) d[i] *= gamma;
    for (size_t j = 0; j < k; ++j) {
      const double beta = rho_hist[j] * dot(y_hist[j], d);
      for (size_t i = 0; i < n; ++i) d[i] += (alpha[j] - beta) * s_hist[j][i];
    }
    double slope = dot(g, d);
    if (!(slope < 0.0)) {  // not a descent direction (rounding): restart from steepest descent
      s_hist.clear();
      y_hist.clear();
      rho_hist.clear();
      for (size_t i = 0; i < n; ++i) d[i] = -g[i] / std::max(1.0, max_abs(g));
      slope = dot(g, d);
    }

    // Backtracking line search.
    double step = 1.0, value_new = 0.0, gradient_norm_new = 0.0;
    bool accepted = false;
    for (int halving = 0; halving < 40 && !accepted; ++halving, step *= 0.5) {
      for (size_t i = 0; i < n; ++i) x_new[i] = x[i] + step * d[i];
      value_new = f(x_new.data(), g_new.data());
      ++r.evaluations;
      if (!std::isfinite(value_new)) continue;
      gradient_norm_new = max_abs(g_new);
      const bool armijo = value_new <= r.value + 1e-4 * step * slope;
      const bool flat = value_new - r.value <= 4.0 * std::numeric_limits<double>::epsilon() * std::abs(r.value) &&
                        gradient_norm_new < r.gradient_norm;
      accepted = armijo || flat;
      if (accepted) break;
    }
    if (!accepted) break;

    std::vector<double> s(n), y(n);
    for (size_t i = 0; i < n; ++i) {
      s[i] = x_new[i] - x[i];
      y[i] = g_new[i] - g[i];
    }
    const double sy = dot(s, y), yy = dot(y, y);
    if (sy > 1e-10 * yy && sy > 0.0) {
      if (s_hist.size() == m) {
        s_hist.erase(s_hist.begin());
        y_hist.erase(y_hist.begin());
        rho_hist.erase(rho_hist.begin());
      }
      s_hist.push_back(std::move(s));
      y_hist.push_back(std::move(y));
      rho_hist.push_back(1.0 / sy);
    }
    x.swap(x_new);
    g.swap(g_new);
    r.value = value_new;
    r.gradient_norm = gradient_norm_new;
    ++r.iterations;
  }
  r.converged = r.gradient_norm <= options.gradient_tolerance;
  return r;
}

}  // namespace elbo::metrics
