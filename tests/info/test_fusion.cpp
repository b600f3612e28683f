// Ensemble fusion (info/fusion.hpp): the differentiable fingerprint against the closed form, the
// objective's gradient against finite differences (f64), self-similarity, fusing cut circles into a
// continuous one, and the continuity measure by hand.
#include <doctest/doctest.h>

#include <cmath>

#include "elbo/info/bhattacharyya.hpp"
#include "elbo/info/fusion.hpp"
#include "elbo/info/mutual_information.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using elbo::testing::check_gradients;

namespace {

// A 1-D weak learner of the circle: the angle θ_i = 2πi/N measured from a cut at `cut`, so the
// embedding jumps by 2π across the cut. σ = 0.3.
void cut_circle(int64_t n, double cut, Tensor& means, Tensor& logvars) {
  std::vector<double> m(static_cast<size_t>(n)), l(static_cast<size_t>(n), std::log(0.09));
  for (int64_t i = 0; i < n; ++i)
    m[static_cast<size_t>(i)] = std::fmod(2 * M_PI * static_cast<double>(i) / static_cast<double>(n) - cut + 4 * M_PI, 2 * M_PI) - M_PI;
  means = from_vector(Shape{n, 1}, m, DType::f64);
  logvars = from_vector(Shape{n, 1}, l, DType::f64);
}

}  // namespace

TEST_CASE("info: the differentiable fingerprint equals the closed form") {
  Tensor m = normal(Shape{9, 2}, 81, 0, 0, DType::f64), l = normal(Shape{9, 2}, 81, 1, 0, DType::f64);
  Tensor d = info::differentiable_bhattacharyya_distances(m, l);
  Tensor want = info::bhattacharyya_distance_matrix(m, l);
  elbo::testing::check_values(d, want.to_vector(), 1e-12);
  CHECK(info::fingerprint_information(d).item() ==
        doctest::Approx(info::pairwise_distance_information(want)).epsilon(1e-12));
  // A channel compared with itself: exp(−VI) = 1, NMI = 1, I(U;V) = I(U;U′) = 2Î(D) − Î(2D).
  CHECK(info::fusion_similarity(want, want, info::FusionSimilarity::exp_neg_vi).item() == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(info::fusion_similarity(want, want, info::FusionSimilarity::nmi).item() == doctest::Approx(1.0).epsilon(1e-12));
  double self = 2 * info::pairwise_distance_information(want) - info::pairwise_distance_information(mul(want, 2.0));
  CHECK(info::fusion_similarity(want, want, info::FusionSimilarity::mutual_information).item() ==
        doctest::Approx(self).epsilon(1e-12));
}

TEST_CASE("info: fusion objective gradient against finite differences") {
  std::vector<info::FusionMember> members;
  for (int k = 0; k < 2; ++k) {
    Tensor mk, lk;
    cut_circle(6, 1.0 + 2.0 * k, mk, lk);
    members.push_back(info::fusion_member(mk, lk));
  }
  Tensor means = elbo::testing::random_f64(Shape{6, 2}, 91, -1.0, 1.0);
  Tensor logvars = elbo::testing::random_f64(Shape{6, 2}, 92, -1.0, 0.5);
  for (info::FusionSimilarity kind :
       {info::FusionSimilarity::mutual_information, info::FusionSimilarity::exp_neg_vi, info::FusionSimilarity::nmi}) {
    check_gradients(
        "fusion objective", [&](const std::vector<Tensor>& in) { return info::fusion_objective(in[0], in[1], members, kind); },
        {means, logvars});
  }
}

TEST_CASE("info: the written-out fusion gradient equals autodiff's") {
  // Members of different dimensions; the second is so sharp (σ = 0.003) that most of its
  // distances exceed 300, where the written-out form takes coefficients as 0.
  std::vector<info::FusionMember> members;
  Tensor m0, l0;
  cut_circle(7, 1.0, m0, l0);
  members.push_back(info::fusion_member(m0, l0));
  Tensor l1 = full(Shape{7, 1}, std::log(0.003 * 0.003), DType::f64);
  members.push_back(info::fusion_member(m0, l1));
  members.push_back(info::fusion_member(elbo::testing::random_f64(Shape{7, 2}, 95, -2.0, 2.0),
                                        elbo::testing::random_f64(Shape{7, 2}, 96, -1.5, 0.5)));
  CHECK(members[1].coefficients.to_vector()[3] == 0.0);  // D = (2π·3/7)²/(8·0.003²) ≈ 1.0e5
  const Tensor means = elbo::testing::random_f64(Shape{7, 2}, 93, -1.0, 1.0);
  const Tensor logvars = elbo::testing::random_f64(Shape{7, 2}, 94, -1.0, 0.5);
  for (info::FusionSimilarity kind :
       {info::FusionSimilarity::mutual_information, info::FusionSimilarity::exp_neg_vi, info::FusionSimilarity::nmi}) {
    Tensor m = means.clone(), l = logvars.clone();
    m.requires_grad_(true);
    l.requires_grad_(true);
    Tensor s = info::fusion_objective(m, l, members, kind);
    s.backward();
    Tensor gm, gl;
    double written = info::fusion_objective_gradient(means, logvars, members, kind, gm, gl);
    CHECK(written == doctest::Approx(s.item()).epsilon(1e-12));
    elbo::testing::check_values(gm, m.grad().to_vector(), 1e-11);
    elbo::testing::check_values(gl, l.grad().to_vector(), 1e-11);
    elbo::testing::check_thread_invariant("fusion_objective_gradient", [&] {
      Tensor a, b;
      info::fusion_objective_gradient(means, logvars, members, kind, a, b);
      return concat({a, b}, 1);
    });
  }
  // At 190 points (36,100 pairs) the loops run in parallel: the same bits at 1 and 2 threads, and
  // still autodiff's gradient.
  std::vector<info::FusionMember> large;
  for (int k = 0; k < 3; ++k) {
    Tensor mk, lk;
    cut_circle(190, 0.5 + 2.0 * k, mk, lk);
    large.push_back(info::fusion_member(mk, lk));
  }
  const Tensor large_means = elbo::testing::random_f64(Shape{190, 2}, 97, -1.0, 1.0);
  const Tensor large_logvars = elbo::testing::random_f64(Shape{190, 2}, 98, -3.0, -1.0);
  elbo::testing::check_thread_invariant("fusion_objective_gradient, 190 points", [&] {
    Tensor a, b;
    info::fusion_objective_gradient(large_means, large_logvars, large, info::FusionSimilarity::nmi, a, b);
    return concat({a, b}, 1);
  });
  {
    Tensor m = large_means.clone(), l = large_logvars.clone();
    m.requires_grad_(true);
    l.requires_grad_(true);
    info::fusion_objective(m, l, large, info::FusionSimilarity::nmi).backward();
    Tensor a, b;
    info::fusion_objective_gradient(large_means, large_logvars, large, info::FusionSimilarity::nmi, a, b);
    elbo::testing::check_values(a, m.grad().to_vector(), 1e-11);
    elbo::testing::check_values(b, l.grad().to_vector(), 1e-11);
  }
  Tensor gm, gl;
  CHECK_THROWS_WITH_AS(info::fusion_objective_gradient(means.to(DType::f32), logvars, members,
                                                       info::FusionSimilarity::nmi, gm, gl),
                       doctest::Contains("need means and logvars f64[N, d]"), elbo::Error);
}

TEST_CASE("info: fusing cut circles restores continuity") {
  const int64_t n = 40;
  std::vector<Tensor> means(4), logvars(4);
  for (int k = 0; k < 4; ++k) {
    cut_circle(n, 2 * M_PI * (k + 0.37) / 4, means[static_cast<size_t>(k)], logvars[static_cast<size_t>(k)]);
    CHECK(info::continuity(means[static_cast<size_t>(k)], logvars[static_cast<size_t>(k)]) > 100);  // one big jump
  }
  // (The objective is not concave: from some initialisations, e.g. seed 3 here, Adam stops in a
  // folded arrangement with a lower objective, 0.92 against 0.95, and a cut.)
  info::FusedPosterior f = info::fuse(means, logvars, {.steps = 400, .lr = 0.05, .seed = 1});
  REQUIRE(f.objective.size() == 400);
  CHECK(f.objective.back() > f.objective.front() + 0.3);
  CHECK(f.means.shape() == Shape{n, 2});
  CHECK(info::continuity(f.means, f.logvars) < 6);  // 3.19
  // The fused arrangement is a closed loop: the first and last points are neighbours too.
  Tensor d = info::bhattacharyya_distance_matrix(f.means, f.logvars);
  std::vector<double> dv = d.to_vector();
  CHECK(dv[static_cast<size_t>(n - 1)] < 4 * dv[1]);
  elbo::testing::check_thread_invariant("fuse", [&] { return info::fuse(means, logvars, {.steps = 5, .seed = 3}).means; });
}

TEST_CASE("info: continuity by hand") {
  // Means 0, 1, 2, 3, 10 with σ = 1: adjacent distances Δ²/8 = ⅛, ⅛, ⅛, 49/8. numpy's 90th
  // percentile of four values sits at position 2.7: ⅛ + 0.7·(49/8 − ⅛) = 4.325, so 6.125/4.325.
  Tensor m = elbo::testing::f64({5, 1}, {0, 1, 2, 3, 10});
  CHECK(info::continuity(m, zeros(Shape{5, 1}, DType::f64)) == doctest::Approx(6.125 / 4.325).epsilon(1e-12));
}
