// Estimators of I(U;X); the formulas and their sources are in elbo/info/mutual_information.hpp.
#include "elbo/info/mutual_information.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "elbo/info/bhattacharyya.hpp"
#include "elbo/info/units.hpp"
#include "elbo/ops/shape.hpp"
#include "elbo/rng.hpp"
#include "info/coefficient_rows.hpp"
#include "info/gaussian_mixture.hpp"
#include "ops/cpu/vecmath.hpp"

namespace elbo::info {

using detail::log_sum_exp;

namespace {

Estimate mean_and_error(const std::vector<double>& values) {
  return detail::mean_and_error(values.data(), static_cast<int64_t>(values.size()));
}

}  // namespace

double pairwise_distance_information(const Tensor& distances) {
  ELBO_CHECK(distances.defined() && distances.ndim() == 2 && distances.size(0) == distances.size(1) &&
                 is_floating(distances.dtype()),
             "pairwise_distance_information: need a square f32/f64 matrix of distances, got ",
             distances.defined() ? distances.str() : "undefined");
  Tensor d = contiguous(to_dtype(distances, DType::f64));
  const int64_t n = d.size(0);
  const double* p = d.data<double>();
  std::vector<double> row(static_cast<size_t>(n));
  double sum = 0.0;  // Σ_i ln Σ_j exp(−D_ij)
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      ELBO_CHECK(!std::isnan(p[i * n + j]) && p[i * n + j] >= -1e-9, "pairwise_distance_information: distance [", i,
                 ", ", j, "] = ", p[i * n + j], " (distances must be ≥ 0)");
      row[static_cast<size_t>(j)] = -p[i * n + j];
    }
    sum += log_sum_exp(row.data(), n);
  }
  // −(1/N) Σ_i log2((1/N) Σ_j e^−D_ij) = log2 N − (1/(N ln 2)) Σ_i ln Σ_j e^−D_ij
  return std::log2(static_cast<double>(n)) - sum / (static_cast<double>(n) * kLn2);
}

double information_lower_bound(const Tensor& means, const Tensor& logvars) {
  return pairwise_distance_information(bhattacharyya_distance_matrix(means, logvars));
}

double information_upper_bound(const Tensor& means, const Tensor& logvars) {
  return pairwise_distance_information(kl_divergence_matrix(means, logvars));
}

namespace {

template <class T>
Tensor channel_information_as(const ChannelSet& set) {
  detail::PreparedChannels<T> p = detail::prepare_channels<T>(set);
  const int64_t n = set.num_points, m = set.num_channels;
  Tensor out = empty(Shape{m}, DType::f64);
  double* info = out.data<double>();
  // Each channel is one thread's work, summed over i in order: the same bits at any thread count.
#pragma omp parallel
  {
    std::vector<T> row(static_cast<size_t>(n));
#pragma omp for schedule(dynamic, 1)
    for (int64_t c = 0; c < m; ++c) {
      double log_sum = 0.0;  // Σ_i ln Σ_j C_ij
      for (int64_t i = 0; i < n; ++i) {
        detail::fill_coefficient_row(p, c, i, row.data());
        log_sum += std::log(vm::sum_lanes(row.data(), n));
      }
      info[c] = std::log2(static_cast<double>(n)) - log_sum / (static_cast<double>(n) * kLn2);
    }
  }
  return out;
}

}  // namespace

Tensor channel_information(const ChannelSet& set) {
  return set.dtype == DType::f64 ? channel_information_as<double>(set) : channel_information_as<float>(set);
}

Estimate monte_carlo_information(const Tensor& means, const Tensor& logvars, const MonteCarloOptions& options) {
  ELBO_CHECK(options.samples >= 2, "monte_carlo_information: need at least 2 samples, got ", options.samples);
  const detail::GaussianMixture g("monte_carlo_information", means, logvars);
  const detail::JointChannel channel{{&g}};
  std::vector<double> values(static_cast<size_t>(options.samples));
  const int64_t blocks = (options.samples + detail::kSampleBlock - 1) / detail::kSampleBlock;
  // Sample s writes values[s] only, and the mean sums them in order: the same bits at any thread count.
#pragma omp parallel
  {
    std::vector<double> u(static_cast<size_t>(detail::kSampleBlock * g.dims));
    std::vector<double> log_p(static_cast<size_t>(detail::kSampleBlock * g.count));
#pragma omp for schedule(static)
    for (int64_t block = 0; block < blocks; ++block) {
      const int64_t first = block * detail::kSampleBlock, count = std::min(detail::kSampleBlock, options.samples - first);
      detail::monte_carlo_samples(channel, options.seed, options.stream, first, count, u.data(), log_p.data(),
                                  values.data() + first);
    }
  }
  return mean_and_error(values);
}

BatchBounds batch_information_bounds(const Tensor& means, const Tensor& logvars, const BatchBoundOptions& options) {
  ELBO_CHECK(options.batch_size >= 2, "batch_information_bounds: batch size ", options.batch_size,
             " must be at least 2 (the leave-one-out bound needs another point)");
  ELBO_CHECK(options.batches >= 1, "batch_information_bounds: need at least one batch, got ", options.batches);
  const detail::GaussianMixture g("batch_information_bounds", means, logvars);
  const int64_t n = g.count, d = g.dims, b = options.batch_size;
  std::vector<double> lower(static_cast<size_t>(options.batches)), upper(lower.size());
  std::vector<int64_t> index(static_cast<size_t>(b));
  std::vector<double> lower_k(static_cast<size_t>(b)), upper_k(static_cast<size_t>(b));
  for (int64_t batch = 0; batch < options.batches; ++batch) {
    const uint64_t first = static_cast<uint64_t>(batch * b);
    for (int64_t k = 0; k < b; ++k) index[static_cast<size_t>(k)] = detail::draw_index(options.seed, options.stream, first + static_cast<uint64_t>(k), n);
#pragma omp parallel
    {
      std::vector<double> u(static_cast<size_t>(d)), log_p(static_cast<size_t>(b));
#pragma omp for schedule(static)
      for (int64_t k = 0; k < b; ++k) {
        detail::sample_component(g, index[static_cast<size_t>(k)], options.seed, options.stream + 1,
                                 (first + static_cast<uint64_t>(k)) * static_cast<uint64_t>(d), u.data());
        for (int64_t l = 0; l < b; ++l)
          log_p[static_cast<size_t>(l)] = detail::log_density(g, u.data(), index[static_cast<size_t>(l)]);
        double own = log_p[static_cast<size_t>(k)];
        double all = log_sum_exp(log_p.data(), b);
        log_p[static_cast<size_t>(k)] = -INFINITY;  // leave k out
        double others = log_sum_exp(log_p.data(), b);
        lower_k[static_cast<size_t>(k)] = own - (all - std::log(static_cast<double>(b)));
        upper_k[static_cast<size_t>(k)] = own - (others - std::log(static_cast<double>(b - 1)));
      }
    }
    double lo = 0.0, up = 0.0;
    for (int64_t k = 0; k < b; ++k) {
      lo += lower_k[static_cast<size_t>(k)];
      up += upper_k[static_cast<size_t>(k)];
    }
    lower[static_cast<size_t>(batch)] = lo / static_cast<double>(b) / kLn2;
    upper[static_cast<size_t>(batch)] = up / static_cast<double>(b) / kLn2;
  }
  return {mean_and_error(lower), mean_and_error(upper)};
}

}  // namespace elbo::info
