// The nine synthetic spaces and the comparison of measures (info/synthetic_spaces.hpp).
#include <doctest/doctest.h>

#include <cmath>

#include "elbo/info/synthetic_spaces.hpp"
#include "gradcheck.hpp"

using namespace elbo;

TEST_CASE("info: the nine synthetic spaces") {
  std::vector<info::RepresentationSpace> s = info::synthetic_spaces();
  REQUIRE(s.size() == 9);
  CHECK(s[0].name == "i");
  CHECK(s[8].name == "ix");
  for (const auto& sp : s) CHECK(sp.means.size(0) == 64);
  CHECK(s[5].means.size(1) == 1);  // the line
  // Spiral point x = 25: radius 5, angle 2π·0.2·5 = 2π.
  std::vector<double> spiral = s[0].means.to_vector();
  CHECK(spiral[50] == doctest::Approx(5.0).epsilon(1e-12));
  CHECK(std::abs(spiral[51]) < 1e-12);
  CHECK(s[2].logvars.to_vector()[50] == doctest::Approx(0.1 + 5 - 4.5));
  // Square spiral: up 0.5, right 0.6, down 2 × 0.7, left 2 × 0.8, up 3 × 0.9 (f32 step sizes).
  std::vector<double> sq = s[3].means.to_vector();
  auto f = [](double v) { return static_cast<double>(static_cast<float>(v)); };
  std::vector<double> want = {0, 0, 0, 0.5, f(0.6), 0.5, f(0.6), 0.5 - f(0.7), f(0.6), 0.5 - 2 * f(0.7),
                              f(0.6) - f(0.8), 0.5 - 2 * f(0.7), f(0.6) - 2 * f(0.8), 0.5 - 2 * f(0.7)};
  for (size_t k = 0; k < want.size(); ++k) CHECK(sq[k] == doctest::Approx(want[k]).epsilon(1e-12));
  // Clusters: 16 points per centre; ix is stretched vertically.
  std::vector<double> four = s[7].means.to_vector();
  CHECK(four[0] == doctest::Approx(-5.6));
  CHECK(four[2 * 16] == doctest::Approx(5.6));
  CHECK(four[2 * 16 + 1] == doctest::Approx(5.6));
  CHECK(s[8].logvars.to_vector()[1] == 4.0);
}

TEST_CASE("info: Spearman correlation with ties") {
  // scipy.stats.spearmanr([1,2,2,3,7,5], [1,3,2,4,4,9]) = 0.8823529411764706
  CHECK(info::spearman_correlation({1, 2, 2, 3, 7, 5}, {1, 3, 2, 4, 4, 9}) == doctest::Approx(0.8823529411764706).epsilon(1e-14));
  CHECK(info::spearman_correlation({1, 2, 3}, {30, 20, 10}) == doctest::Approx(-1.0));
}

TEST_CASE("info: measures between the synthetic spaces") {
  std::vector<info::RepresentationSpace> s = info::synthetic_spaces();
  info::MeasureTable t = info::compare_spaces(s, {.monte_carlo_options = {.samples = 2000, .seed = 1}});
  REQUIRE(t.measures.size() == 7);
  auto value = [&](const char* name, int u, int v) {
    for (size_t m = 0; m < t.measures.size(); ++m)
      if (t.measures[m] == name) return t.values[m].to_vector()[static_cast<size_t>(u * 9 + v)];
    FAIL("no measure ", name);
    return 0.0;
  };
  // Spaces i and ii share their means: linear CKA of the means sees no difference...
  CHECK(value("cka_linear", 0, 1) == doctest::Approx(1.0).epsilon(1e-12));
  // ...while the information measures see the larger variance of ii (about 0.92 and 0.94 bits).
  CHECK(value("nmi_fingerprint", 0, 1) < 0.95);
  CHECK(value("vi_fingerprint", 0, 1) > 0.8);
  CHECK(value("cka_coefficient", 0, 1) < 0.9);
  for (int u = 0; u < 9; ++u) {
    CHECK(value("nmi_fingerprint", u, u) == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(std::abs(value("vi_fingerprint", u, u)) < 1e-12);
    CHECK(value("nmi_monte_carlo", u, u) == doctest::Approx(1.0).epsilon(1e-12));
  }
  // Two and four clusters: the two-cluster split (left/right) is one of the four-cluster split's bits,
  // so NMI ≈ 1/√2 for both estimators.
  CHECK(value("nmi_fingerprint", 6, 7) == doctest::Approx(1 / std::sqrt(2.0)).epsilon(0.02));
  CHECK(value("nmi_monte_carlo", 6, 7) == doctest::Approx(1 / std::sqrt(2.0)).epsilon(0.05));
  // The fingerprint and Monte Carlo versions of the same measure agree in rank.
  std::vector<double> rho = t.spearman.to_vector();
  CHECK(rho[3 * 7 + 5] > 0.8);  // nmi_fingerprint vs nmi_monte_carlo
  CHECK(rho[4 * 7 + 6] > 0.8);  // vi_fingerprint vs vi_monte_carlo
  CHECK(rho[3 * 7 + 4] < 0.0);  // NMI is a similarity, VI a distance
  CHECK(rho[0] == doctest::Approx(1.0));
}
