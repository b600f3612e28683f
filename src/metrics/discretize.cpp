#include "elbo/metrics/discretize.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/error.hpp"

namespace elbo::metrics {
namespace {

// lo + i·step with the product rounded before the sum, as numpy computes it. The volatile store
// keeps the compiler from fusing the two into one fused multiply-add (which rounds once).
double edge(double lo, double step, int64_t i) {
  volatile double product = static_cast<double>(i) * step;
  return product + lo;
}

}  // namespace

std::vector<int64_t> histogram_discretize(const double* values, int64_t n, int64_t columns, int64_t num_bins) {
  ELBO_CHECK(n > 0 && columns > 0 && num_bins >= 1, "histogram_discretize: need n > 0, columns > 0, num_bins ≥ 1; got ",
             n, ", ", columns, ", ", num_bins);
  std::vector<int64_t> labels(static_cast<size_t>(n * columns));
  std::vector<double> edges(static_cast<size_t>(num_bins));
  for (int64_t c = 0; c < columns; ++c) {
    double lo = values[c], hi = values[c];
    for (int64_t i = 0; i < n; ++i) {
      const double v = values[i * columns + c];
      ELBO_CHECK(std::isfinite(v), "histogram_discretize: value ", i, " of column ", c, " is not finite");
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    if (lo == hi) {
      lo -= 0.5;
      hi += 0.5;
    }
    const double step = (hi - lo) / static_cast<double>(num_bins);
    for (int64_t b = 0; b < num_bins; ++b) edges[static_cast<size_t>(b)] = edge(lo, step, b);
    int64_t* out = labels.data() + c * n;
    for (int64_t i = 0; i < n; ++i)
      out[i] = std::upper_bound(edges.begin(), edges.end(), values[i * columns + c]) - edges.begin();
  }
  return labels;
}

}  // namespace elbo::metrics
