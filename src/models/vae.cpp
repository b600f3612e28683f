// The Vae network, the benchmark's β-VAE loss and its training step (models/vae.hpp).
#include "elbo/models/vae.hpp"

#include "elbo/models/architectures.hpp"
#include "elbo/models/noise.hpp"
#include "elbo/ops.hpp"

namespace elbo::models {

using namespace elbo::nn;

VaeConfig benchmark_config(Architecture architecture, int64_t latents) {
  if (architecture == Architecture::conv64)
    return VaeConfig{.architecture = "conv64", .latents = latents, .channels = 1, .image_size = 64};
  return VaeConfig{.architecture = "mlp", .latents = latents, .channels = 1, .image_size = 28, .hidden = {512, 256}};
}

Vae::Vae(Init& init, const VaeConfig& c) : config(c), latents(c.latents) {
  ELBO_CHECK(c.latents >= 1, "Vae: latents must be ≥ 1, got ", c.latents);
  ELBO_CHECK(c.channels >= 1, "Vae: channels must be ≥ 1, got ", c.channels);
  find_architecture(c.architecture).build(init, c, encoder, decoder);
  register_module("encoder", encoder);
  register_module("decoder", decoder);
  if (c.likelihood == Likelihood::gaussian_learned) {
    init.take_stream();  // the stream of this parameter (filled with zeros: σ² = 1 at the start)
    decoder_log_variance = zeros(Shape{1}, init.dtype, init.device);
    register_parameter("decoder_log_variance", decoder_log_variance);
  }
}

Vae::Vae(Init& init, Architecture architecture, int64_t latents) : Vae(init, benchmark_config(architecture, latents)) {}

Vae::Posterior Vae::encode(const Tensor& x) {
  const int64_t D = config.input_dims();
  ELBO_CHECK(x.defined() && x.ndim() >= 2 && x.size(0) >= 1 && x.numel() == x.size(0) * D, "Vae::encode (",
             config.architecture, "): expected images [N, ", config.channels, ", ", config.image_size, ", ",
             config.image_size, "], got ", x.defined() ? x.shape().str() : "undefined");
  return posterior_of(encoder(x));
}

Vae::Posterior Vae::posterior_of(const Tensor& stats) const {
  return {slice(stats, 1, 0, latents), slice(stats, 1, latents, 2 * latents)};
}

Tensor Vae::decode(const Tensor& z) {
  ELBO_CHECK(z.defined() && z.ndim() == 2 && z.size(1) == latents, "Vae::decode: expected latents [N, ", latents,
             "], got ", z.defined() ? z.shape().str() : "undefined");
  return decoder(z);
}

Tensor Vae::reconstruction(const Tensor& logits, const Tensor& x) const {
  return reconstruction_per_sample(config.likelihood, logits, x, decoder_log_variance);
}

VaeLoss beta_vae_loss(const Tensor& logits, const Tensor& x, const Vae::Posterior& q, double beta) {
  // (1/N) Σ_n Σ_pixels BCE(logit, x)
  Tensor reconstruction = mean(reconstruction_per_sample(Likelihood::bernoulli, logits, x));
  // (1/N) Σ_n Σ_latents ½ (μ² + σ² − 1 − log σ²)
  Tensor kl = mean(sum(kl_standard_normal(q.mu, q.logvar), {1}));
  return {add(reconstruction, mul(kl, beta)), reconstruction, kl};
}

StepResult train_step(Vae& model, Optimizer& optimizer, const Tensor& x, double beta, uint64_t seed, uint64_t step) {
  Vae::Posterior q = model.encode(x);
  Tensor z = reparameterize(q.mu, q.logvar, seed, noise_stream(NoisePurpose::posterior, step), 0);
  // L = (1/N) Σ_n [ r(x_n, logits_n) + β · KL_n ]
  Tensor reconstruction = mean(model.reconstruction(model.decode(z), x));
  Tensor kl = mean(sum(kl_standard_normal(q.mu, q.logvar), {1}));
  Tensor loss = add(reconstruction, mul(kl, beta));
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();
  return {loss.item(), reconstruction.item(), kl.item()};
}

}  // namespace elbo::models
