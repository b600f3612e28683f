// Estimators of I(U;X) (info/mutual_information.hpp): the reference bound ordering on a 1-D toy,
// Monte Carlo against numerical integration, the batch bounds' exact zero (the B − 1 of the
// leave-one-out bound), fingerprints against the distance-matrix definition, thread invariance.
#include <doctest/doctest.h>

#include <cmath>

#include "elbo/info/bhattacharyya.hpp"
#include "elbo/info/mutual_information.hpp"
#include "elbo/info/units.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using elbo::testing::check_thread_invariant;

namespace {

// 64 means evenly spaced on [−3, 3] (numpy's linspace), σ = 0.2.
struct Toy {
  Tensor means, logvars;
  Toy() {
    std::vector<double> m(64), l(64, std::log(0.04));
    for (int k = 0; k < 64; ++k) m[static_cast<size_t>(k)] = -3.0 + 6.0 * k / 63.0;
    means = from_vector(Shape{64, 1}, m, DType::f64);
    logvars = from_vector(Shape{64, 1}, l, DType::f64);
  }
};

// I(U;X) = H(U) − H(U|X) for the toy, with H(U) of the mixture integrated numerically (Simpson)
// and H(U|X) = ½ log2(2πe σ²).
double toy_information_by_integration() {
  const double sd = 0.2, lo = -5.0, hi = 5.0;
  const int n = 20000;
  auto mixture = [&](double u) {
    double p = 0;
    for (int k = 0; k < 64; ++k) {
      double z = (u - (-3.0 + 6.0 * k / 63.0)) / sd;
      p += std::exp(-0.5 * z * z);
    }
    return p / (64 * sd * std::sqrt(2 * M_PI));
  };
  auto integrand = [&](double u) {
    double p = mixture(u);
    return p > 0 ? -p * std::log2(p) : 0.0;
  };
  double h = (hi - lo) / n, s = integrand(lo) + integrand(hi);
  for (int k = 1; k < n; ++k) s += (k % 2 ? 4 : 2) * integrand(lo + k * h);
  double entropy = s * h / 3;
  return entropy - 0.5 * std::log2(2 * M_PI * M_E * sd * sd);
}

}  // namespace

TEST_CASE("info: pairwise bounds bracket Monte Carlo on the 64-point toy") {
  Toy toy;
  double lower = info::information_lower_bound(toy.means, toy.logvars);
  double upper = info::information_upper_bound(toy.means, toy.logvars);
  CHECK(lower == doctest::Approx(2.694).epsilon(5e-4));
  CHECK(upper == doctest::Approx(3.648).epsilon(5e-4));
  info::Estimate mc = info::monte_carlo_information(toy.means, toy.logvars, {.samples = 100000, .seed = 3});
  double truth = toy_information_by_integration();
  CHECK(truth == doctest::Approx(2.966).epsilon(2e-3));
  CHECK(mc.error > 0.0);
  CHECK(mc.error < 0.005);
  CHECK(std::abs(mc.value - truth) < 4 * mc.error);
  CHECK(lower < mc.value - 4 * mc.error);
  CHECK(mc.value + 4 * mc.error < upper);
  CHECK(upper < 6.0);  // log2 N
}

TEST_CASE("info: InfoNCE and leave-one-out bounds bracket the toy's information") {
  Toy toy;
  double truth = toy_information_by_integration();
  info::BatchBounds b =
      info::batch_information_bounds(toy.means, toy.logvars, {.batch_size = 32, .batches = 64, .seed = 4});
  CHECK(b.lower.value + 4 * b.lower.error < truth);
  CHECK(truth < b.upper.value - 4 * b.upper.error);
  CHECK(b.lower.value > 2.6);  // not vacuous: about 2.77 and 3.26 bits at B = 32
  CHECK(b.upper.value < 3.5);
  // Larger batches tighten both bounds.
  info::BatchBounds big =
      info::batch_information_bounds(toy.means, toy.logvars, {.batch_size = 128, .batches = 16, .seed = 4});
  CHECK(big.lower.value > b.lower.value + 0.05);
  CHECK(big.upper.value < b.upper.value - 0.05);
}

TEST_CASE("info: batch bounds of a channel without information are exactly zero") {
  // Every posterior identical: P_kl = P_kk, so InfoNCE = ln(P/((1/B)·B·P)) = 0 and the leave-one-out
  // bound ln(P/((1/(B−1))·(B−1)·P)) = 0. Dividing the leave-one-out sum by B instead would give
  // log2(B/(B−1)) > 0.
  Tensor means = zeros(Shape{50, 2}, DType::f64), logvars = full(Shape{50, 2}, -1.0, DType::f64);
  info::BatchBounds b = info::batch_information_bounds(means, logvars, {.batch_size = 4, .batches = 3, .seed = 1});
  CHECK(std::abs(b.lower.value) < 1e-12);
  CHECK(std::abs(b.upper.value) < 1e-12);
  CHECK(std::abs(info::monte_carlo_information(means, logvars, {.samples = 100}).value) < 1e-12);
  CHECK(std::abs(info::information_lower_bound(means, logvars)) < 1e-12);
  CHECK_THROWS_WITH_AS(info::batch_information_bounds(means, logvars, {.batch_size = 1}),
                       doctest::Contains("at least 2"), Error);
}

TEST_CASE("info: channel information equals the distance-matrix definition") {
  Tensor means = normal(Shape{60, 4}, 11, 0, 0, DType::f64);
  Tensor logvars = add(normal(Shape{60, 4}, 11, 1, 0, DType::f64), -2.0);
  Tensor info64 = info::channel_information(info::gaussian_channels(means, logvars));
  Tensor info32 = info::channel_information(info::gaussian_channels(means.to(DType::f32), logvars.to(DType::f32)));
  for (int64_t c = 0; c < 4; ++c) {
    double want = info::information_lower_bound(slice(means, 1, c, c + 1), slice(logvars, 1, c, c + 1));
    CHECK(info64.to_vector()[static_cast<size_t>(c)] == doctest::Approx(want).epsilon(1e-12));
    CHECK(std::abs(info32.to_vector()[static_cast<size_t>(c)] - want) < 2e-6);
  }
  // Hard labels: Î(U;X) = H(U), the plug-in entropy. Labels 0,0,0,1 → H = −¾ log2 ¾ − ¼ log2 ¼.
  Tensor labels = from_values(Shape{4}, {0, 0, 0, 1}, DType::i64);
  CHECK(info::channel_information(info::label_channels(labels)).item() ==
        doctest::Approx(-0.75 * std::log2(0.75) - 0.25 * std::log2(0.25)).epsilon(1e-14));
}

TEST_CASE("info: pairwise information of a distance matrix by hand") {
  // D = [[0, ln 2], [ln 2, 0]]: each row's mean of e^−D is (1 + ½)/2 = ¾, so Î = −log2 ¾.
  Tensor d = elbo::testing::f64({2, 2}, {0, std::log(2.0), std::log(2.0), 0});
  CHECK(info::pairwise_distance_information(d) == doctest::Approx(-std::log2(0.75)).epsilon(1e-15));
  CHECK(info::bits_to_nats(1.0) == doctest::Approx(std::log(2.0)));
  CHECK_THROWS_WITH_AS(info::pairwise_distance_information(elbo::testing::f64({2, 2}, {0, -1, -1, 0})),
                       doctest::Contains("≥ 0"), Error);
}

TEST_CASE("info: information estimators give the same bits at 1 and 2 threads") {
  Tensor means = normal(Shape{120, 6}, 2, 0, 0, DType::f32);
  Tensor logvars = add(normal(Shape{120, 6}, 2, 1, 0, DType::f32), -1.5);
  info::ChannelSet set = info::gaussian_channels(means, logvars);
  check_thread_invariant("channel_information", [&] { return info::channel_information(set); });
  check_thread_invariant("monte_carlo_information", [&] {
    info::Estimate e = info::monte_carlo_information(means, logvars, {.samples = 3000, .seed = 9});
    return from_vector(Shape{2}, {e.value, e.error}, DType::f64);
  });
  check_thread_invariant("batch_information_bounds", [&] {
    info::BatchBounds b = info::batch_information_bounds(means, logvars, {.batch_size = 64, .batches = 3, .seed = 9});
    return from_vector(Shape{4}, {b.lower.value, b.lower.error, b.upper.value, b.upper.error}, DType::f64);
  });
}
