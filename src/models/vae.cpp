#include "elbo/models/vae.hpp"

#include "elbo/ops.hpp"

namespace elbo::models {

using namespace elbo::nn;

Vae::Vae(Init& init, Architecture arch, int64_t latents_) : architecture(arch), latents(latents_) {
  ELBO_CHECK(latents >= 1, "Vae: latents must be ≥ 1, got ", latents);
  if (arch == Architecture::conv64) {
    const Conv2dOptions s2{.stride = 2, .padding = 1};
    encoder.add<Conv2d>(init, 1, 32, 4, s2);
    encoder.add<ReLU>();
    encoder.add<Conv2d>(init, 32, 32, 4, s2);
    encoder.add<ReLU>();
    encoder.add<Conv2d>(init, 32, 64, 4, s2);
    encoder.add<ReLU>();
    encoder.add<Conv2d>(init, 64, 64, 4, s2);
    encoder.add<ReLU>();
    encoder.add<Flatten>();
    encoder.add<Linear>(init, 64 * 4 * 4, 256);
    encoder.add<ReLU>();
    encoder.add<Linear>(init, 256, 2 * latents);
    decoder.add<Linear>(init, latents, 256);
    decoder.add<ReLU>();
    decoder.add<Linear>(init, 256, 64 * 4 * 4);
    decoder.add<ReLU>();
    decoder.add<Unflatten>(Shape{64, 4, 4});
    decoder.add<ConvTranspose2d>(init, 64, 64, 4, s2);
    decoder.add<ReLU>();
    decoder.add<ConvTranspose2d>(init, 64, 32, 4, s2);
    decoder.add<ReLU>();
    decoder.add<ConvTranspose2d>(init, 32, 32, 4, s2);
    decoder.add<ReLU>();
    decoder.add<ConvTranspose2d>(init, 32, 1, 4, s2);
  } else {
    encoder.add<Flatten>();
    encoder.add<Linear>(init, 784, 512);
    encoder.add<ReLU>();
    encoder.add<Linear>(init, 512, 256);
    encoder.add<ReLU>();
    encoder.add<Linear>(init, 256, 2 * latents);
    decoder.add<Linear>(init, latents, 256);
    decoder.add<ReLU>();
    decoder.add<Linear>(init, 256, 512);
    decoder.add<ReLU>();
    decoder.add<Linear>(init, 512, 784);
  }
  register_module("encoder", encoder);
  register_module("decoder", decoder);
}

Vae::Posterior Vae::encode(const Tensor& x) {
  Tensor stats = encoder(x);
  return {slice(stats, 1, 0, latents), slice(stats, 1, latents, 2 * latents)};
}

Tensor Vae::decode(const Tensor& z) { return decoder(z); }

VaeLoss beta_vae_loss(const Tensor& logits, const Tensor& x, const Vae::Posterior& q, double beta) {
  const double inv_n = 1.0 / static_cast<double>(x.size(0));
  // (1/N) Σ_n Σ_pixels BCE(logit, x)
  Tensor reconstruction = mul(sum(bce_with_logits(reshape(logits, x.shape()), x)), inv_n);
  // (1/N) Σ_n Σ_latents ½ (μ² + σ² − 1 − log σ²)
  Tensor kl = mul(sum(kl_standard_normal(q.mu, q.logvar)), inv_n);
  return {add(reconstruction, mul(kl, beta)), reconstruction, kl};
}

StepResult train_step(Vae& model, Optimizer& optimizer, const Tensor& x, double beta, uint64_t seed, uint64_t step) {
  Vae::Posterior q = model.encode(x);
  uint64_t counter = step * static_cast<uint64_t>(q.mu.numel());
  Tensor z = reparameterize(q.mu, q.logvar, seed, kNoiseStream, counter);
  VaeLoss terms = beta_vae_loss(model.decode(z), x, q, beta);
  optimizer.zero_grad();
  terms.loss.backward();
  optimizer.step();
  return {terms.loss.item(), terms.reconstruction.item(), terms.kl.item()};
}

}  // namespace elbo::models
