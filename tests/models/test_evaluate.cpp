// Evaluation: the ELBO, KL per latent and the importance-weighted bound, against the same
// quantities computed here from the encoder's and decoder's outputs.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "elbo/models/evaluate.hpp"
#include "elbo/models/noise.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::models;

namespace {

VaeConfig small(Likelihood likelihood) {
  return VaeConfig{.architecture = "mlp", .latents = 3, .channels = 1, .image_size = 4, .likelihood = likelihood,
                   .hidden = {8}};
}

std::vector<Tensor> test_batches(const VaeConfig& v) {
  // Two batches of different sizes, binary images.
  std::vector<Tensor> batches;
  for (int64_t n : {5, 3})
    batches.push_back(greater(uniform(Shape{n, 1, v.image_size, v.image_size}, 31, static_cast<uint64_t>(n), 0,
                                      DType::f64),
                              full(Shape{}, 0.5, DType::f64)));
  return batches;
}

// ln w = ln p(x | z) + ln p(z) − ln q(z | x) for every image of batch b, with the k-th draw of
// the evaluation stream, written out from the network outputs with the Bernoulli density.
std::vector<double> log_weights(Vae& vae, const Tensor& x, uint64_t seed, size_t b, int64_t k) {
  NoGradGuard no_grad;
  Vae::Posterior q = vae.encode(x);
  const int64_t N = x.size(0), L = vae.latents, D = vae.config.input_dims();
  Tensor eps = normal(q.mu.shape(), seed, noise_stream(NoisePurpose::evaluation, b), static_cast<uint64_t>(k * N * L),
                      DType::f64);
  std::vector<double> mu = q.mu.to_vector(), lv = q.logvar.to_vector(), e = eps.to_vector(), z(mu.size());
  for (size_t i = 0; i < z.size(); ++i) z[i] = mu[i] + std::exp(0.5 * lv[i]) * e[i];
  std::vector<double> logits = vae.decode(from_vector(q.mu.shape(), z, DType::f64)).to_vector();
  std::vector<double> pixels = x.to_vector(), out(static_cast<size_t>(N), 0.0);
  const double log_2pi = std::log(2 * std::numbers::pi);
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t d = 0; d < D; ++d) {
      double p = 1.0 / (1.0 + std::exp(-logits[n * D + d])), t = pixels[n * D + d];
      out[n] += t * std::log(p) + (1 - t) * std::log(1 - p);  // ln p(x | z)
    }
    for (int64_t j = 0; j < L; ++j) {
      size_t i = static_cast<size_t>(n * L + j);
      out[n] += -0.5 * (z[i] * z[i] + log_2pi);                                              // ln N(z; 0, 1)
      out[n] -= -0.5 * ((z[i] - mu[i]) * (z[i] - mu[i]) / std::exp(lv[i]) + lv[i] + log_2pi);  // ln q(z | x)
    }
  }
  return out;
}

}  // namespace

TEST_CASE("models: the importance-weighted bound at K = 1 is the single-sample ELBO written out") {
  nn::Init init{.seed = 3, .dtype = DType::f64};
  Vae vae(init, small(Likelihood::bernoulli));
  std::vector<Tensor> batches = test_batches(vae.config);
  LogLikelihoodEstimate one = importance_weighted_bound(vae, batches, 1, 9);
  double expected = 0;
  for (size_t b = 0; b < batches.size(); ++b)
    for (double w : log_weights(vae, batches[b], 9, b, 0)) expected += w / 8;
  CHECK(one.images == 8);
  CHECK(one.log_likelihood == doctest::Approx(expected).epsilon(1e-12));
  CHECK(one.elbo == one.log_likelihood);  // equal at K = 1 with the same noise
  CHECK(one.bits_per_dim == doctest::Approx(-expected / (16 * std::numbers::ln2)).epsilon(1e-12));
}

TEST_CASE("models: the importance-weighted bound with K samples, against logsumexp written out") {
  nn::Init init{.seed = 4, .dtype = DType::f64};
  Vae vae(init, small(Likelihood::bernoulli));
  std::vector<Tensor> batches = test_batches(vae.config);
  const int64_t K = 6;
  LogLikelihoodEstimate iw = importance_weighted_bound(vae, batches, K, 2);
  // ln (1/K) Σ_k w_k per image, then the mean over the 8 images; and the mean of ln w_k.
  double bound = 0, mean_log_w = 0;
  for (size_t b = 0; b < batches.size(); ++b) {
    std::vector<std::vector<double>> w;
    for (int64_t k = 0; k < K; ++k) w.push_back(log_weights(vae, batches[b], 2, b, k));
    for (size_t n = 0; n < w[0].size(); ++n) {
      double total = 0;
      for (int64_t k = 0; k < K; ++k) {
        total += std::exp(w[k][n]);
        mean_log_w += w[k][n] / K / 8;
      }
      bound += std::log(total / K) / 8;
    }
  }
  CHECK(iw.log_likelihood == doctest::Approx(bound).epsilon(1e-10));
  CHECK(iw.elbo == doctest::Approx(mean_log_w).epsilon(1e-10));
  CHECK(iw.log_likelihood > iw.elbo);  // Jensen: the bound is above the ELBO of the same draws
  CHECK(iw.samples == K);
  // The first draw of every image is the one K = 1 uses.
  CHECK(importance_weighted_bound(vae, batches, 1, 2).log_likelihood != doctest::Approx(iw.log_likelihood));
}

TEST_CASE("models: evaluate_elbo uses the first importance sample and the closed-form KL") {
  nn::Init init{.seed = 5, .dtype = DType::f64};
  Vae vae(init, small(Likelihood::bernoulli));
  std::vector<Tensor> batches = test_batches(vae.config);
  ElboEstimate e = evaluate_elbo(vae, batches, 9);
  CHECK(e.images == 8);
  // Closed-form KL per image, and −ln p(x | z) with the same z as importance sample 0.
  double kl = 0, single_sample_elbo = 0;
  NoGradGuard no_grad;
  for (size_t b = 0; b < batches.size(); ++b) {
    Vae::Posterior q = vae.encode(batches[b]);
    std::vector<double> mu = q.mu.to_vector(), lv = q.logvar.to_vector();
    for (size_t i = 0; i < mu.size(); ++i) kl += 0.5 * (mu[i] * mu[i] + std::exp(lv[i]) - 1 - lv[i]) / 8;
    for (double w : log_weights(vae, batches[b], 9, b, 0)) single_sample_elbo += w / 8;
  }
  CHECK(e.kl == doctest::Approx(kl).epsilon(1e-12));
  CHECK(e.elbo == doctest::Approx(-e.reconstruction - e.kl).epsilon(1e-12));
  CHECK(e.bits_per_dim == doctest::Approx(-e.elbo / (16 * std::numbers::ln2)).epsilon(1e-12));
  // The two ELBO estimates share ln p(x | z) and differ only in the KL's estimate: closed form here,
  // ln q(z | x) − ln p(z) at the sample there. Averaged over many draws they agree.
  LogLikelihoodEstimate iw1 = importance_weighted_bound(vae, batches, 1, 9);
  CHECK(iw1.elbo == doctest::Approx(single_sample_elbo).epsilon(1e-12));
  LogLikelihoodEstimate many = importance_weighted_bound(vae, batches, 4000, 9);
  CHECK(many.elbo == doctest::Approx(-e.reconstruction - kl).epsilon(0.02));  // Monte Carlo error
  CHECK(many.log_likelihood > many.elbo);
  // The KL per latent sums to the same closed-form KL.
  std::vector<double> per_latent = kl_per_latent(vae, batches);
  REQUIRE(per_latent.size() == 3);
  CHECK(per_latent[0] + per_latent[1] + per_latent[2] == doctest::Approx(kl).epsilon(1e-12));
  for (double k : per_latent) CHECK(k > 0);
}

TEST_CASE("models: evaluation with the fixed-variance Gaussian includes its normalising constant") {
  nn::Init init{.seed = 6, .dtype = DType::f64};
  Vae vae(init, small(Likelihood::gaussian_fixed));
  std::vector<Tensor> batches = test_batches(vae.config);
  ElboEstimate e = evaluate_elbo(vae, batches, 1);
  // −ln N(x; σ(l), ½) = Σ_d (x_d − σ(l_d))² + D·½ ln π, with the z of importance sample 0
  double expected = 0;
  NoGradGuard no_grad;
  for (size_t b = 0; b < batches.size(); ++b) {
    Vae::Posterior q = vae.encode(batches[b]);
    Tensor z = reparameterize(q.mu, q.logvar, 1, noise_stream(NoisePurpose::evaluation, b), 0);
    std::vector<double> logits = vae.decode(z).to_vector(), x = batches[b].to_vector();
    for (size_t i = 0; i < x.size(); ++i) {
      double p = 1.0 / (1.0 + std::exp(-logits[i]));
      expected += (x[i] - p) * (x[i] - p) / 8;
    }
  }
  expected += 16 * 0.5 * std::log(std::numbers::pi);
  CHECK(e.reconstruction == doctest::Approx(expected).epsilon(1e-12));
}

TEST_CASE("models: evaluation errors") {
  nn::Init init{.seed = 7, .dtype = DType::f64};
  Vae vae(init, small(Likelihood::bernoulli));
  CHECK_THROWS_WITH_AS(evaluate_elbo(vae, {}, 0), doctest::Contains("no batches"), Error);
  CHECK_THROWS_WITH_AS(importance_weighted_bound(vae, test_batches(vae.config), 0, 0),
                       doctest::Contains("K must be ≥ 1"), Error);
  CHECK_THROWS_AS(kl_per_latent(vae, {zeros(Shape{2, 1, 5, 5}, DType::f64)}), Error);
}
