// Bhattacharyya distance and coefficient, KL divergence; formulas in elbo/info/bhattacharyya.hpp.
#include "elbo/info/bhattacharyya.hpp"

#include <cmath>

#include "elbo/ops/shape.hpp"

namespace elbo::info {

void check_posteriors(const char* what, const Tensor& means, const Tensor& logvars) {
  ELBO_CHECK(means.defined() && logvars.defined(), what, ": means and log-variances are needed");
  ELBO_CHECK(is_floating(means.dtype()) && is_floating(logvars.dtype()), what,
             ": means and log-variances must be f32 or f64, got ", means.str(), " and ", logvars.str());
  ELBO_CHECK(means.ndim() == 1 || means.ndim() == 2, what, ": means must be [N, d] (or [N]), got ", means.str());
  ELBO_CHECK(means.shape() == logvars.shape(), what, ": means ", means.str(), " and log-variances ", logvars.str(),
             " must have the same shape");
  ELBO_CHECK(means.size(0) >= 1, what, ": no posteriors (N = 0)");
}

Tensor posterior_f64(const Tensor& x) {
  Tensor y = contiguous(to_dtype(x, DType::f64));
  if (y.ndim() == 1) y = reshape(y, Shape{y.size(0), 1});
  const double* p = y.data<double>();
  for (int64_t k = 0; k < y.numel(); ++k)
    ELBO_CHECK(std::isfinite(p[k]), "posterior: element ", k, " of ", x.str(), " is ", p[k], " (need finite values)");
  return y;
}

double bhattacharyya_distance(const double* mean_a, const double* logvar_a, const double* mean_b,
                              const double* logvar_b, int64_t d) {
  double distance = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    double mean_var = 0.5 * (std::exp(logvar_a[k]) + std::exp(logvar_b[k]));  // σ̄²
    double diff = mean_a[k] - mean_b[k];
    distance += diff * diff / (8.0 * mean_var) + 0.5 * std::log(mean_var) - 0.25 * (logvar_a[k] + logvar_b[k]);
  }
  return distance;
}

double bhattacharyya_coefficient(const double* mean_a, const double* logvar_a, const double* mean_b,
                                 const double* logvar_b, int64_t d) {
  return std::exp(-bhattacharyya_distance(mean_a, logvar_a, mean_b, logvar_b, d));
}

double kl_divergence(const double* mean_a, const double* logvar_a, const double* mean_b, const double* logvar_b,
                     int64_t d) {
  double kl = 0.0;
  for (int64_t k = 0; k < d; ++k) {
    double inv_var_b = std::exp(-logvar_b[k]);
    double diff = mean_b[k] - mean_a[k];
    kl += 0.5 * (std::exp(logvar_a[k]) * inv_var_b + diff * diff * inv_var_b + logvar_b[k] - logvar_a[k] - 1.0);
  }
  return kl;
}

namespace {

enum class PairFunction { bhattacharyya_distance, bhattacharyya_coefficient, kl_divergence };

// `same`: both sets are one set, whose diagonal is exactly 0 (distance) or 1 (coefficient), as a
// posterior compared with itself is, instead of the rounding residue of ½ ln σ² − ½ ln σ².
Tensor pair_matrix(const char* what, PairFunction f, const Tensor& means_a, const Tensor& logvars_a,
                   const Tensor& means_b, const Tensor& logvars_b, bool same) {
  check_posteriors(what, means_a, logvars_a);
  check_posteriors(what, means_b, logvars_b);
  Tensor ma = posterior_f64(means_a), la = posterior_f64(logvars_a);
  Tensor mb = posterior_f64(means_b), lb = posterior_f64(logvars_b);
  ELBO_CHECK(ma.size(1) == mb.size(1), what, ": the two sets of posteriors have dimensions ", ma.size(1), " and ",
             mb.size(1));
  const int64_t na = ma.size(0), nb = mb.size(0), d = ma.size(1);
  Tensor out = empty(Shape{na, nb}, DType::f64);
  double* o = out.data<double>();
  const double *pma = ma.data<double>(), *pla = la.data<double>(), *pmb = mb.data<double>(), *plb = lb.data<double>();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < na; ++i)
    for (int64_t j = 0; j < nb; ++j) {
      const double *mi = pma + i * d, *li = pla + i * d, *mj = pmb + j * d, *lj = plb + j * d;
      double v = f == PairFunction::kl_divergence ? kl_divergence(mi, li, mj, lj, d)
                                                   : bhattacharyya_distance(mi, li, mj, lj, d);
      if (same && i == j) v = 0.0;
      o[i * nb + j] = f == PairFunction::bhattacharyya_coefficient ? std::exp(-v) : v;
    }
  return out;
}

}  // namespace

Tensor bhattacharyya_distance_matrix(const Tensor& means, const Tensor& logvars) {
  return pair_matrix("bhattacharyya_distance_matrix", PairFunction::bhattacharyya_distance, means, logvars, means,
                     logvars, true);
}

Tensor bhattacharyya_coefficient_matrix(const Tensor& means, const Tensor& logvars) {
  return pair_matrix("bhattacharyya_coefficient_matrix", PairFunction::bhattacharyya_coefficient, means, logvars,
                     means, logvars, true);
}

Tensor kl_divergence_matrix(const Tensor& means, const Tensor& logvars) {
  return pair_matrix("kl_divergence_matrix", PairFunction::kl_divergence, means, logvars, means, logvars, true);
}

Tensor bhattacharyya_distance_matrix(const Tensor& means_a, const Tensor& logvars_a, const Tensor& means_b,
                                     const Tensor& logvars_b) {
  return pair_matrix("bhattacharyya_distance_matrix", PairFunction::bhattacharyya_distance, means_a, logvars_a,
                     means_b, logvars_b, false);
}

}  // namespace elbo::info
