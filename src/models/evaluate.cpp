// Evaluation of a Vae: ELBO, KL per latent, importance-weighted bound (models/evaluate.hpp has
// the formulas and sources).
#include "elbo/models/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "elbo/models/noise.hpp"
#include "elbo/ops.hpp"

namespace elbo::models {

namespace {

void check_batches(const char* function, const std::vector<Tensor>& batches) {
  ELBO_CHECK(!batches.empty(), function, ": no batches to evaluate");
  for (size_t b = 0; b < batches.size(); ++b)
    ELBO_CHECK(batches[b].defined() && batches[b].ndim() >= 2 && batches[b].size(0) >= 1, function, ": batch ", b,
               " must be images [N, C, H, W], got ", batches[b].defined() ? batches[b].shape().str() : "undefined");
}

// Sample k of batch b: z = μ + σ ⊙ ε, ε = draws k·N·L … of the stream (seed, evaluation, b).
Tensor sample(const Vae::Posterior& q, uint64_t seed, size_t batch, int64_t k) {
  return reparameterize(q.mu, q.logvar, seed, noise_stream(NoisePurpose::evaluation, batch),
                        static_cast<uint64_t>(k * q.mu.numel()));
}

double bits_per_dim(double nats, int64_t dims) { return -nats / (static_cast<double>(dims) * std::numbers::ln2); }

}  // namespace

ElboEstimate evaluate_elbo(Vae& vae, const std::vector<Tensor>& batches, uint64_t seed) {
  check_batches("evaluate_elbo", batches);
  NoGradGuard no_grad;
  const int64_t dims = vae.config.input_dims();
  const double c = reconstruction_constant(vae.config.likelihood, dims);
  double reconstruction = 0, kl = 0;
  int64_t images = 0;
  for (size_t b = 0; b < batches.size(); ++b) {
    Vae::Posterior q = vae.encode(batches[b]);
    // −ln p(x | z) = r + c per image, and KL per image
    std::vector<double> r = vae.reconstruction(vae.decode(sample(q, seed, b, 0)), batches[b]).to_vector();
    std::vector<double> k = sum(kl_standard_normal(q.mu, q.logvar), {1}).to_vector();
    for (size_t n = 0; n < r.size(); ++n) {
      reconstruction += r[n] + c;
      kl += k[n];
    }
    images += static_cast<int64_t>(r.size());
  }
  ElboEstimate e;
  e.images = images;
  e.reconstruction = reconstruction / static_cast<double>(images);
  e.kl = kl / static_cast<double>(images);
  e.elbo = -e.reconstruction - e.kl;
  e.bits_per_dim = bits_per_dim(e.elbo, dims);
  return e;
}

std::vector<double> kl_per_latent(Vae& vae, const std::vector<Tensor>& batches) {
  check_batches("kl_per_latent", batches);
  NoGradGuard no_grad;
  const size_t L = static_cast<size_t>(vae.latents);
  std::vector<double> total(L, 0.0);
  int64_t images = 0;
  for (const Tensor& x : batches) {
    Vae::Posterior q = vae.encode(x);
    std::vector<double> k = kl_standard_normal(q.mu, q.logvar).to_vector();  // [N, L] row-major
    for (size_t i = 0; i < k.size(); ++i) total[i % L] += k[i];
    images += x.size(0);
  }
  for (double& t : total) t /= static_cast<double>(images);
  return total;
}

LogLikelihoodEstimate importance_weighted_bound(Vae& vae, const std::vector<Tensor>& batches, int64_t samples,
                                                uint64_t seed) {
  check_batches("importance_weighted_bound", batches);
  ELBO_CHECK(samples >= 1, "importance_weighted_bound: the number of samples K must be ≥ 1, got ", samples);
  NoGradGuard no_grad;
  const int64_t dims = vae.config.input_dims();
  const double c = reconstruction_constant(vae.config.likelihood, dims);
  const size_t K = static_cast<size_t>(samples);
  double bound = 0, elbo = 0;
  int64_t images = 0;
  std::vector<double> log_w;  // [N, K]
  for (size_t b = 0; b < batches.size(); ++b) {
    const Tensor& x = batches[b];
    Vae::Posterior q = vae.encode(x);
    const size_t N = static_cast<size_t>(x.size(0));
    log_w.assign(N * K, 0.0);
    for (size_t k = 0; k < K; ++k) {
      Tensor z = sample(q, seed, b, static_cast<int64_t>(k));
      std::vector<double> r = vae.reconstruction(vae.decode(z), x).to_vector();
      // ln p(z) − ln q(z | x) = Σ_j ½ [(z − μ)² e^−lv + lv − z²]
      Tensor ratio = mul(add(sub(mul(square(sub(z, q.mu)), exp(neg(q.logvar))), square(z)), q.logvar), 0.5);
      std::vector<double> log_ratio = sum(ratio, {1}).to_vector();
      for (size_t n = 0; n < N; ++n) log_w[n * K + k] = -(r[n] + c) + log_ratio[n];
    }
    for (size_t n = 0; n < N; ++n) {
      // L_K = logsumexp_k ln w_k − ln K, shifted by the largest ln w_k
      const double* w = &log_w[n * K];
      double top = *std::max_element(w, w + K), total = 0, mean_log_w = 0;
      for (size_t k = 0; k < K; ++k) {
        total += std::exp(w[k] - top);
        mean_log_w += w[k];
      }
      bound += top + std::log(total) - std::log(static_cast<double>(K));
      elbo += mean_log_w / static_cast<double>(K);
    }
    images += static_cast<int64_t>(N);
  }
  LogLikelihoodEstimate e;
  e.images = images;
  e.samples = samples;
  e.log_likelihood = bound / static_cast<double>(images);
  e.elbo = elbo / static_cast<double>(images);
  e.bits_per_dim = bits_per_dim(e.log_likelihood, dims);
  return e;
}

}  // namespace elbo::models
