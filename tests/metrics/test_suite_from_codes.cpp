#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "elbo/data/dsprites.hpp"
#include "elbo/error.hpp"
#include "elbo/metrics/factor_representation.hpp"
#include "elbo/metrics/suite_from_codes.hpp"

using namespace elbo;
using namespace elbo::metrics;

TEST_CASE("metrics: sample_rows draws distinct sorted rows uniformly") {
  Rng all{1, 2, 0};
  CHECK(sample_rows(4, 4, all) == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(all.counter == 0);  // every row: no draw
  // Each of 10 rows is among 3 chosen with probability 3/10.
  std::vector<int64_t> hits(10, 0);
  const int trials = 4000;
  int well_formed = 0;
  for (int t = 0; t < trials; ++t) {
    Rng rng{static_cast<uint64_t>(t), 5, 0};
    const std::vector<int64_t> rows = sample_rows(10, 3, rng);
    if (rows.size() != 3) break;
    well_formed += rows[0] < rows[1] && rows[1] < rows[2] && rows[0] >= 0 && rows[2] < 10 && rng.counter == 3;
    for (int64_t r : rows) ++hits[static_cast<size_t>(r)];
  }
  CHECK(well_formed == trials);  // distinct, sorted, in range, one draw per row
  const double expected = trials * 0.3, sd = std::sqrt(trials * 0.3 * 0.7);
  for (int64_t h : hits) CHECK(std::fabs(static_cast<double>(h) - expected) < 5 * sd);
  Rng rng{0, 0, 0};
  CHECK_THROWS_AS(sample_rows(3, 4, rng), Error);
}

TEST_CASE("metrics: codes and factors from arrays of any dtype") {
  const Tensor codes = codes_from_array(from_values(Shape{2, 2}, {1, 2, 3, 250}, DType::u8), "c.npy");
  CHECK(codes.dtype() == DType::f64);
  CHECK(codes.to_vector() == std::vector<double>{1, 2, 3, 250});
  const Tensor factors = factors_from_array(from_values(Shape{2, 2}, {0, -1, 7, 3}, DType::i32), "f.npy");
  CHECK(factors.dtype() == DType::i64);
  CHECK(factors.to_vector() == std::vector<double>{0, -1, 7, 3});
  CHECK(factors_from_array(from_values(Shape{1, 2}, {4, 2}, DType::f32), "f.npy").to_vector() == std::vector<double>{4, 2});
  CHECK_THROWS_WITH_AS(codes_from_array(from_values(Shape{1, 2}, {0, INFINITY}, DType::f64), "c.npy"),
                       doctest::Contains("c.npy: codes element [0, 1] is inf"), Error);
  CHECK_THROWS_WITH_AS(factors_from_array(from_values(Shape{1, 2}, {1, NAN}, DType::f64), "f.npy"),
                       doctest::Contains("f.npy: factors element [0, 1] is nan"), Error);
  CHECK_THROWS_WITH_AS(factors_from_array(from_values(Shape{0, 2}, {}, DType::i64), "f.npy"),
                       doctest::Contains("f.npy: factors array of shape [0, 2] is empty"), Error);
}

TEST_CASE("metrics: factor representation standardises and rotates the factors") {
  const data::Dsprites dsprites;
  const FactorImages images(dsprites);
  CHECK(images.image_shape().numel() == 5);
  CHECK(images.size() == dsprites.size());
  // Image 245760 + 2·40960 + 1024·3 + 32·31 + 5: shape 1, scale 2, orientation 3, posX 31, posY 5.
  const int64_t index = 245760 + 2 * 40960 + 3 * 1024 + 31 * 32 + 5;
  const Tensor x = images.images(std::vector<int64_t>{index});
  CHECK(x.to_vector() == std::vector<double>{1, 2, 3, 31, 5});
  // u_k = (f_k − (s_k − 1)/2) / √((s_k² − 1)/12)
  auto u = [](double f, double s) { return (f - (s - 1) / 2) / std::sqrt((s * s - 1) / 12); };
  const std::vector<double> want = {u(1, 3), u(2, 6), u(3, 40), u(31, 32), u(5, 32)};
  const Tensor z = factor_representation(images, identity_mixing(5))(x);
  REQUIRE(z.shape() == Shape{1, 5});
  for (size_t k = 0; k < 5; ++k) CHECK(z.to_vector()[k] == doctest::Approx(want[k]).epsilon(1e-12));
  // A rotation is orthogonal, deterministic in the seed, and keeps the code's length.
  const std::vector<double> Q = random_rotation_mixing(5, 3);
  CHECK(Q == random_rotation_mixing(5, 3));
  CHECK(Q != random_rotation_mixing(5, 4));
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t c = 0; c < 5; ++c) {
      double dot = 0;
      for (int64_t k = 0; k < 5; ++k) dot += Q[static_cast<size_t>(r * 5 + k)] * Q[static_cast<size_t>(c * 5 + k)];
      CHECK(dot == doctest::Approx(r == c ? 1.0 : 0.0).epsilon(1e-12));
    }
  const std::vector<double> rotated = factor_representation(images, Q)(x).to_vector();
  double norm_rotated = 0, norm = 0;
  for (size_t k = 0; k < 5; ++k) norm_rotated += rotated[k] * rotated[k], norm += want[k] * want[k];
  CHECK(norm_rotated == doctest::Approx(norm).epsilon(1e-12));
  CHECK_THROWS_WITH_AS(factor_representation(images, identity_mixing(4)), doctest::Contains("has 5 factors"), Error);
}
