// A variational autoencoder with a diagonal-Gaussian posterior and a Bernoulli decoder
// (Kingma & Welling 2014), and the β-VAE objective (Higgins et al. 2017).
//
//   encoder:  x ↦ (μ(x), log σ²(x))        the last layer outputs 2·latents numbers, split in two
//   sample:   z = μ + σ ⊙ ε,  ε ~ N(0, I)   (the reparameterisation trick, ops/random.hpp)
//   decoder:  z ↦ logits of p(x | z) = Π_pixels Bernoulli(σ(logit))
//
// β-VAE loss per batch of N images (Higgins et al. 2017, eq. 4, as a loss to minimise; β = 1 is
// the negative ELBO of Kingma & Welling 2014, eq. 10):
//   L = (1/N) Σ_n [ Σ_pixels BCE(logit_n, x_n)  +  β · Σ_latents KL(N(μ_n, σ_n²) ‖ N(0, 1)) ]
#pragma once
#include <cstdint>

#include "elbo/nn.hpp"

namespace elbo::models {

// The architectures of the benchmark (docs/BENCHMARKS.md):
//   conv64: the convolutional β-VAE of Burgess et al. 2018 for 64×64×1 images: four 4×4 stride-2
//           convolutions 1-32-32-64-64, Linear 1024-256-2·latents; decoder Linear latents-256-1024
//           and four 4×4 stride-2 transposed convolutions 64-64-32-32-1, ReLU between layers.
//   mlp784: 784-512-256-2·latents and latents-256-512-784, ReLU between layers.
enum class Architecture { conv64, mlp784 };

class Vae : public nn::Module {
 public:
  Vae(nn::Init& init, Architecture architecture, int64_t latents);

  struct Posterior {
    Tensor mu, logvar;  // [N, latents] each
  };
  Posterior encode(const Tensor& x);
  Tensor decode(const Tensor& z);  // logits, shaped like the images

  const Architecture architecture;
  const int64_t latents;
  nn::Sequential encoder, decoder;
};

struct VaeLoss {
  Tensor loss;            // the β-VAE loss L above (a scalar with history)
  Tensor reconstruction;  // (1/N) Σ_n Σ_pixels BCE
  Tensor kl;              // (1/N) Σ_n Σ_latents KL
};
VaeLoss beta_vae_loss(const Tensor& logits, const Tensor& x, const Vae::Posterior& posterior, double beta);

// One training step: encode, sample z with noise draw counter = step·N·latents of stream
// (seed, noise_stream), decode, loss, backward, optimiser update. Returns the loss terms, detached.
struct StepResult {
  double loss = 0, reconstruction = 0, kl = 0;
};
constexpr uint64_t kNoiseStream = 0x6e6f697365ULL;
StepResult train_step(Vae& model, nn::Optimizer& optimizer, const Tensor& x, double beta, uint64_t seed,
                      uint64_t step);

}  // namespace elbo::models
