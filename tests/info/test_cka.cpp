// CKA (info/cka.hpp): invariances of linear CKA, agreement with the feature-space formula, the RBF
// kernel's linear limit, and the coefficient kernel.
#include <doctest/doctest.h>

#include <cmath>

#include "elbo/info/bhattacharyya.hpp"
#include "elbo/info/cka.hpp"
#include "gradcheck.hpp"

using namespace elbo;

namespace {

// ‖Ycᵀ Xc‖²_F / (‖Xcᵀ Xc‖_F ‖Ycᵀ Yc‖_F) with column-centred Xc, Yc (Kornblith et al. 2019, the
// linear-kernel form), by loops.
double feature_space_cka(const std::vector<double>& x, int64_t dx, const std::vector<double>& y, int64_t dy, int64_t n) {
  auto centre = [&](std::vector<double> a, int64_t d) {
    for (int64_t k = 0; k < d; ++k) {
      double m = 0;
      for (int64_t i = 0; i < n; ++i) m += a[static_cast<size_t>(i * d + k)] / static_cast<double>(n);
      for (int64_t i = 0; i < n; ++i) a[static_cast<size_t>(i * d + k)] -= m;
    }
    return a;
  };
  std::vector<double> xc = centre(x, dx), yc = centre(y, dy);
  auto cross = [&](const std::vector<double>& a, int64_t da, const std::vector<double>& b, int64_t db) {
    double f = 0;
    for (int64_t p = 0; p < da; ++p)
      for (int64_t q = 0; q < db; ++q) {
        double s = 0;
        for (int64_t i = 0; i < n; ++i) s += a[static_cast<size_t>(i * da + p)] * b[static_cast<size_t>(i * db + q)];
        f += s * s;
      }
    return f;
  };
  return cross(yc, dy, xc, dx) / std::sqrt(cross(xc, dx, xc, dx) * cross(yc, dy, yc, dy));
}

}  // namespace

TEST_CASE("info: linear CKA against the feature-space formula and its invariances") {
  Tensor x = normal(Shape{30, 3}, 71, 0, 0, DType::f64);
  Tensor y = add(matmul(x, normal(Shape{3, 2}, 71, 1, 0, DType::f64)), mul(normal(Shape{30, 2}, 71, 2, 0, DType::f64), 0.5));
  double c = info::linear_cka(x, y);
  CHECK(c == doctest::Approx(feature_space_cka(x.to_vector(), 3, y.to_vector(), 2, 30)).epsilon(1e-12));
  CHECK(c > 0.3);
  CHECK(c < 1.0);
  // Rotation, isotropic scaling and translation leave linear CKA at 1.
  double a = 0.7;
  Tensor rotation = elbo::testing::f64({3, 3}, {std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a), 0, 0, 0, 1});
  Tensor moved = add(mul(matmul(x, rotation), 3.0), elbo::testing::f64({1, 3}, {5, -2, 1}));
  CHECK(info::linear_cka(x, moved) == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(info::cka(info::bhattacharyya_coefficient_matrix(x, zeros(Shape{30, 3}, DType::f64)),
                  info::bhattacharyya_coefficient_matrix(x, zeros(Shape{30, 3}, DType::f64))) ==
        doctest::Approx(1.0).epsilon(1e-12));
  CHECK_THROWS_WITH_AS(info::cka(zeros(Shape{3, 3}, DType::f64), zeros(Shape{4, 4}, DType::f64)),
                       doctest::Contains("same points"), Error);
}

TEST_CASE("info: RBF CKA tends to linear CKA for long length scales") {
  Tensor x = normal(Shape{25, 2}, 72, 0, 0, DType::f64);
  // exp(−a) = 1 − a + O(a²), and centring removes every term of −‖x_i − x_j‖² but 2 x_i·x_j.
  Tensor y = add(square(x), x);
  CHECK(info::rbf_cka(x, y, 1e4, 1e4) == doctest::Approx(info::linear_cka(x, y)).epsilon(1e-6));
  CHECK(info::rbf_cka(x, y, 1.0, 1.0) != doctest::Approx(info::linear_cka(x, y)).epsilon(1e-2));
  // With posteriors, ℓ is the mean posterior standard deviation: ln σ² = 2 ln 1.5 everywhere gives ℓ = 1.5.
  Tensor lv = full(Shape{25, 2}, 2 * std::log(1.5), DType::f64);
  CHECK(info::rbf_cka(x, lv, y, lv) == doctest::Approx(info::rbf_cka(x, y, 1.5, 1.5)).epsilon(1e-14));
  // Coefficient CKA is CKA of the fingerprints.
  CHECK(info::coefficient_cka(x, lv, y, lv) ==
        doctest::Approx(info::cka(info::bhattacharyya_coefficient_matrix(x, lv), info::bhattacharyya_coefficient_matrix(y, lv)))
            .epsilon(1e-14));
}
