#include "elbo/metrics/irs.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/error.hpp"
#include "elbo/metrics/discretize.hpp"

namespace elbo::metrics {
namespace {

// numpy.percentile(values, 100·q) with linear interpolation; sorts `values`.
double percentile(std::vector<double>& values, double q) {
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, values.size() - 1);
  const double t = position - static_cast<double>(below);
  const double a = values[below], b = values[above];
  // numpy's _lerp: a + (b − a)·t, computed from the upper end when t ≥ ½.
  return t >= 0.5 ? b - (b - a) * (1.0 - t) : a + (b - a) * t;
}

}  // namespace

IrsResult irs_from_codes(const Tensor& codes_in, const Tensor& factors_in, double diff_quantile, int64_t num_bins) {
  Tensor codes = codes_in, factors = factors_in;
  check_codes_and_factors("irs", codes, factors);
  ELBO_CHECK(diff_quantile >= 0.0 && diff_quantile <= 1.0, "irs: diff_quantile must be in [0, 1], got ", diff_quantile);
  const int64_t N = codes.size(0), D = codes.size(1), K = factors.size(1);
  const double* z_all = codes.data<double>();

  // Factors as doubles, discretised per column: labels[K, N].
  std::vector<double> factor_values(static_cast<size_t>(N * K));
  for (int64_t q = 0; q < N * K; ++q) factor_values[static_cast<size_t>(q)] = static_cast<double>(factors.data<int64_t>()[q]);
  const std::vector<int64_t> labels = histogram_discretize(factor_values.data(), N, K, num_bins);

  // Active codes: nonzero variance (ddof 0, as numpy's var).
  std::vector<int64_t> active;
  for (int64_t d = 0; d < D; ++d) {
    double mean = 0.0, var = 0.0;
    for (int64_t n = 0; n < N; ++n) mean += z_all[n * D + d];
    mean /= static_cast<double>(N);
    for (int64_t n = 0; n < N; ++n) var += (z_all[n * D + d] - mean) * (z_all[n * D + d] - mean);
    if (var > 0.0) active.push_back(d);
  }
  IrsResult r;
  r.num_active_dims = static_cast<int64_t>(active.size());
  if (active.empty()) return r;  // the reference scores 0
  const int64_t A = r.num_active_dims;

  std::vector<double> max_deviation(static_cast<size_t>(A), 0.0);
  for (int64_t a = 0; a < A; ++a) {
    const int64_t d = active[static_cast<size_t>(a)];
    double mean = 0.0;
    for (int64_t n = 0; n < N; ++n) mean += z_all[n * D + d];
    mean /= static_cast<double>(N);
    for (int64_t n = 0; n < N; ++n)
      max_deviation[static_cast<size_t>(a)] = std::max(max_deviation[static_cast<size_t>(a)], std::abs(z_all[n * D + d] - mean));
  }

  std::vector<double> cumulative(static_cast<size_t>(A * K), 0.0);  // [A, K]
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t j = 0; j < K; ++j) {
    const int64_t* v = labels.data() + j * N;
    std::vector<int64_t> values(v, v + N);
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    std::vector<int64_t> members;
    std::vector<double> deviations;
    for (int64_t u : values) {
      members.clear();
      for (int64_t n = 0; n < N; ++n)
        if (v[n] == u) members.push_back(n);
      for (int64_t a = 0; a < A; ++a) {
        const int64_t d = active[static_cast<size_t>(a)];
        double mean = 0.0;
        for (int64_t n : members) mean += z_all[n * D + d];
        mean /= static_cast<double>(members.size());
        deviations.clear();
        for (int64_t n : members) deviations.push_back(std::abs(z_all[n * D + d] - mean));
        cumulative[static_cast<size_t>(a * K + j)] += percentile(deviations, diff_quantile);
      }
    }
    for (int64_t a = 0; a < A; ++a) cumulative[static_cast<size_t>(a * K + j)] /= static_cast<double>(values.size());
  }

  double weighted = 0.0, weights = 0.0;
  r.per_code.resize(static_cast<size_t>(A));
  for (int64_t a = 0; a < A; ++a) {
    double best = -INFINITY;
    for (int64_t j = 0; j < K; ++j)
      best = std::max(best, 1.0 - cumulative[static_cast<size_t>(a * K + j)] / max_deviation[static_cast<size_t>(a)]);
    r.per_code[static_cast<size_t>(a)] = best;
    weighted += max_deviation[static_cast<size_t>(a)] * best;
    weights += max_deviation[static_cast<size_t>(a)];
  }
  r.irs = weighted / weights;
  return r;
}

IrsResult irs(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng, const IrsOptions& o) {
  CodesAndFactors train = sample_codes_and_factors(dataset, rep, o.num_train, o.batch_size, rng);
  return irs_from_codes(train.codes, train.factors, o.diff_quantile, o.num_bins);
}

}  // namespace elbo::metrics
