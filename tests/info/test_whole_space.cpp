// Whole latent spaces compared by Monte Carlo (info/whole_space.hpp): closed forms of I(U;X) and
// I(U,U′;X) on a 1-D toy, NMI and VI of identical and of independent spaces, each estimate against
// monte_carlo_information on its documented streams, thread invariance, the combined figures, errors.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "elbo/info/mutual_information.hpp"
#include "elbo/info/nmi_vi.hpp"
#include "elbo/info/whole_space.hpp"
#include "elbo/ops/shape.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using elbo::testing::check_thread_invariant;

namespace {

// 64 means evenly spaced on [−3, 3], standard deviation sd (the toy of test_mutual_information.cpp).
info::LatentSpace toy_space(double sd) {
  std::vector<double> m(64), l(64, std::log(sd * sd));
  for (int k = 0; k < 64; ++k) m[static_cast<size_t>(k)] = -3.0 + 6.0 * k / 63.0;
  return {from_vector(Shape{64, 1}, m, DType::f64), from_vector(Shape{64, 1}, l, DType::f64)};
}

// I(U;X) = H(U) − H(U|X) of the toy with standard deviation sd, H(U) of the mixture by Simpson's rule.
double toy_information_by_integration(double sd) {
  const double lo = -5.0, hi = 5.0;
  const int n = 20000;
  auto integrand = [&](double u) {
    double p = 0;
    for (int k = 0; k < 64; ++k) {
      double z = (u - (-3.0 + 6.0 * k / 63.0)) / sd;
      p += std::exp(-0.5 * z * z);
    }
    p /= 64 * sd * std::sqrt(2 * M_PI);
    return p > 0 ? -p * std::log2(p) : 0.0;
  };
  double h = (hi - lo) / n, s = integrand(lo) + integrand(hi);
  for (int k = 1; k < n; ++k) s += (k % 2 ? 4 : 2) * integrand(lo + k * h);
  return s * h / 3 - 0.5 * std::log2(2 * M_PI * M_E * sd * sd);
}

// N = 16·16 points x = (i, j); a space that reads i (means i, σ = 0.4) or j; both 1-D.
info::LatentSpace grid_coordinate(bool second, double shift = 0) {
  std::vector<double> m(256), l(256, std::log(0.16));
  for (int x = 0; x < 256; ++x) m[static_cast<size_t>(x)] = (second ? x % 16 : x / 16) + shift;
  return {from_vector(Shape{256, 1}, m, DType::f64), from_vector(Shape{256, 1}, l, DType::f64)};
}

Tensor flatten_result(const info::WholeSpaceSimilarity& r) {
  std::vector<double> v;
  for (const auto* list : {&r.information, &r.self_joint, &r.joint, &r.mutual_information, &r.nmi, &r.vi})
    for (const info::Estimate& e : *list) v.push_back(e.value), v.push_back(e.error);
  return from_vector(Shape{static_cast<int64_t>(v.size())}, v, DType::f64);
}

}  // namespace

TEST_CASE("spaces: the information of the 1-D toy, and of two draws from it, against numerical integration") {
  // Two draws u, u′ ~ N(μ_x, σ²) tell about x exactly what their mean ~ N(μ_x, σ²/2) tells, so
  // I(U,U′;X) is the toy's information at σ/√2.
  const double sd = 0.2;
  const info::WholeSpaceSimilarity r = info::whole_space_similarity({toy_space(sd)}, {.samples = 20000, .seed = 3});
  REQUIRE(r.spaces == 1);
  CHECK(r.points == 64);
  const double truth = toy_information_by_integration(sd), truth_pair = toy_information_by_integration(sd / std::sqrt(2.0));
  CHECK(truth == doctest::Approx(2.966).epsilon(2e-3));
  CHECK(truth_pair > truth + 0.3);
  const info::Estimate &i = r.information[0], &ii = r.self_joint[0];
  CHECK(i.error > 0.001);
  CHECK(i.error < 0.012);
  CHECK(std::abs(i.value - truth) < 4 * i.error);
  CHECK(std::abs(ii.value - truth_pair) < 4 * ii.error);
  // The diagonal: the generalised entropy I(U;U′) = 2I − I(U,U′;X), NMI 1 and VI 0 exactly.
  CHECK(r.mutual_information[0].value == doctest::Approx(2 * i.value - ii.value).epsilon(1e-15));
  CHECK(std::abs(r.mutual_information[0].value - (2 * truth - truth_pair)) < 4 * r.mutual_information[0].error);
  CHECK(r.nmi[0].value == 1.0);
  CHECK(r.vi[0].value == 0.0);
  CHECK(r.nmi[0].error == 0.0);
}

TEST_CASE("spaces: identical spaces have NMI 1 and VI 0, spaces of independent coordinates NMI 0") {
  // Spaces 0 and 1 read the same coordinate i of a 16×16 grid (1 shifted by a constant, which changes
  // nothing), space 2 reads j, independent of i under p(x) uniform: I(U_0;U_2) = 0.
  const std::vector<info::LatentSpace> spaces = {grid_coordinate(false), grid_coordinate(false, 5.0),
                                                 grid_coordinate(true)};
  const info::WholeSpaceSimilarity r = info::whole_space_similarity(spaces, {.samples = 4000, .seed = 11});
  REQUIRE(r.spaces == 3);
  CHECK(r.information[0].value > 2.0);  // about 2.9 of the 4 bits of i
  CHECK(r.information[0].value < 4.0);
  CHECK(std::abs(r.nmi_at(0, 1).value - 1) < 4 * r.nmi_at(0, 1).error);
  CHECK(std::abs(r.vi_at(0, 1).value) < 4 * r.vi_at(0, 1).error);
  CHECK(r.vi_at(0, 1).error > 0.01);
  for (int64_t a : {0, 1}) {
    const info::Estimate& nmi = r.nmi_at(a, 2);
    CHECK(std::abs(nmi.value) < 4 * nmi.error);
    CHECK(nmi.error < 0.05);
    // Nothing shared: I(U_a;U_2) = 0, and VI is the sum of the two generalised entropies.
    const info::Estimate& shared = r.mutual_information[static_cast<size_t>(a * 3 + 2)];
    CHECK(std::abs(shared.value) < 4 * shared.error);
    CHECK(r.vi_at(a, 2).value > 3.0);
  }
  // Symmetric matrices.
  for (int64_t a = 0; a < 3; ++a)
    for (int64_t b = 0; b < 3; ++b) {
      CHECK(r.nmi_at(a, b).value == r.nmi_at(b, a).value);
      CHECK(r.vi_at(a, b).error == r.vi_at(b, a).error);
    }
}

TEST_CASE("spaces: each estimate is monte_carlo_information on its documented streams") {
  // K = 3 spaces of 2, 1 and 3 dimensions; options.stream = 4.
  const int64_t n = 90;
  std::vector<info::LatentSpace> spaces;
  for (int64_t k = 0; k < 3; ++k) {
    const int64_t d = k == 0 ? 2 : k == 1 ? 1 : 3;
    spaces.push_back({normal(Shape{n, d}, 40 + static_cast<uint64_t>(k), 0, 0, DType::f64),
                      add(normal(Shape{n, d}, 40 + static_cast<uint64_t>(k), 1, 0, DType::f64), -1.5)});
  }
  const info::WholeSpaceOptions options{.samples = 600, .seed = 21, .stream = 4};
  const info::WholeSpaceSimilarity r = info::whole_space_similarity(spaces, options);
  auto reference = [&](const info::LatentSpace& a, const info::LatentSpace* b, uint64_t e) {
    Tensor means = b ? concat({a.means, b->means}, 1) : a.means, logvars = b ? concat({a.logvars, b->logvars}, 1) : a.logvars;
    return info::monte_carlo_information(means, logvars, {.samples = 600, .seed = 21, .stream = 4 + 2 * e});
  };
  for (size_t k = 0; k < 3; ++k) {
    const info::Estimate one = reference(spaces[k], nullptr, k);
    CHECK(r.information[k].value == one.value);  // the same code on the same draws: the same bits
    CHECK(r.information[k].error == one.error);
    const info::Estimate two = reference(spaces[k], &spaces[k], 3 + k);
    CHECK(r.self_joint[k].value == doctest::Approx(two.value).epsilon(1e-12));
    CHECK(r.self_joint[k].error == doctest::Approx(two.error).epsilon(1e-9));
  }
  const int64_t pairs[3][2] = {{0, 1}, {0, 2}, {1, 2}};
  for (int p = 0; p < 3; ++p) {
    const int64_t a = pairs[p][0], b = pairs[p][1];
    const info::Estimate joint = reference(spaces[static_cast<size_t>(a)], &spaces[static_cast<size_t>(b)], 6 + static_cast<uint64_t>(p));
    const info::Estimate& got = r.joint[static_cast<size_t>(a * 3 + b)];
    CHECK(got.value == doctest::Approx(joint.value).epsilon(1e-12));
    const info::EstimatedSimilarity s = info::similarity_from_estimates(
        r.information[static_cast<size_t>(a)], r.information[static_cast<size_t>(b)],
        r.self_joint[static_cast<size_t>(a)], r.self_joint[static_cast<size_t>(b)], got);
    CHECK(r.nmi_at(a, b).value == s.nmi.value);
    CHECK(r.vi_at(b, a).error == s.vi.error);
  }
  // K = 2 is monte_carlo_similarity's layout: the same numbers.
  const info::WholeSpaceSimilarity two = info::whole_space_similarity({spaces[0], spaces[2]}, options);
  const info::MonteCarloSimilarity pair = info::monte_carlo_similarity(spaces[0].means, spaces[0].logvars, spaces[2].means,
                                                                      spaces[2].logvars, {.samples = 600, .seed = 21, .stream = 4});
  CHECK(two.nmi_at(0, 1).value == pair.nmi.value);
  CHECK(two.vi_at(0, 1).error == pair.vi.error);
  CHECK(two.joint[1].value == pair.joint_uv.value);
  // Other streams give another estimate of the same quantities: agreement within the errors.
  const info::MonteCarloSimilarity other = info::monte_carlo_similarity(
      spaces[1].means, spaces[1].logvars, spaces[2].means, spaces[2].logvars, {.samples = 600, .seed = 99});
  const info::Estimate &nmi = r.nmi_at(1, 2), &vi = r.vi_at(1, 2);
  CHECK(std::abs(nmi.value - other.nmi.value) < 4 * std::hypot(nmi.error, other.nmi.error));
  CHECK(std::abs(vi.value - other.vi.value) < 4 * std::hypot(vi.error, other.vi.error));
}

TEST_CASE("spaces: the same bits at 1 and 2 threads") {
  std::vector<info::LatentSpace> spaces;
  for (uint64_t k = 0; k < 4; ++k)
    spaces.push_back({normal(Shape{70, 3}, 50 + k, 0, 0, DType::f32), add(normal(Shape{70, 3}, 50 + k, 1, 0, DType::f32), -1.0)});
  check_thread_invariant("whole_space_similarity", [&] {
    return flatten_result(info::whole_space_similarity(spaces, {.samples = 300, .seed = 8}));
  });
}

TEST_CASE("spaces: combined figures are inverse-variance means over models and pairs") {
  info::WholeSpaceSimilarity r;
  r.spaces = 3;
  r.points = 16;  // log2 N = 4
  r.samples = 10;
  r.information = {{2.0, 0.4}, {3.0, 0.2}, {4.0, 0.0}};  // the last has no error: left out
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.nmi.assign(9, {1.0, 0.0});
  r.vi.assign(9, {0.0, 0.0});
  auto set = [&](std::vector<info::Estimate>& m, int a, int b, info::Estimate e) { m[static_cast<size_t>(a * 3 + b)] = m[static_cast<size_t>(b * 3 + a)] = e; };
  set(r.nmi, 0, 1, {0.9, 0.1});
  set(r.nmi, 0, 2, {0.6, 0.05});
  set(r.nmi, 1, 2, {nan, nan});
  set(r.vi, 0, 1, {1.0, 0.5});
  set(r.vi, 0, 2, {2.0, 0.5});
  set(r.vi, 1, 2, {3.0, 1.0});
  const info::WholeSpaceSummary s = info::summarise_whole_spaces(r);
  // Fractions 0.5 ± 0.1 and 0.75 ± 0.05: weights 100 and 400 → (50 + 300)/500 = 0.7, error 1/√500.
  CHECK(s.information_fraction.used == 2);
  CHECK(s.information_fraction.mean.value == doctest::Approx(0.7));
  CHECK(s.information_fraction.mean.error == doctest::Approx(1 / std::sqrt(500.0)));
  CHECK(s.information_fraction.spread == doctest::Approx(0.25 / std::sqrt(2.0)));
  // NMI 0.9 ± 0.1 and 0.6 ± 0.05 (weights 100, 400): 0.66; the NaN pair is left out.
  CHECK(s.nmi.used == 2);
  CHECK(s.nmi.mean.value == doctest::Approx(0.66));
  // VI weights 4, 4, 1: (4 + 8 + 3)/9.
  CHECK(s.vi.used == 3);
  CHECK(s.vi.mean.value == doctest::Approx(15.0 / 9.0));
  CHECK(s.vi.mean.error == doctest::Approx(1.0 / 3.0));
  CHECK(s.vi.spread == doctest::Approx(1.0));
}

TEST_CASE("spaces: bad inputs are errors that say what is wrong") {
  const info::LatentSpace a = toy_space(0.2);
  const info::LatentSpace b = {zeros(Shape{10, 2}, DType::f64), zeros(Shape{10, 2}, DType::f64)};
  CHECK_THROWS_WITH_AS(info::whole_space_similarity({a, b}), doctest::Contains("space 1 holds 10 posteriors but space 0 holds 64"), Error);
  CHECK_THROWS_WITH_AS(info::whole_space_similarity({a}, {.samples = 1}), doctest::Contains("at least 2 Monte Carlo samples"), Error);
  CHECK_THROWS_WITH_AS(info::whole_space_similarity({}), doctest::Contains("no latent spaces"), Error);
  CHECK_THROWS_WITH_AS(info::whole_space_similarity({{a.means, zeros(Shape{64, 2}, DType::f64)}}), doctest::Contains("whole_space_similarity"), Error);
}
