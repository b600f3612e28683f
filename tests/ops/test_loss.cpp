// The VAE losses (ops/loss.hpp): values against closed forms and hand-computed numbers,
// numerical stability at large logits and log-variances, shape errors, and gradient checks
// for every differentiable argument.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::testing;
using elbo::testing::check_gradients;
using elbo::testing::random_f64;

namespace {

double sigmoid_ref(double l) { return 1.0 / (1.0 + std::exp(-l)); }

}  // namespace

TEST_CASE("bce_with_logits: values, the ln 2 at logit 0, and stability") {
  // −[x ln σ(l) + (1 − x) ln(1 − σ(l))], evaluated directly where that is accurate.
  Tensor l = f64(Shape{2, 3}, {0.0, 0.0, 0.0, 2.0, -1.5, 0.3});
  Tensor x = f64(Shape{2, 3}, {0.0, 1.0, 0.25, 1.0, 0.0, 0.7});
  std::vector<double> want;
  std::vector<double> lv = l.to_vector(), xv = x.to_vector();
  for (size_t i = 0; i < lv.size(); ++i) {
    double s = sigmoid_ref(lv[i]);
    want.push_back(-(xv[i] * std::log(s) + (1 - xv[i]) * std::log(1 - s)));
  }
  check_values(bce_with_logits(l, x), want, 1e-14);
  CHECK(bce_with_logits(l, x).to_vector()[0] == doctest::Approx(std::numbers::ln2).epsilon(1e-15));

  // Large |l|: ln(1 + e^l) − l·x without overflow, in f32 and f64. At l = ±200 with x = 0 or 1
  // the loss is 0 or 200.
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor big = from_values(Shape{4}, {200.0, 200.0, -200.0, -200.0}, dt);
    Tensor t = from_values(Shape{4}, {1.0, 0.0, 0.0, 1.0}, dt);
    std::vector<double> v = bce_with_logits(big, t).to_vector();
    for (double e : v) CHECK(std::isfinite(e));
    check_values(bce_with_logits(big, t), {0.0, 200.0, 0.0, 200.0}, 1e-4);
  }
}

TEST_CASE("bce_with_logits: the gradient is σ(l) − x, also at l = 0") {
  Tensor l = f64(Shape{3}, {0.0, 1.0, -2.0}).requires_grad_();
  Tensor x = f64(Shape{3}, {1.0, 0.5, 0.0});
  sum(bce_with_logits(l, x)).backward();
  check_values(l.grad(), {sigmoid_ref(0.0) - 1.0, sigmoid_ref(1.0) - 0.5, sigmoid_ref(-2.0)}, 1e-15);
}

TEST_CASE("gaussian_nll: values") {
  // ½[ln 2π + logvar + (x − μ)² e^−logvar]; at x = μ, logvar = 0 it is ½ ln 2π.
  Tensor x = f64(Shape{3}, {0.0, 1.0, 2.0});
  Tensor mu = f64(Shape{3}, {0.0, -1.0, 2.5});
  Tensor lv = f64(Shape{3}, {0.0, std::log(4.0), -1.0});
  double h = 0.5 * std::log(2 * std::numbers::pi);
  check_values(gaussian_nll(x, mu, lv),
               {h, h + 0.5 * std::log(4.0) + 0.5 * 4.0 / 4.0, h - 0.5 + 0.5 * 0.25 * std::exp(1.0)}, 1e-14);
  // It is the negative log-density of N(μ, σ²): compare with the density written out.
  double sigma = 2.0, d = 1.0 - (-1.0);
  double density = std::exp(-d * d / (2 * sigma * sigma)) / (sigma * std::sqrt(2 * std::numbers::pi));
  CHECK(gaussian_nll(x, mu, lv).to_vector()[1] == doctest::Approx(-std::log(density)).epsilon(1e-14));
}

TEST_CASE("mse: values") {
  Tensor a = f64(Shape{2, 2}, {1.0, -2.0, 0.5, 3.0});
  Tensor b = f64(Shape{2, 2}, {0.0, 1.0, 0.5, -1.0});
  check_values(mse(a, b), {1.0, 9.0, 0.0, 16.0}, 0.0);
}

TEST_CASE("kl_standard_normal: closed forms") {
  // ½[μ² + σ² − 1 − logvar]: 0 at N(0, 1); 0.5 at μ = 1, logvar = 0; ½(e − 2) at μ = 0, logvar = 1.
  Tensor mu = f64(Shape{4}, {0.0, 1.0, 0.0, -2.0});
  Tensor lv = f64(Shape{4}, {0.0, 0.0, 1.0, -1.0});
  check_values(kl_standard_normal(mu, lv), {0.0, 0.5, 0.5 * (std::exp(1.0) - 2.0), 0.5 * (4.0 + std::exp(-1.0))},
               1e-15);
}

TEST_CASE("kl_diag_gaussians: closed forms and agreement with kl_standard_normal") {
  Tensor mu = random_f64(Shape{3, 5}, 11), lv = random_f64(Shape{3, 5}, 12, -2.0, 2.0);
  // KL(q ‖ q) = 0.
  std::vector<double> same = kl_diag_gaussians(mu, lv, mu, lv).to_vector();
  for (double v : same) CHECK(v == 0.0);
  // Against N(0, 1) it equals kl_standard_normal.
  Tensor z = zeros(Shape{3, 5}, DType::f64);
  check_values(kl_diag_gaussians(mu, lv, z, z), kl_standard_normal(mu, lv).to_vector(), 1e-14);
  // Hand-computed: q = N(1, 1), p = N(0, 4): ½[ln 4 − 0 + (1 + 1)/4 − 1] = ½ ln 4 − ¼.
  Tensor one = f64(Shape{1}, {1.0}), zero = f64(Shape{1}, {0.0}), ln4 = f64(Shape{1}, {std::log(4.0)});
  check_values(kl_diag_gaussians(one, zero, zero, ln4), {0.5 * std::log(4.0) - 0.25}, 1e-15);
  // Far-apart log-variances whose exponentials overflow f32 separately (e^100) stay finite.
  Tensor a = from_values(Shape{1}, {0.0}), lq = from_values(Shape{1}, {100.0}), lp = from_values(Shape{1}, {99.0});
  double kl = kl_diag_gaussians(a, lq, a, lp).item();
  CHECK(std::isfinite(kl));
  CHECK(kl == doctest::Approx(0.5 * (std::exp(1.0) - 2.0)).epsilon(1e-6));
}

TEST_CASE("losses: operands of different shapes are rejected, naming the op and shapes") {
  Tensor a = zeros(Shape{4, 2}), b = zeros(Shape{4, 1}), c = zeros(Shape{4});
  CHECK_THROWS_WITH_AS(bce_with_logits(a, b),
                       doctest::Contains("bce_with_logits: targets [4, 1] must have the shape of logits [4, 2]"),
                       Error);
  CHECK_THROWS_WITH_AS(gaussian_nll(a, a, c),
                       doctest::Contains("gaussian_nll: logvar [4] must have the shape of x [4, 2]"), Error);
  CHECK_THROWS_WITH_AS(mse(c, b), doctest::Contains("mse: b [4, 1] must have the shape of a [4]"), Error);
  CHECK_THROWS_WITH_AS(kl_diag_gaussians(a, a, b, a),
                       doctest::Contains("kl_diag_gaussians: mu_p [4, 1] must have the shape of mu_q [4, 2]"), Error);
  CHECK_THROWS_WITH_AS(kl_standard_normal(a, c),
                       doctest::Contains("kl_standard_normal: logvar [4] must have the shape of mu [4, 2]"), Error);
  CHECK_THROWS_WITH_AS(mse(a, Tensor()), doctest::Contains("mse: undefined b"), Error);
}

TEST_CASE("losses: gradient checks for every argument") {
  const Shape s{3, 4};
  check_gradients("bce_with_logits", [](const std::vector<Tensor>& in) { return bce_with_logits(in[0], in[1]); },
                  {random_f64(s, 1, -4.0, 4.0), random_f64(s, 2, 0.0, 1.0)});
  check_gradients("gaussian_nll", [](const std::vector<Tensor>& in) { return gaussian_nll(in[0], in[1], in[2]); },
                  {random_f64(s, 3), random_f64(s, 4), random_f64(s, 5, -2.0, 2.0)});
  check_gradients("mse", [](const std::vector<Tensor>& in) { return mse(in[0], in[1]); },
                  {random_f64(s, 6), random_f64(s, 7)});
  check_gradients("kl_diag_gaussians",
                  [](const std::vector<Tensor>& in) { return kl_diag_gaussians(in[0], in[1], in[2], in[3]); },
                  {random_f64(s, 8), random_f64(s, 9, -2.0, 2.0), random_f64(s, 10), random_f64(s, 11, -2.0, 2.0)});
  check_gradients("kl_standard_normal", [](const std::vector<Tensor>& in) { return kl_standard_normal(in[0], in[1]); },
                  {random_f64(s, 12), random_f64(s, 13, -2.0, 2.0)});
}
