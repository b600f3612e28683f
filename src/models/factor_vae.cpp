// FactorVAE's discriminator, permutation and losses (models/factor_vae.hpp has the formulas).
#include "elbo/models/factor_vae.hpp"

#include <utility>
#include <vector>

#include "elbo/ops.hpp"
#include "elbo/rng.hpp"

namespace elbo::models {

using namespace elbo::nn;

Discriminator::Discriminator(Init& init, int64_t latents_, int64_t width, int64_t hidden_layers,
                             double negative_slope)
    : latents(latents_) {
  ELBO_CHECK(latents >= 1 && width >= 1 && hidden_layers >= 1, "Discriminator: latents ", latents, ", width ", width,
             " and hidden layers ", hidden_layers, " must be positive");
  int64_t in = latents;
  for (int64_t k = 0; k < hidden_layers; ++k) {
    net.add<Linear>(init, in, width);
    net.add<LeakyReLU>(negative_slope);
    in = width;
  }
  net.add<Linear>(init, in, 2);
  register_module("net", net);
}

Tensor Discriminator::forward(const Tensor& z) {
  ELBO_CHECK(z.defined() && z.ndim() == 2 && z.size(1) == latents, "Discriminator: expected codes [M, ", latents,
             "], got ", z.defined() ? z.shape().str() : "undefined");
  return net(z);
}

std::string Discriminator::str() const { return "Discriminator(" + std::to_string(latents) + " → 2)"; }

Tensor permute_dims(const Tensor& z, uint64_t seed, uint64_t stream) {
  ELBO_CHECK(z.defined() && z.ndim() == 2, "permute_dims: z must be [M, L], got ",
             z.defined() ? z.shape().str() : "undefined");
  const int64_t M = z.size(0), L = z.size(1);
  std::vector<double> values = z.to_vector();  // exact for f32 and f64
  std::vector<int64_t> order(static_cast<size_t>(M));
  std::vector<double> shuffled(values.size());
  for (int64_t j = 0; j < L; ++j) {
    // Fisher–Yates: for i = M−1 … 1, swap position i with a uniform position in [0, i].
    Rng rng{seed, stream, static_cast<uint64_t>(j * M)};
    for (int64_t i = 0; i < M; ++i) order[static_cast<size_t>(i)] = i;
    for (int64_t i = M - 1; i > 0; --i)
      std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(rng.below(static_cast<uint64_t>(i + 1)))]);
    for (int64_t m = 0; m < M; ++m)
      shuffled[static_cast<size_t>(m * L + j)] = values[static_cast<size_t>(order[static_cast<size_t>(m)] * L + j)];
  }
  return from_vector(z.shape(), shuffled, z.dtype(), z.device());
}

// (1/M) Σ_m [D_0(z_m) − D_1(z_m)]
Tensor factor_vae_total_correlation(const Tensor& logits_real) {
  ELBO_CHECK(logits_real.defined() && logits_real.ndim() == 2 && logits_real.size(1) == 2,
             "factor_vae_total_correlation: logits must be [M, 2], got ",
             logits_real.defined() ? logits_real.shape().str() : "undefined");
  return mean(sub(slice(logits_real, 1, 0, 1), slice(logits_real, 1, 1, 2)));
}

// −[½ mean log clip(p_D(real | z)) + ½ mean log clip(p_D(permuted | z̃))]
Tensor discriminator_loss(const Tensor& logits_real, const Tensor& logits_permuted) {
  ELBO_CHECK(logits_real.defined() && logits_permuted.defined() && logits_real.ndim() == 2 &&
                 logits_real.size(1) == 2 && logits_permuted.ndim() == 2 && logits_permuted.size(1) == 2,
             "discriminator_loss: logits must be [M, 2]");
  constexpr double kClip = 1e-6;
  Tensor p_real = clamp(softmax(logits_real, 1), kClip, 1.0 - kClip);
  Tensor p_permuted = clamp(softmax(logits_permuted, 1), kClip, 1.0 - kClip);
  Tensor log_real = mean(log(slice(p_real, 1, 0, 1)));          // (1/M) Σ log p_D(real | z_m)
  Tensor log_permuted = mean(log(slice(p_permuted, 1, 1, 2)));  // (1/M) Σ log p_D(permuted | z̃_m)
  return mul(add(log_real, log_permuted), -0.5);
}

}  // namespace elbo::models
