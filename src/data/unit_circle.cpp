// Points on the unit circle (data/unit_circle.hpp).
#include "elbo/data/unit_circle.hpp"

#include <cmath>
#include <numbers>
#include <vector>

#include "elbo/rng.hpp"

namespace elbo::data {

Tensor unit_circle_grid_angles(int64_t n) {
  ELBO_CHECK(n >= 1, "unit_circle_grid_angles: need n ≥ 1 points, got ", n);
  std::vector<double> theta(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)  // 2π·i/n
    theta[static_cast<size_t>(i)] = 2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n);
  return from_vector(Shape{n}, theta, DType::f64);
}

Tensor unit_circle_random_angles(int64_t n, uint64_t seed, uint64_t stream) {
  ELBO_CHECK(n >= 1, "unit_circle_random_angles: need n ≥ 1 points, got ", n);
  std::vector<double> theta(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k)  // 2π·u_k
    theta[static_cast<size_t>(k)] = 2.0 * std::numbers::pi * philox_uniform(seed, stream, static_cast<uint64_t>(k));
  return from_vector(Shape{n}, theta, DType::f64);
}

Tensor unit_circle_points(const Tensor& angles, DType dtype) {
  ELBO_CHECK(angles.defined() && angles.ndim() == 1, "unit_circle_points: need angles [n], got ",
             angles.defined() ? angles.str() : "undefined");
  ELBO_CHECK(dtype == DType::f32 || dtype == DType::f64, "unit_circle_points: dtype must be f32 or f64, got ",
             dtype_name(dtype));
  const std::vector<double> theta = angles.to_vector();
  const int64_t n = angles.size(0);
  std::vector<double> xy(static_cast<size_t>(2 * n));
  for (int64_t i = 0; i < n; ++i) {  // (cos θ, sin θ)
    xy[static_cast<size_t>(2 * i)] = std::cos(theta[static_cast<size_t>(i)]);
    xy[static_cast<size_t>(2 * i + 1)] = std::sin(theta[static_cast<size_t>(i)]);
  }
  return from_vector(Shape{n, 2}, xy, dtype);
}

}  // namespace elbo::data
