// Points on the unit circle (data/unit_circle.hpp): the grid of fingerprint angles, Philox angles
// for training batches, and the points themselves.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "elbo/data/unit_circle.hpp"
#include "elbo/rng.hpp"
#include "gradcheck.hpp"

using namespace elbo;

TEST_CASE("data: unit circle grid angles and points") {
  // θ_i = 2π·i/8 = i·45°: the points are (1, 0), (√½, √½), (0, 1), … exactly as cos and sin give them.
  Tensor theta = data::unit_circle_grid_angles(8);
  REQUIRE(theta.shape() == Shape{8});
  CHECK(theta.dtype() == DType::f64);
  std::vector<double> t = theta.to_vector();
  for (int i = 0; i < 8; ++i) CHECK(t[static_cast<size_t>(i)] == doctest::Approx(i * std::numbers::pi / 4).epsilon(1e-15));
  Tensor x = data::unit_circle_points(theta, DType::f64);
  REQUIRE(x.shape() == Shape{8, 2});
  const double h = std::sqrt(0.5);
  elbo::testing::check_values(x, {1, 0, h, h, 0, 1, -h, h, -1, 0, -h, -h, 0, -1, h, -h}, 1e-15);
  // f32 points are the f64 ones rounded.
  std::vector<double> x32 = data::unit_circle_points(theta).to_vector(), x64 = x.to_vector();
  for (size_t k = 0; k < x64.size(); ++k) CHECK(x32[k] == static_cast<double>(static_cast<float>(x64[k])));
  // The last grid angle stops one step short of 2π (numpy.linspace(..., endpoint=False)).
  CHECK(data::unit_circle_grid_angles(200).to_vector().back() == doctest::Approx(2 * std::numbers::pi * 199 / 200));
}

TEST_CASE("data: unit circle random angles are Philox draws") {
  Tensor theta = data::unit_circle_random_angles(1000, 7, 3);
  std::vector<double> t = theta.to_vector();
  for (int k : {0, 1, 5, 999})
    CHECK(t[static_cast<size_t>(k)] == 2 * std::numbers::pi * philox_uniform(7, 3, static_cast<uint64_t>(k)));
  double lo = t[0], hi = t[0], mean = 0;
  for (double v : t) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    mean += v / 1000;
  }
  CHECK(lo > 0);
  CHECK(hi < 2 * std::numbers::pi);
  CHECK(mean == doctest::Approx(std::numbers::pi).epsilon(0.05));  // uniform: π ± 0.06 (3 standard errors)
  // Another stream (the next step's batch) gives other angles; the same stream the same ones.
  CHECK(data::unit_circle_random_angles(4, 7, 4).to_vector() != data::unit_circle_random_angles(4, 7, 3).to_vector());
  CHECK(elbo::testing::same_bytes(data::unit_circle_random_angles(4, 7, 3), slice(theta, 0, 0, 4).contiguous()));
  // Every point is on the circle.
  std::vector<double> x = data::unit_circle_points(theta, DType::f64).to_vector();
  for (size_t i = 0; i < 1000; ++i) CHECK(x[2 * i] * x[2 * i] + x[2 * i + 1] * x[2 * i + 1] == doctest::Approx(1.0));
}

TEST_CASE("data: unit circle errors") {
  CHECK_THROWS_WITH_AS(data::unit_circle_grid_angles(0), doctest::Contains("need n ≥ 1"), elbo::Error);
  CHECK_THROWS_WITH_AS(data::unit_circle_random_angles(-1, 0, 0), doctest::Contains("need n ≥ 1"), elbo::Error);
  CHECK_THROWS_WITH_AS(data::unit_circle_points(zeros(Shape{2, 2})), doctest::Contains("need angles [n]"), elbo::Error);
  CHECK_THROWS_WITH_AS(data::unit_circle_points(zeros(Shape{2}), DType::i32), doctest::Contains("f32 or f64"),
                       elbo::Error);
}
