// A variational autoencoder with a diagonal-Gaussian posterior (Kingma & Welling 2014):
//
//   encoder:  x ↦ (μ(x), log σ²(x))        the encoder outputs 2·latents numbers, split in two
//   sample:   z = μ + σ ⊙ ε,  ε ~ N(0, I)   (the reparameterisation trick, ops/random.hpp)
//   decoder:  z ↦ one logit per input dimension, the parameters of p(x | z) (models/likelihood.hpp)
//   prior:    p(z) = N(0, I)
//
// The encoder and decoder networks come from the architecture registry (models/architectures.hpp)
// by name. The objectives that train a Vae are in models/objective.hpp and models/model.hpp.
//
// This file also keeps the benchmark's original interface: Architecture::conv64 / mlp784, the
// β-VAE loss with a Bernoulli decoder, and train_step (tools/bench/bench_train.cpp, the demo).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/models/likelihood.hpp"
#include "elbo/nn.hpp"

namespace elbo::models {

// What a Vae is built from. The input images are [N, channels, image_size, image_size].
struct VaeConfig {
  std::string architecture = "dlib_conv";  // a name of models/architectures.hpp
  int64_t latents = 10;
  int64_t channels = 1;
  int64_t image_size = 64;
  Likelihood likelihood = Likelihood::bernoulli;
  std::vector<int64_t> hidden = {512, 256};  // hidden layer widths of the "mlp" architecture only

  int64_t input_dims() const { return channels * image_size * image_size; }  // D = C·H·W
};

// The benchmark networks (docs/BENCHMARKS.md), by their original names:
//   conv64: architecture "conv64", 64×64×1 images;   mlp784: architecture "mlp", 28×28×1, hidden 512-256.
enum class Architecture { conv64, mlp784 };
VaeConfig benchmark_config(Architecture architecture, int64_t latents);

class Vae : public nn::Module {
 public:
  // Takes streams from `init` in construction order: the encoder's parameters, then the
  // decoder's, then (gaussian_learned only) the decoder's log-variance.
  Vae(nn::Init& init, const VaeConfig& config);
  Vae(nn::Init& init, Architecture architecture, int64_t latents);

  struct Posterior {
    Tensor mu, logvar;  // [N, latents] each
  };
  // x: [N, C, H, W] (or [N, C·H·W] for the MLP architectures).
  Posterior encode(const Tensor& x);
  // The encoder's output [N, 2·latents] taken apart into μ (the first latents) and log σ².
  Posterior posterior_of(const Tensor& stats) const;
  // The decoder's logits, [N, C, H, W].
  Tensor decode(const Tensor& z);
  // r(x, logits) per sample, [N], for this Vae's likelihood (models/likelihood.hpp).
  Tensor reconstruction(const Tensor& logits, const Tensor& x) const;

  const VaeConfig config;
  const int64_t latents;
  nn::Sequential encoder, decoder;
  Tensor decoder_log_variance;  // [1], the learned s of gaussian_learned; undefined otherwise
};

// β-VAE loss per batch of N images with a Bernoulli decoder (Higgins et al. 2017, eq. 4, as a loss
// to minimise; β = 1 is the negative ELBO of Kingma & Welling 2014, eq. 10):
//   L = (1/N) Σ_n [ Σ_pixels BCE(logit_n, x_n)  +  β · Σ_latents KL(N(μ_n, σ_n²) ‖ N(0, 1)) ]
struct VaeLoss {
  Tensor loss;            // L (a scalar with history)
  Tensor reconstruction;  // (1/N) Σ_n Σ_pixels BCE
  Tensor kl;              // (1/N) Σ_n Σ_latents KL
};
VaeLoss beta_vae_loss(const Tensor& logits, const Tensor& x, const Vae::Posterior& posterior, double beta);

// One β-VAE training step with the Vae's likelihood: encode, sample z with the noise of step
// `step` (models/noise.hpp), decode, loss, backward, optimiser update. Returns the loss terms, detached.
struct StepResult {
  double loss = 0, reconstruction = 0, kl = 0;
};
StepResult train_step(Vae& model, nn::Optimizer& optimizer, const Tensor& x, double beta, uint64_t seed,
                      uint64_t step);

}  // namespace elbo::models
