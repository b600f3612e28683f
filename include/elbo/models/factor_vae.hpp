// FactorVAE (Kim & Mnih 2018, "Disentangling by factorising", eq. 2 and Algorithm 2), as
// disentanglement_lib computes it (methods/unsupervised/vae.py, FactorVAE and shuffle_codes;
// methods/shared/architectures.py, fc_discriminator and make_discriminator):
//     L_VAE = R + KL + γ·TC,      TC ≈ (1/M) Σ_m [ D_0(z_m) − D_1(z_m) ]
// A discriminator D with two logits (D_0: "z is a sample of q(z)", D_1: "z is a sample of
// Π_j q(z_j)") estimates the total correlation by the density-ratio trick:
//     TC = E_q(z)[ log q(z) / Π_j q(z_j) ] ≈ E_q(z)[ log p_D(real | z) / p_D(permuted | z) ]
//        = E_q(z)[ D_0(z) − D_1(z) ]                 (log-odds of a softmax over two logits)
// Samples of Π_j q(z_j) come from the batch by shuffling each latent dimension across the batch
// independently (permute_dims, Kim & Mnih's Algorithm 1): z̃_m,j = z_π_j(m),j.
// The discriminator maximises the log-likelihood of telling the two apart, i.e. minimises
//     L_D = −[ ½ (1/M) Σ_m log p_D(real | z_m) + ½ (1/M) Σ_m log p_D(permuted | z̃_m) ]
// with p_D = softmax(D(·)) clipped to [10⁻⁶, 1 − 10⁻⁶] (as the reference).
//
// Both are updated in the same step from the same forward pass (models/model.cpp): the VAE with
// its Adam (lr 1e-4, β1 0.9, β2 0.999), on L_VAE, whose gradient reaches the encoder through
// D(z); the discriminator with its own Adam (lr 1e-4, β1 0.5, β2 0.9) on L_D, with z and z̃
// treated as data (detached).
//
// The discriminator (fc_discriminator; Kim & Mnih, appendix A): six Linear layers of 1000 units
// with leaky ReLU of slope 0.2 (TensorFlow's tf.nn.leaky_relu default), then Linear 1000 → 2.
#pragma once
#include <cstdint>

#include "elbo/nn.hpp"

namespace elbo::models {

class Discriminator : public nn::Module {
 public:
  Discriminator(nn::Init& init, int64_t latents, int64_t width = 1000, int64_t hidden_layers = 6,
                double negative_slope = 0.2);
  // z [M, latents] → logits [M, 2]
  Tensor forward(const Tensor& z) override;
  std::string str() const override;

  const int64_t latents;
  nn::Sequential net;
};

// z̃ with each column of z [M, L] shuffled across the batch by its own permutation (a new tensor
// without history). Column j's permutation is a Fisher–Yates shuffle drawing from
// Rng{seed, stream, counter = j·M}.
Tensor permute_dims(const Tensor& z, uint64_t seed, uint64_t stream);

// TC ≈ (1/M) Σ_m [D_0(z_m) − D_1(z_m)], from the logits D(z) [M, 2].
Tensor factor_vae_total_correlation(const Tensor& logits_real);

// L_D above, from D(z) and D(z̃), both [M, 2].
Tensor discriminator_loss(const Tensor& logits_real, const Tensor& logits_permuted);

}  // namespace elbo::models
