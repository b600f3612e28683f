// Each objective's terms against values computed by hand or by an independent formula.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "elbo/models/annealed_vae.hpp"
#include "elbo/models/beta_tcvae.hpp"
#include "elbo/models/beta_vae.hpp"
#include "elbo/models/dip_vae.hpp"
#include "elbo/models/factor_vae.hpp"
#include "elbo/models/likelihood.hpp"
#include "elbo/models/objective.hpp"
#include "elbo/models/vae.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::models;
using testing::f64;

namespace {
double sigmoid_of(double l) { return 1.0 / (1.0 + std::exp(-l)); }
}  // namespace

TEST_CASE("models: reconstruction terms of the three likelihoods by hand") {
  // Two images of two pixels.
  Tensor logits = f64({2, 2}, {0.0, 2.0, -1.0, 0.0});
  Tensor x = f64({2, 2}, {1.0, 0.0, 0.5, 0.0});
  const double l[] = {0.0, 2.0, -1.0, 0.0}, t[] = {1.0, 0.0, 0.5, 0.0};
  // Bernoulli: −[x ln σ(l) + (1 − x) ln(1 − σ(l))], per image. Image 0: ln 2 + ln(1 + e²) = 2.820075.
  std::vector<double> bce(2, 0.0), squared(2, 0.0);
  for (int i = 0; i < 4; ++i) {
    double p = sigmoid_of(l[i]);
    bce[i / 2] += -(t[i] * std::log(p) + (1 - t[i]) * std::log(1 - p));
    squared[i / 2] += (t[i] - p) * (t[i] - p);
  }
  CHECK(bce[0] == doctest::Approx(2.8200752).epsilon(1e-7));
  testing::check_values(reconstruction_per_sample(Likelihood::bernoulli, logits, x), bce, 1e-12);
  // disentanglement_lib's l2: Σ (x − σ(l))². Image 0: 0.25 + 0.880797² = 1.0258035.
  CHECK(squared[0] == doctest::Approx(1.0258035).epsilon(1e-7));
  testing::check_values(reconstruction_per_sample(Likelihood::gaussian_fixed, logits, x), squared, 1e-12);
  // Learned variance e^s, s = 0.3: Σ ½[ln 2π + s + (x − σ(l))² e^−s] = D·½(ln 2π + s) + ½ e^−s·Σ(x − σ(l))²
  const double s = 0.3;
  std::vector<double> gaussian(2);
  for (int n = 0; n < 2; ++n) gaussian[n] = (std::log(2 * std::numbers::pi) + s) + 0.5 * std::exp(-s) * squared[n];
  testing::check_values(reconstruction_per_sample(Likelihood::gaussian_learned, logits, x, f64({1}, {s})), gaussian,
                        1e-12);
  // The normalising constant of the fixed variance ½: ½ ln π per dimension.
  CHECK(reconstruction_constant(Likelihood::gaussian_fixed, 4) == doctest::Approx(2 * std::log(std::numbers::pi)));
  CHECK(reconstruction_constant(Likelihood::bernoulli, 4) == 0.0);
  // Images may be [N, C, H, W] while the logits are [N, D]; mismatches fail.
  CHECK(reconstruction_per_sample(Likelihood::bernoulli, logits, reshape(x, Shape{2, 1, 1, 2})).shape() == Shape{2});
  CHECK_THROWS_AS(reconstruction_per_sample(Likelihood::bernoulli, f64({1, 4}, {0, 0, 0, 0}), x), Error);
  CHECK_THROWS_AS(reconstruction_per_sample(Likelihood::gaussian_learned, logits, x), Error);
  CHECK(parse_likelihood("gaussian_learned") == Likelihood::gaussian_learned);
  CHECK_THROWS_WITH_AS(parse_likelihood("laplace"), doctest::Contains("choose bernoulli"), Error);
}

TEST_CASE("models: beta-VAE loss and beta_norm") {
  CHECK(beta_vae_objective(scalar(100.0, DType::f64), scalar(5.0, DType::f64), 4.0).item() == 120.0);
  // β = 4, 10 latents, 64×64×1 images: 4·10/4096
  CHECK(beta_norm(4.0, 10, 4096) == 0.009765625);
  CHECK(beta_norm(1.0, 10, 784) == doctest::Approx(10.0 / 784));
  CHECK_THROWS_AS(beta_norm(4.0, 0, 4096), Error);
}

TEST_CASE("models: the benchmark's beta_vae_loss with its Bernoulli decoder") {
  // One image of two pixels, one latent: BCE(0, 1) + BCE(2, 0) = ln 2 + ln(1 + e²);
  // KL(N(1, e^0.5) ‖ N(0, 1)) = ½(1 + e^0.5 − 1 − 0.5)
  Tensor logits = f64({1, 2}, {0.0, 2.0}), x = f64({1, 2}, {1.0, 0.0});
  Vae::Posterior q{f64({1, 1}, {1.0}), f64({1, 1}, {0.5})};
  VaeLoss l = beta_vae_loss(logits, x, q, 3.0);
  double bce = std::log(2.0) + std::log(1 + std::exp(2.0)), kl = 0.5 * (1 + std::exp(0.5) - 1 - 0.5);
  CHECK(l.reconstruction.item() == doctest::Approx(bce).epsilon(1e-12));
  CHECK(l.kl.item() == doctest::Approx(kl).epsilon(1e-12));
  CHECK(l.loss.item() == doctest::Approx(bce + 3 * kl).epsilon(1e-12));
}

TEST_CASE("models: AnnealedVAE capacity schedule and regulariser") {
  // C(t) = min(C_max, C_max·t/T) with the reference's C_max = 25, T = 100000
  CHECK(annealed_capacity(25.0, 0, 100000) == 0.0);
  CHECK(annealed_capacity(25.0, 40000, 100000) == 10.0);
  CHECK(annealed_capacity(25.0, 100000, 100000) == 25.0);
  CHECK(annealed_capacity(25.0, 250000, 100000) == 25.0);
  CHECK_THROWS_AS(annealed_capacity(25.0, 1, 0), Error);
  // γ·|KL − C|: above and below the target
  CHECK(annealed_vae_regularizer(scalar(12.0, DType::f64), 10.0, 1000.0).item() == 2000.0);
  CHECK(annealed_vae_regularizer(scalar(7.0, DType::f64), 10.0, 1000.0).item() == 3000.0);
}

TEST_CASE("models: beta-TCVAE minibatch-weighted TC against an independent double loop") {
  const int64_t M = 3, L = 2;
  Tensor z = f64({M, L}, {0.3, -1.2, 0.8, 0.1, -0.5, 0.4});
  Tensor mu = f64({M, L}, {0.2, -1.0, 1.0, 0.3, -0.7, 0.0});
  Tensor lv = f64({M, L}, {-0.5, 0.2, 0.1, -1.0, 0.3, 0.0});
  std::vector<double> zv = z.to_vector(), mv = mu.to_vector(), vv = lv.to_vector();
  auto log_q = [&](int64_t m, int64_t i, int64_t j) {  // log N(z_mj; μ_ij, e^lv_ij)
    double d = zv[m * L + j] - mv[i * L + j], v = std::exp(vv[i * L + j]);
    return -0.5 * (d * d / v + std::log(2 * std::numbers::pi * v));
  };
  double tc = 0;
  for (int64_t m = 0; m < M; ++m) {
    double joint = 0;  // Σ_i Π_j q(z_mj | x_i)
    for (int64_t i = 0; i < M; ++i) joint += std::exp(log_q(m, i, 0) + log_q(m, i, 1));
    double product = 0;  // Σ_j ln Σ_i q(z_mj | x_i)
    for (int64_t j = 0; j < L; ++j) {
      double marginal = 0;
      for (int64_t i = 0; i < M; ++i) marginal += std::exp(log_q(m, i, j));
      product += std::log(marginal);
    }
    tc += (std::log(joint) - product) / M;
  }
  CHECK(total_correlation(z, mu, lv).item() == doctest::Approx(tc).epsilon(1e-12));
  // With the dataset size, the constant (L − 1)·ln(N·M) that disentanglement_lib omits comes back.
  CHECK(total_correlation(z, mu, lv, 737280).item() ==
        doctest::Approx(tc + (L - 1) * std::log(3.0 * 737280)).epsilon(1e-12));
  // One sample: log q(z) and Σ_j log q(z_j) are the same sum, so the estimate is exactly 0.
  CHECK(total_correlation(slice(z, 0, 0, 1), slice(mu, 0, 0, 1), slice(lv, 0, 0, 1)).item() == 0.0);
  CHECK(gaussian_log_density(f64({1}, {1.0}), f64({1}, {0.0}), f64({1}, {0.0})).item() ==
        doctest::Approx(-0.5 - 0.5 * std::log(2 * std::numbers::pi)));
  CHECK_THROWS_AS(total_correlation(z, mu, f64({1, 2}, {0, 0})), Error);
}

TEST_CASE("models: DIP-VAE covariance and penalties by hand") {
  // μ = [[0, 0], [4, 2]]: mean (2, 1), deviations ±(2, 1), Cov[μ] = [[4, 2], [2, 1]]
  Tensor mu = f64({2, 2}, {0.0, 0.0, 4.0, 2.0});
  testing::check_values(covariance_of_means(mu), {4, 2, 2, 1}, 1e-12);
  // DIP-I, λ_od = 2, λ_d = 3: 2·(2² + 2²) + 3·((4 − 1)² + (1 − 1)²) = 16 + 27
  CHECK(dip_vae_i_regularizer(mu, 2.0, 3.0).item() == doctest::Approx(43.0).epsilon(1e-12));
  // DIP-II with σ² = [[1, 2], [3, 1]]: E[σ²] = (2, 1.5), C = [[6, 2], [2, 2.5]]:
  // 2·(2² + 2²) + 3·((6 − 1)² + (2.5 − 1)²) = 16 + 81.75
  Tensor lv = f64({2, 2}, {0.0, std::log(2.0), std::log(3.0), 0.0});
  CHECK(dip_vae_ii_regularizer(mu, lv, 2.0, 3.0).item() == doctest::Approx(97.75).epsilon(1e-12));
  // A covariance equal to the identity costs nothing.
  CHECK(dip_penalty(f64({2, 2}, {1, 0, 0, 1}), 5.0, 7.0).item() == 0.0);
  CHECK_THROWS_AS(dip_penalty(f64({1, 2}, {1, 0}), 1.0, 1.0), Error);
}

TEST_CASE("models: FactorVAE total correlation and discriminator loss by hand") {
  // TC ≈ mean(D_0 − D_1): rows (1 − (−1)) and (0.5 − 0.5)
  CHECK(factor_vae_total_correlation(f64({2, 2}, {1.0, -1.0, 0.5, 0.5})).item() == 1.0);
  // Equal logits: p = ½ for both, L_D = −(½ ln ½ + ½ ln ½) = ln 2
  CHECK(discriminator_loss(f64({1, 2}, {0, 0}), f64({1, 2}, {0, 0})).item() == doctest::Approx(std::log(2.0)));
  // p(real | z) = σ(2) = 0.880797, p(permuted | z̃) = σ(1) = 0.731059: −½(ln 0.880797 + ln 0.731059) = 0.220095
  CHECK(discriminator_loss(f64({1, 2}, {2, 0}), f64({1, 2}, {0, 1})).item() ==
        doctest::Approx(-0.5 * (std::log(sigmoid_of(2)) + std::log(sigmoid_of(1)))).epsilon(1e-12));
  CHECK(-0.5 * (std::log(sigmoid_of(2)) + std::log(sigmoid_of(1))) == doctest::Approx(0.220095).epsilon(1e-6));
  // Certain answers are clipped to [1e-6, 1 − 1e-6], as the reference: −½(ln(1 − 10⁻⁶) + ln 10⁻⁶)
  CHECK(discriminator_loss(f64({1, 2}, {100, -100}), f64({1, 2}, {100, -100})).item() ==
        doctest::Approx(-0.5 * (std::log(1 - 1e-6) + std::log(1e-6))).epsilon(1e-9));
}

TEST_CASE("models: FactorVAE's permutation keeps each dimension's marginal and shuffles dimensions independently") {
  const int64_t M = 64, L = 5;
  std::vector<double> values(M * L);
  for (int64_t i = 0; i < M * L; ++i) values[i] = static_cast<double>(i);  // all distinct
  Tensor z = from_vector(Shape{M, L}, values, DType::f32);
  Tensor p = permute_dims(z, 7, 3);
  REQUIRE(p.shape() == z.shape());
  CHECK(p.dtype() == DType::f32);
  CHECK_FALSE(p.requires_grad());
  std::vector<double> pv = p.to_vector();
  std::vector<std::vector<int64_t>> sources(L);
  for (int64_t j = 0; j < L; ++j) {
    std::vector<double> before, after;
    for (int64_t m = 0; m < M; ++m) {
      before.push_back(values[m * L + j]);
      after.push_back(pv[m * L + j]);
      sources[j].push_back((static_cast<int64_t>(pv[m * L + j]) - j) / L);  // the row each value came from
    }
    CHECK_MESSAGE(before != after, "column " << j << " was not shuffled");
    std::sort(after.begin(), after.end());
    CHECK_MESSAGE(before == after, "column " << j << " lost or duplicated values");  // same marginal
  }
  for (int64_t j = 1; j < L; ++j) CHECK_MESSAGE(sources[j] != sources[0], "column " << j << " moved with column 0");
  // Deterministic in (seed, stream); another stream gives another shuffle.
  CHECK(testing::same_bytes(p, permute_dims(z, 7, 3)));
  CHECK_FALSE(testing::same_bytes(p, permute_dims(z, 7, 4)));
}

TEST_CASE("models: objective names, defaults and checks") {
  for (const char* name : {"vae", "beta_vae", "annealed_vae", "beta_tcvae", "factor_vae", "dip_vae_i", "dip_vae_ii"})
    CHECK(std::string(objective_name(parse_objective(name))) == name);
  CHECK_THROWS_WITH_AS(parse_objective("beta-vae"), doctest::Contains("choose vae, beta_vae"), Error);
  ObjectiveConfig annealed = objective_defaults(ObjectiveKind::annealed_vae);
  CHECK(annealed.gamma == 1000.0);
  CHECK(annealed.c_max == 25.0);
  CHECK(annealed.iteration_threshold == 100000);
  ObjectiveConfig dip_i = objective_defaults(ObjectiveKind::dip_vae_i), dip_ii = objective_defaults(ObjectiveKind::dip_vae_ii);
  CHECK(dip_i.lambda_d == 10 * dip_i.lambda_od);  // the reference's λ_d = 10·λ_od
  CHECK(dip_ii.lambda_d == dip_ii.lambda_od);     // and λ_d = λ_od
  CHECK(objective_defaults(ObjectiveKind::factor_vae).gamma == 10.0);
  CHECK(describe_objective(annealed) == "annealed_vae(gamma=1000, c_max=25, iteration_threshold=100000)");
  ObjectiveConfig bad = objective_defaults(ObjectiveKind::beta_vae);
  bad.beta = -1;
  CHECK_THROWS_WITH_AS(check_objective(bad), doctest::Contains("beta must be finite and ≥ 0"), Error);
  bad = objective_defaults(ObjectiveKind::vae);
  bad.beta = 4;
  CHECK_THROWS_WITH_AS(check_objective(bad), doctest::Contains("use beta_vae"), Error);
  bad = objective_defaults(ObjectiveKind::annealed_vae);
  bad.iteration_threshold = 0;
  CHECK_THROWS_AS(check_objective(bad), Error);
}
