#include "elbo/metrics/unsupervised.hpp"

#include <cmath>

#include "elbo/error.hpp"
#include "elbo/metrics/discretize.hpp"
#include "elbo/metrics/mutual_information.hpp"

namespace elbo::metrics {
namespace {

// log det A = 2 Σ log L_jj from the Cholesky factor A = L Lᵀ; false when A is not positive definite.
bool cholesky_log_determinant(std::vector<double> a, int64_t D, double& log_det) {
  log_det = 0.0;
  for (int64_t j = 0; j < D; ++j) {
    double diag = a[static_cast<size_t>(j * D + j)];
    for (int64_t k = 0; k < j; ++k) diag -= a[static_cast<size_t>(j * D + k)] * a[static_cast<size_t>(j * D + k)];
    if (!(diag > 0.0)) return false;
    const double l = std::sqrt(diag);
    a[static_cast<size_t>(j * D + j)] = l;
    log_det += 2.0 * std::log(l);
    for (int64_t i = j + 1; i < D; ++i) {
      double s = a[static_cast<size_t>(i * D + j)];
      for (int64_t k = 0; k < j; ++k) s -= a[static_cast<size_t>(i * D + k)] * a[static_cast<size_t>(j * D + k)];
      a[static_cast<size_t>(i * D + j)] = s / l;
    }
  }
  return true;
}

// Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (Golub & Van Loan, "Matrix
// Computations", 4th ed., Algorithm 8.5.3), until the off-diagonal part is below 1e−15 of the norm.
std::vector<double> symmetric_eigenvalues(std::vector<double> a, int64_t D) {
  auto at = [&](int64_t i, int64_t j) -> double& { return a[static_cast<size_t>(i * D + j)]; };
  double norm = 0.0;
  for (double v : a) norm += v * v;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0.0;
    for (int64_t i = 0; i < D; ++i)
      for (int64_t j = 0; j < D; ++j)
        if (i != j) off += at(i, j) * at(i, j);
    if (off <= 1e-30 * norm) break;
    for (int64_t p = 0; p < D - 1; ++p)
      for (int64_t q = p + 1; q < D; ++q) {
        if (at(p, q) == 0.0) continue;
        // The rotation that zeroes a_pq (G&VL Algorithm 8.5.1).
        const double tau = (at(q, q) - at(p, p)) / (2.0 * at(p, q));
        const double t = (tau >= 0.0 ? 1.0 : -1.0) / (std::abs(tau) + std::sqrt(1.0 + tau * tau));
        const double c = 1.0 / std::sqrt(1.0 + t * t), s = t * c;
        for (int64_t k = 0; k < D; ++k) {  // A ← A·J
          const double akp = at(k, p), akq = at(k, q);
          at(k, p) = c * akp - s * akq;
          at(k, q) = s * akp + c * akq;
        }
        for (int64_t k = 0; k < D; ++k) {  // A ← Jᵀ·A
          const double apk = at(p, k), aqk = at(q, k);
          at(p, k) = c * apk - s * aqk;
          at(q, k) = s * apk + c * aqk;
        }
      }
  }
  std::vector<double> eigenvalues(static_cast<size_t>(D));
  for (int64_t i = 0; i < D; ++i) eigenvalues[static_cast<size_t>(i)] = at(i, i);
  return eigenvalues;
}

}  // namespace

double gaussian_total_correlation(const std::vector<double>& cov, int64_t D) {
  ELBO_CHECK(static_cast<int64_t>(cov.size()) == D * D && D >= 1, "gaussian_total_correlation: need a [D, D] matrix");
  double log_diagonal = 0.0;
  for (int64_t i = 0; i < D; ++i) {
    const double v = cov[static_cast<size_t>(i * D + i)];
    if (!(v > 0.0)) return std::nan("");  // a constant code: log 0 − log 0
    log_diagonal += std::log(v);
  }
  double log_det = 0.0;
  if (!cholesky_log_determinant(cov, D, log_det)) return INFINITY;
  return 0.5 * (log_diagonal - log_det);
}

double gaussian_wasserstein_correlation(const std::vector<double>& cov, int64_t D) {
  ELBO_CHECK(static_cast<int64_t>(cov.size()) == D * D && D >= 1, "gaussian_wasserstein_correlation: need a [D, D] matrix");
  std::vector<double> scaled(static_cast<size_t>(D * D));
  double trace = 0.0;
  for (int64_t i = 0; i < D; ++i) trace += cov[static_cast<size_t>(i * D + i)];
  for (int64_t i = 0; i < D; ++i)
    for (int64_t j = 0; j < D; ++j)
      scaled[static_cast<size_t>(i * D + j)] =
          std::sqrt(cov[static_cast<size_t>(i * D + i)]) * cov[static_cast<size_t>(i * D + j)] * std::sqrt(cov[static_cast<size_t>(j * D + j)]);
  double trace_sqrt = 0.0;
  for (double lambda : symmetric_eigenvalues(scaled, D)) trace_sqrt += std::sqrt(std::max(lambda, 0.0));
  return 2.0 * trace - 2.0 * trace_sqrt;
}

UnsupervisedResult unsupervised_from_codes(const Tensor& codes_in, int64_t num_bins) {
  ELBO_CHECK(codes_in.defined() && codes_in.dtype() == DType::f64 && codes_in.ndim() == 2 && codes_in.size(0) >= 2 &&
                 codes_in.size(1) >= 2,
             "unsupervised: codes must be f64 [N, D] with N ≥ 2 and D ≥ 2, got ",
             codes_in.defined() ? codes_in.str() : "undefined");
  const Tensor codes = codes_in.to(Device::cpu).contiguous();
  const int64_t N = codes.size(0), D = codes.size(1);
  const double* z = codes.data<double>();
  std::vector<double> mean(static_cast<size_t>(D), 0.0), cov(static_cast<size_t>(D * D), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < D; ++i) mean[static_cast<size_t>(i)] += z[n * D + i];
  for (double& m : mean) m /= static_cast<double>(N);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < D; ++i)
      for (int64_t j = 0; j <= i; ++j)
        cov[static_cast<size_t>(i * D + j)] += (z[n * D + i] - mean[static_cast<size_t>(i)]) * (z[n * D + j] - mean[static_cast<size_t>(j)]);
  for (int64_t i = 0; i < D; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      cov[static_cast<size_t>(i * D + j)] /= static_cast<double>(N - 1);
      cov[static_cast<size_t>(j * D + i)] = cov[static_cast<size_t>(i * D + j)];
    }

  UnsupervisedResult r;
  r.gaussian_total_correlation = gaussian_total_correlation(cov, D);
  r.gaussian_wasserstein_correlation = gaussian_wasserstein_correlation(cov, D);
  double trace = 0.0;
  for (int64_t i = 0; i < D; ++i) trace += cov[static_cast<size_t>(i * D + i)];
  r.gaussian_wasserstein_correlation_norm = r.gaussian_wasserstein_correlation / trace;

  const std::vector<int64_t> labels = histogram_discretize(z, N, D, num_bins);
  const std::vector<double> mi = discrete_mutual_info(labels.data(), D, labels.data(), D, N);
  double off_diagonal = 0.0;
  for (int64_t i = 0; i < D; ++i)
    for (int64_t k = 0; k < D; ++k)
      if (i != k) off_diagonal += mi[static_cast<size_t>(i * D + k)];
  r.mutual_info_score = off_diagonal / static_cast<double>(D * D - D);
  return r;
}

UnsupervisedResult unsupervised(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng,
                                const UnsupervisedOptions& o) {
  CodesAndFactors train = sample_codes_and_factors(dataset, rep, o.num_train, o.batch_size, rng);
  return unsupervised_from_codes(train.codes, o.num_bins);
}

}  // namespace elbo::metrics
