// Bhattacharyya distance and coefficient, KL divergence (info/bhattacharyya.hpp): closed forms
// against numerical integration, subspaces as sums, matrices, and errors.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "elbo/info/bhattacharyya.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using elbo::testing::f64;

namespace {

double gaussian_pdf(double x, double mean, double sd) {
  double z = (x - mean) / sd;
  return std::exp(-0.5 * z * z) / (sd * std::sqrt(2 * M_PI));
}

// ∫ f over [lo, hi] by composite Simpson's rule with n (even) intervals.
double simpson(const std::function<double(double)>& f, double lo, double hi, int n) {
  double h = (hi - lo) / n, s = f(lo) + f(hi);
  for (int k = 1; k < n; ++k) s += (k % 2 ? 4 : 2) * f(lo + k * h);
  return s * h / 3;
}

}  // namespace

TEST_CASE("info: Bhattacharyya coefficient of two 1-D Gaussians against its integral") {
  // N(0.3, 0.7²) and N(−0.5, 1.6²): the reference value 0.81318887.
  double ma = 0.3, la = std::log(0.7 * 0.7), mb = -0.5, lb = std::log(1.6 * 1.6);
  double bc = info::bhattacharyya_coefficient(&ma, &la, &mb, &lb, 1);
  CHECK(bc == doctest::Approx(0.81318887).epsilon(1e-8));
  double integral =
      simpson([&](double x) { return std::sqrt(gaussian_pdf(x, 0.3, 0.7) * gaussian_pdf(x, -0.5, 1.6)); }, -40, 40, 200000);
  CHECK(std::abs(bc - integral) < 1e-10);
  // The one-dimensional closed form of the header.
  double sa = 0.7, sb = 1.6;
  double closed = std::sqrt(2 * sa * sb / (sa * sa + sb * sb)) * std::exp(-0.8 * 0.8 / (4 * (sa * sa + sb * sb)));
  CHECK(std::abs(bc - closed) < 1e-14);
  // Symmetric, and a posterior against itself has coefficient 1.
  CHECK(info::bhattacharyya_coefficient(&mb, &lb, &ma, &la, 1) == doctest::Approx(bc).epsilon(1e-15));
  CHECK(info::bhattacharyya_distance(&ma, &la, &ma, &la, 1) == doctest::Approx(0.0).epsilon(1e-15));
}

TEST_CASE("info: KL divergence of two 1-D Gaussians against its integral") {
  double ma = 0.3, la = std::log(0.49), mb = -0.5, lb = std::log(2.56);
  double kl = info::kl_divergence(&ma, &la, &mb, &lb, 1);
  double integral = simpson(
      [&](double x) {
        double p = gaussian_pdf(x, 0.3, 0.7), q = gaussian_pdf(x, -0.5, 1.6);
        return p > 0 ? p * std::log(p / q) : 0.0;
      },
      -30, 30, 200000);
  CHECK(std::abs(kl - integral) < 1e-9);
  CHECK(kl != doctest::Approx(info::kl_divergence(&mb, &lb, &ma, &la, 1)));  // not symmetric
  // D_B is half the Rényi divergence of order ½, which never exceeds KL (order 1): D_B ≤ ½ D_KL both ways.
  double db = info::bhattacharyya_distance(&ma, &la, &mb, &lb, 1);
  CHECK(db <= 0.5 * kl);
  CHECK(db <= 0.5 * info::kl_divergence(&mb, &lb, &ma, &la, 1));
}

TEST_CASE("info: a subspace's distance is the sum over its dimensions") {
  double ma[3] = {0.1, -2.0, 0.7}, la[3] = {-1.0, 0.5, 0.0};
  double mb[3] = {0.4, 1.0, 0.7}, lb[3] = {-0.2, 0.1, 2.0};
  double sum_b = 0, sum_kl = 0;
  for (int k = 0; k < 3; ++k) {
    sum_b += info::bhattacharyya_distance(ma + k, la + k, mb + k, lb + k, 1);
    sum_kl += info::kl_divergence(ma + k, la + k, mb + k, lb + k, 1);
  }
  CHECK(info::bhattacharyya_distance(ma, la, mb, lb, 3) == doctest::Approx(sum_b).epsilon(1e-14));
  CHECK(info::kl_divergence(ma, la, mb, lb, 3) == doctest::Approx(sum_kl).epsilon(1e-14));
  // The coefficient of the subspace is the product: check against a 2-D integral for dimensions 0, 1.
  double step = 0.02, product = 0;
  for (double x = -12; x <= 12; x += step)
    for (double y = -12; y <= 12; y += step)
      product += std::sqrt(gaussian_pdf(x, ma[0], std::exp(0.5 * la[0])) * gaussian_pdf(y, ma[1], std::exp(0.5 * la[1])) *
                           gaussian_pdf(x, mb[0], std::exp(0.5 * lb[0])) * gaussian_pdf(y, mb[1], std::exp(0.5 * lb[1])));
  CHECK(std::abs(product * step * step - info::bhattacharyya_coefficient(ma, la, mb, lb, 2)) < 1e-6);
}

TEST_CASE("info: distance, coefficient and KL matrices") {
  Tensor means = f64({3, 2}, {0.0, 1.0, 0.5, -1.0, 2.0, 0.0});
  Tensor logvars = f64({3, 2}, {0.0, -1.0, 0.3, 0.2, -0.5, 1.0});
  Tensor d = info::bhattacharyya_distance_matrix(means, logvars);
  Tensor c = info::bhattacharyya_coefficient_matrix(means, logvars);
  Tensor kl = info::kl_divergence_matrix(means, logvars);
  REQUIRE(d.shape() == Shape{3, 3});
  std::vector<double> m = means.to_vector(), l = logvars.to_vector(), dv = d.to_vector(), cv = c.to_vector(),
                      kv = kl.to_vector();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double want = info::bhattacharyya_distance(&m[2 * i], &l[2 * i], &m[2 * j], &l[2 * j], 2);
      double want_kl = info::kl_divergence(&m[2 * i], &l[2 * i], &m[2 * j], &l[2 * j], 2);
      CHECK(dv[3 * i + j] == doctest::Approx(want).epsilon(1e-14));
      CHECK(cv[3 * i + j] == doctest::Approx(std::exp(-want)).epsilon(1e-14));
      CHECK(kv[3 * i + j] == doctest::Approx(want_kl).epsilon(1e-14));
      if (i == j) CHECK((dv[3 * i + j] == 0.0 && cv[3 * i + j] == 1.0 && kv[3 * i + j] == 0.0));
    }
  // The rectangular version, and f32 inputs.
  Tensor rect = info::bhattacharyya_distance_matrix(slice(means, 0, 0, 1), slice(logvars, 0, 0, 1), means, logvars);
  REQUIRE(rect.shape() == Shape{1, 3});
  CHECK(rect.to_vector()[2] == doctest::Approx(dv[2]).epsilon(1e-14));
  Tensor d32 = info::bhattacharyya_distance_matrix(means.to(DType::f32), logvars.to(DType::f32));
  CHECK(d32.dtype() == DType::f64);
  elbo::testing::check_values(d32, dv, 1e-6);
}

TEST_CASE("info: Bhattacharyya matrices reject bad posteriors") {
  Tensor means = f64({3, 2}, {0, 1, 2, 3, 4, 5});
  CHECK_THROWS_WITH_AS(info::bhattacharyya_distance_matrix(means, f64({3, 1}, {0, 0, 0})),
                       doctest::Contains("same shape"), Error);
  CHECK_THROWS_WITH_AS(info::bhattacharyya_distance_matrix(means, f64({3, 2}, {0, 0, NAN, 0, 0, 0})),
                       doctest::Contains("finite"), Error);
  CHECK_THROWS_WITH_AS(info::bhattacharyya_distance_matrix(means, means, f64({1, 3}, {0, 0, 0}), f64({1, 3}, {0, 0, 0})),
                       doctest::Contains("dimensions"), Error);
}
