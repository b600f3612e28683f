// Fingerprint samples and channel sets (info/fingerprint.hpp): the sample is a reproducible set of
// distinct indices, coefficient rows match the closed form in both precisions, subspaces multiply,
// labels and given matrices, and misuse is reported.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "elbo/info/bhattacharyya.hpp"
#include "elbo/info/fingerprint.hpp"
#include "elbo/info/mutual_information.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using elbo::testing::f64;

TEST_CASE("info: fingerprint sample is distinct, in range and reproducible") {
  info::FingerprintSample a = info::draw_fingerprint_sample(1000, 300, 7);
  info::FingerprintSample b = info::draw_fingerprint_sample(1000, 300, 7);
  info::FingerprintSample c = info::draw_fingerprint_sample(1000, 300, 8);
  REQUIRE(a.indices.size() == 300);
  CHECK(a.indices == b.indices);
  CHECK(a.indices != c.indices);
  std::set<int64_t> distinct(a.indices.begin(), a.indices.end());
  CHECK(distinct.size() == 300);
  CHECK(*distinct.begin() >= 0);
  CHECK(*distinct.rbegin() < 1000);
  // Drawing the whole dataset gives a permutation; the first draws do not depend on n.
  info::FingerprintSample all = info::draw_fingerprint_sample(1000, 1000, 7);
  std::vector<int64_t> sorted = all.indices;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t k = 0; k < 1000; ++k) CHECK(sorted[static_cast<size_t>(k)] == k);
  CHECK(std::equal(a.indices.begin(), a.indices.end(), all.indices.begin()));
  // A huge dataset needs no memory proportional to its size.
  info::FingerprintSample big = info::draw_fingerprint_sample(int64_t{3000000000}, 5, 1);
  for (int64_t v : big.indices) CHECK((v >= 0 && v < int64_t{3000000000}));
  CHECK_THROWS_WITH_AS(info::draw_fingerprint_sample(10, 11, 0), doctest::Contains("distinct"), Error);
}

TEST_CASE("info: fingerprint rows are taken in sample order") {
  Tensor x = f64({5, 2}, {0, 1, 10, 11, 20, 21, 30, 31, 40, 41});
  info::FingerprintSample s{0, 5, {3, 0, 4}};
  elbo::testing::check_values(info::take_fingerprint_rows(x, s), {30, 31, 0, 1, 40, 41}, 0);
  CHECK_THROWS_WITH_AS(info::take_fingerprint_rows(f64({4, 1}, {0, 1, 2, 3}), s), doctest::Contains("dataset of 5"),
                       Error);
}

TEST_CASE("info: coefficient matrices of Gaussian channels, both precisions") {
  Tensor means = normal(Shape{40, 3}, 5, 0, 0, DType::f64);
  Tensor logvars = add(mul(normal(Shape{40, 3}, 5, 1, 0, DType::f64), 0.8), -1.0);
  info::ChannelSet set64 = info::gaussian_channels(means, logvars);
  info::ChannelSet set32 = info::gaussian_channels(means.to(DType::f32), logvars.to(DType::f32));
  CHECK(set64.num_channels == 3);
  CHECK(set64.dtype == DType::f64);
  CHECK(set32.dtype == DType::f32);
  for (int64_t c = 0; c < 3; ++c) {
    Tensor want = info::bhattacharyya_coefficient_matrix(slice(means, 1, c, c + 1), slice(logvars, 1, c, c + 1));
    Tensor got = info::coefficient_matrix(set64, c);
    elbo::testing::check_values(got, want.to_vector(), 1e-13);
    std::vector<double> g = got.to_vector();
    for (int64_t i = 0; i < 40; ++i) {
      CHECK(g[static_cast<size_t>(i * 41)] == 1.0);
      for (int64_t j = 0; j < 40; ++j) CHECK(g[static_cast<size_t>(i * 40 + j)] == g[static_cast<size_t>(j * 40 + i)]);
    }
  }
  // A subspace of dimensions {1, 2} has the product of their coefficients.
  info::ChannelSet sub = info::gaussian_subspaces(means, logvars, {1, 2});
  CHECK(sub.num_channels == 2);
  Tensor want = info::bhattacharyya_coefficient_matrix(slice(means, 1, 1, 3), slice(logvars, 1, 1, 3));
  elbo::testing::check_values(info::coefficient_matrix(sub, 1), want.to_vector(), 1e-13);
  // select_channels keeps the channels' data.
  info::ChannelSet picked = info::select_channels(sub, {1, 0});
  elbo::testing::check_values(info::coefficient_matrix(picked, 0), want.to_vector(), 1e-13);
}

TEST_CASE("info: label and coefficient channels") {
  Tensor labels = from_values(Shape{4, 2}, {0, 5, 1, 5, 0, 6, 2, 5}, DType::i64);
  info::ChannelSet set = info::label_channels(labels);
  CHECK(set.num_channels == 2);
  elbo::testing::check_values(info::coefficient_matrix(set, 0), {1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1}, 0);
  elbo::testing::check_values(info::coefficient_matrix(set, 1), {1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1}, 0);
  Tensor c = f64({1, 2, 2}, {1.0, 0.25, 0.25, 1.0});
  elbo::testing::check_values(info::coefficient_matrix(info::coefficient_channels(c), 0), {1, 0.25, 0.25, 1}, 0);
}

TEST_CASE("info: channel sets report misuse") {
  Tensor m = f64({3, 1}, {0, 1, 2});
  CHECK_THROWS_WITH_AS(info::gaussian_subspaces(m, m, {2}), doctest::Contains("cover 2 dimensions"), Error);
  CHECK_THROWS_WITH_AS(info::label_channels(f64({2, 1}, {0.5, 1})), doctest::Contains("integers"), Error);
  // A fingerprint diagonal must be 1; coefficients lie in [0, 1].
  info::ChannelSet bad = info::coefficient_channels(f64({1, 2, 2}, {0.5, 0.1, 0.1, 1}));
  CHECK_THROWS_WITH_AS(info::coefficient_matrix(bad, 0), doctest::Contains("diagonal must be 1"), Error);
  info::ChannelSet out_of_range = info::coefficient_channels(f64({1, 2, 2}, {1, 1.5, 1.5, 1}));
  CHECK_THROWS_WITH_AS(info::coefficient_matrix(out_of_range, 0), doctest::Contains("outside [0, 1]"), Error);
  // f32 arithmetic cannot hold σ² for ln σ² = 120; f64 can.
  info::ChannelSet wide = info::gaussian_channels(m.to(DType::f32), f64({3, 1}, {0, 120, 0}).to(DType::f32));
  CHECK_THROWS_WITH_AS(info::channel_information(wide), doctest::Contains("log-variance"), Error);
  wide.dtype = DType::f64;
  CHECK(std::isfinite(info::channel_information(wide).to_vector()[0]));
  info::FingerprintSample s = info::draw_fingerprint_sample(100, 3, 1);
  CHECK_THROWS_WITH_AS(info::gaussian_channels(f64({2, 1}, {0, 1}), f64({2, 1}, {0, 0}), &s),
                       doctest::Contains("fingerprint sample has 3"), Error);
  info::ChannelSet a = info::gaussian_channels(m, m, &s);
  info::FingerprintSample other = info::draw_fingerprint_sample(100, 3, 2);
  info::ChannelSet b = info::gaussian_channels(m, m, &other);
  CHECK_THROWS_WITH_AS(info::check_same_points("test", a, b), doctest::Contains("different fingerprint samples"), Error);
  CHECK_THROWS_WITH_AS(info::check_same_points("test", a, info::gaussian_channels(f64({2, 1}, {0, 1}), f64({2, 1}, {0, 0}))),
                       doctest::Contains("3 and 2 points"), Error);
}
