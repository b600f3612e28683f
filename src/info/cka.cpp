// Centered kernel alignment; formulas in elbo/info/cka.hpp.
#include "elbo/info/cka.hpp"

#include <cmath>
#include <vector>

#include "elbo/info/bhattacharyya.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo::info {

namespace {

std::vector<double> square_matrix(const char* what, const Tensor& k) {
  ELBO_CHECK(k.defined() && k.ndim() == 2 && k.size(0) == k.size(1) && is_floating(k.dtype()), what,
             ": need a square f32/f64 kernel matrix, got ", k.defined() ? k.str() : "undefined");
  return k.to_vector();
}

// H K H: K_ij − mean_i − mean_j + mean, with row means, column means and the grand mean of K.
std::vector<double> centered(const std::vector<double>& k, int64_t n) {
  std::vector<double> row(static_cast<size_t>(n), 0.0), col(static_cast<size_t>(n), 0.0);
  double all = 0.0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double v = k[static_cast<size_t>(i * n + j)];
      row[static_cast<size_t>(i)] += v / static_cast<double>(n);
      col[static_cast<size_t>(j)] += v / static_cast<double>(n);
      all += v;
    }
  all /= static_cast<double>(n) * static_cast<double>(n);
  std::vector<double> c(k.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      c[static_cast<size_t>(i * n + j)] = k[static_cast<size_t>(i * n + j)] - row[static_cast<size_t>(i)] -
                                          col[static_cast<size_t>(j)] + all;
  return c;
}

// tr(K H L H) = tr((HKH)(HLH)) = Σ_ij (HKH)_ij (HLH)_ji, as H² = H. Both factors centred: a kernel
// close to a constant (an RBF kernel with a long length scale) keeps its small centred part exact
// instead of losing it against the constant.
double trace_product(const std::vector<double>& kc, const std::vector<double>& l, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) s += kc[static_cast<size_t>(i * n + j)] * l[static_cast<size_t>(j * n + i)];
  return s;
}

Tensor as_matrix(const Tensor& x) {
  ELBO_CHECK(x.defined() && (x.ndim() == 1 || x.ndim() == 2) && is_floating(x.dtype()),
             "cka: representations must be f32/f64 [N, d] (or [N]), got ", x.defined() ? x.str() : "undefined");
  Tensor y = contiguous(to_dtype(x, DType::f64));
  return y.ndim() == 1 ? reshape(y, Shape{y.size(0), 1}) : y;
}

// K_ij = Σ_k x_ik x_jk (linear) or exp(−Σ_k (x_ik − x_jk)² / (2ℓ²)) (rbf, ℓ > 0).
Tensor kernel(const Tensor& x, double rbf_length) {
  Tensor m = as_matrix(x);
  const int64_t n = m.size(0), d = m.size(1);
  const double* p = m.data<double>();
  Tensor out = empty(Shape{n, n}, DType::f64);
  double* o = out.data<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (int64_t k = 0; k < d; ++k) {
        double a = p[i * d + k], b = p[j * d + k];
        s += rbf_length > 0 ? (a - b) * (a - b) : a * b;
      }
      o[i * n + j] = rbf_length > 0 ? std::exp(-s / (2 * rbf_length * rbf_length)) : s;
    }
  return out;
}

double mean_standard_deviation(const Tensor& logvars) {
  std::vector<double> lv = logvars.to_vector();
  double s = 0.0;
  for (double v : lv) s += std::exp(0.5 * v);
  return s / static_cast<double>(lv.size());
}

}  // namespace

double cka(const Tensor& k, const Tensor& l) {
  std::vector<double> kv = square_matrix("cka", k), lv = square_matrix("cka", l);
  ELBO_CHECK(k.size(0) == l.size(0), "cka: kernels over ", k.size(0), " and ", l.size(0),
             " points; both must describe the same points");
  const int64_t n = k.size(0);
  std::vector<double> kc = centered(kv, n), lc = centered(lv, n);
  double kl = trace_product(kc, lc, n), kk = trace_product(kc, kc, n), ll = trace_product(lc, lc, n);
  return kl / std::sqrt(kk * ll);
}

double linear_cka(const Tensor& x, const Tensor& y) { return cka(kernel(x, 0.0), kernel(y, 0.0)); }

double rbf_cka(const Tensor& x, const Tensor& y, double length_x, double length_y) {
  ELBO_CHECK(length_x > 0 && length_y > 0, "rbf_cka: length scales must be positive, got ", length_x, " and ",
             length_y);
  return cka(kernel(x, length_x), kernel(y, length_y));
}

double rbf_cka(const Tensor& means_x, const Tensor& logvars_x, const Tensor& means_y, const Tensor& logvars_y) {
  check_posteriors("rbf_cka", means_x, logvars_x);
  check_posteriors("rbf_cka", means_y, logvars_y);
  return rbf_cka(means_x, means_y, mean_standard_deviation(logvars_x), mean_standard_deviation(logvars_y));
}

double coefficient_cka(const Tensor& means_x, const Tensor& logvars_x, const Tensor& means_y, const Tensor& logvars_y) {
  return cka(bhattacharyya_coefficient_matrix(means_x, logvars_x), bhattacharyya_coefficient_matrix(means_y, logvars_y));
}

}  // namespace elbo::info
