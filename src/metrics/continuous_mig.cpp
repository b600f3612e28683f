#include "elbo/metrics/continuous_mig.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "elbo/error.hpp"

namespace elbo::metrics {
namespace {

constexpr double kLog2Pi = 1.8378770664093454836;

struct Posterior {
  int64_t N = 0, D = 0;
  const double* mean = nullptr;
  std::vector<double> log_var, inv_var, z;  // [N, D]
};

// Adds to entropy[d] the estimate −(1/|S|) Σ_{s∈S} log( (1/|R|) Σ_{n∈R} q(z_{s,d} | x_n) ) times
// `weight`, for the rows R and samples S (a subset of R).
void add_entropy(const Posterior& q, const std::vector<int64_t>& rows, const std::vector<int64_t>& samples,
                 double weight, std::vector<double>& entropy) {
  const int64_t D = q.D, S = static_cast<int64_t>(samples.size()), R = static_cast<int64_t>(rows.size());
  std::vector<double> log_q(static_cast<size_t>(S * D));  // log q(z_{s,d}) per sample
#pragma omp parallel
  {
    std::vector<double> log_density(static_cast<size_t>(R));
#pragma omp for schedule(static)
    for (int64_t s = 0; s < S; ++s) {
      const int64_t row_s = samples[static_cast<size_t>(s)];
      for (int64_t d = 0; d < D; ++d) {
        const double z = q.z[static_cast<size_t>(row_s * D + d)];
        double largest = -INFINITY;
        for (int64_t r = 0; r < R; ++r) {
          const size_t at = static_cast<size_t>(rows[static_cast<size_t>(r)] * D + d);
          const double diff = z - q.mean[at];
          const double v = -0.5 * (diff * diff * q.inv_var[at] + q.log_var[at] + kLog2Pi);
          log_density[static_cast<size_t>(r)] = v;
          largest = std::max(largest, v);
        }
        double total = 0.0;
        for (int64_t r = 0; r < R; ++r) total += std::exp(log_density[static_cast<size_t>(r)] - largest);
        log_q[static_cast<size_t>(s * D + d)] = largest + std::log(total) - std::log(static_cast<double>(R));
      }
    }
  }
  for (int64_t d = 0; d < D; ++d) {
    double sum = 0.0;
    for (int64_t s = 0; s < S; ++s) sum += log_q[static_cast<size_t>(s * D + d)];
    entropy[static_cast<size_t>(d)] -= weight * sum / static_cast<double>(S);
  }
}

// min(count, rows.size()) of the rows, drawn without replacement (a partial Fisher–Yates shuffle).
std::vector<int64_t> draw_subset(std::vector<int64_t> rows, int64_t count, Rng& rng) {
  const int64_t R = static_cast<int64_t>(rows.size());
  const int64_t S = std::min(count, R);
  for (int64_t i = 0; i < S; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(R - i)));
    std::swap(rows[static_cast<size_t>(i)], rows[static_cast<size_t>(j)]);
  }
  rows.resize(static_cast<size_t>(S));
  return rows;
}

}  // namespace

ContinuousMigResult continuous_mig(const Tensor& means_in, const Tensor& logvars_in, const Tensor& factors_in, Rng& rng,
                                   const ContinuousMigOptions& o) {
  ELBO_CHECK(means_in.defined() && means_in.dtype() == DType::f64 && means_in.ndim() == 2,
             "continuous_mig: means must be f64 [N, D], got ", means_in.defined() ? means_in.str() : "undefined");
  ELBO_CHECK(logvars_in.defined() && logvars_in.shape() == means_in.shape() && logvars_in.dtype() == DType::f64,
             "continuous_mig: logvars must be f64 ", means_in.shape().str(), ", got ",
             logvars_in.defined() ? logvars_in.str() : "undefined");
  ELBO_CHECK(factors_in.defined() && factors_in.dtype() == DType::i64 && factors_in.ndim() == 2 &&
                 factors_in.size(0) == means_in.size(0),
             "continuous_mig: factors must be i64 [", means_in.size(0), ", K], got ",
             factors_in.defined() ? factors_in.str() : "undefined");
  ELBO_CHECK(o.num_samples >= 1, "continuous_mig: num_samples must be positive, got ", o.num_samples);
  const Tensor means = means_in.to(Device::cpu).contiguous(), logvars = logvars_in.to(Device::cpu).contiguous();
  const Tensor factors = factors_in.to(Device::cpu).contiguous();
  const int64_t N = means.size(0), D = means.size(1), K = factors.size(1);
  ELBO_CHECK(N >= 2 && D >= 2, "continuous_mig: need N ≥ 2 points and D ≥ 2 code dimensions, got ", N, " and ", D);

  Posterior q;
  q.N = N;
  q.D = D;
  q.mean = means.data<double>();
  q.log_var.assign(logvars.data<double>(), logvars.data<double>() + N * D);
  q.inv_var.resize(static_cast<size_t>(N * D));
  q.z.resize(static_cast<size_t>(N * D));
  for (int64_t a = 0; a < N * D; ++a) {
    ELBO_CHECK(std::isfinite(q.mean[a]) && std::isfinite(q.log_var[static_cast<size_t>(a)]),
               "continuous_mig: mean or log-variance ", a % D, " of point ", a / D, " is not finite");
    const double lv = q.log_var[static_cast<size_t>(a)];
    q.inv_var[static_cast<size_t>(a)] = std::exp(-lv);
    q.z[static_cast<size_t>(a)] =
        q.mean[a] + std::exp(0.5 * lv) * philox_normal(rng.seed, rng.stream, rng.counter + static_cast<uint64_t>(a));
  }
  rng.counter += static_cast<uint64_t>(N * D);

  ContinuousMigResult r;
  r.marginal_entropy.assign(static_cast<size_t>(D), 0.0);
  std::vector<int64_t> all(static_cast<size_t>(N));
  std::iota(all.begin(), all.end(), 0);
  add_entropy(q, all, draw_subset(all, o.num_samples, rng), 1.0, r.marginal_entropy);

  r.conditional_entropy.assign(static_cast<size_t>(K * D), 0.0);
  r.mutual_information.assign(static_cast<size_t>(K * D), 0.0);
  r.factor_sizes.assign(static_cast<size_t>(K), 0);
  const int64_t* f = factors.data<int64_t>();
  double total_gap = 0.0;
  for (int64_t k = 0; k < K; ++k) {
    std::vector<int64_t> values(static_cast<size_t>(N));
    for (int64_t n = 0; n < N; ++n) values[static_cast<size_t>(n)] = f[n * K + k];
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    const int64_t V = static_cast<int64_t>(values.size());
    ELBO_CHECK(V >= 2, "continuous_mig: factor ", k, " takes a single value; its normaliser log |V| is 0");
    r.factor_sizes[static_cast<size_t>(k)] = V;
    std::vector<double> conditional(static_cast<size_t>(D), 0.0);
    for (int64_t u : values) {
      std::vector<int64_t> rows;
      for (int64_t n = 0; n < N; ++n)
        if (f[n * K + k] == u) rows.push_back(n);
      const double weight = static_cast<double>(rows.size()) / static_cast<double>(N);
      add_entropy(q, rows, draw_subset(rows, o.num_samples, rng), weight, conditional);
    }
    std::vector<double> normalised(static_cast<size_t>(D));
    for (int64_t d = 0; d < D; ++d) {
      const double mi = std::max(r.marginal_entropy[static_cast<size_t>(d)] - conditional[static_cast<size_t>(d)], 0.0);
      r.conditional_entropy[static_cast<size_t>(k * D + d)] = conditional[static_cast<size_t>(d)];
      r.mutual_information[static_cast<size_t>(k * D + d)] = mi;
      normalised[static_cast<size_t>(d)] = mi / std::log(static_cast<double>(V));
    }
    std::partial_sort(normalised.begin(), normalised.begin() + 2, normalised.end(), std::greater<double>());
    total_gap += normalised[0] - normalised[1];
  }
  r.mig = total_gap / static_cast<double>(K);
  return r;
}

}  // namespace elbo::metrics
