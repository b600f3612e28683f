// A β-VAE for points x ∈ ℝ^D (not images), with tanh MLPs: the weak learners of the ensemble-fusion
// experiment of Murphy, Dillavou & Bassett (2024), §4.4 (reference notes §2.6), built as the authors'
// notebook Rep_space_fusion_SO(2).ipynb builds them in Keras:
//
//   encoder  x [M, D] → Linear e_1 tanh → … → Linear e_k tanh → Linear 2·L → (μ, ln σ²), [M, L] each
//   decoder  z [M, L] → Linear d_1 tanh → … → Linear d_m tanh → Linear D → x̂ [M, D] (no output activation)
//   weights glorot_uniform, biases zero (Keras's Dense defaults); widths e = d = (256, 256), L = 1, D = 2
//
// Loss per batch of M points (the notebook's train_step, as a loss to minimise; Higgins et al. 2017,
// eq. 4, with a Gaussian decoder):
//
//   z_n = μ_n + σ_n ⊙ ε_n,   ε_n ~ N(0, I)                    (reparameterisation, ops/random.hpp)
//   R   = (1/(M·D)) Σ_n Σ_d (x_nd − x̂_nd)²                    (tf.keras.losses.MeanSquaredError)
//   KL  = (1/M) Σ_n Σ_j ½ (μ_nj² + σ_nj² − 1 − ln σ_nj²)       (KL(N(μ, σ²) ‖ N(0, I)), summed over latents)
//   L   = R + β·KL,   β = 0.03
//
// R is the Gaussian likelihood the reference uses: per point, (1/D) Σ_d (x_d − x̂_d)² is
// −ln N(x; x̂, (D/2)·I) less its constant (D/2)·ln(πD); for the circle (D = 2) the decoder is
// N(x̂, I) exactly.
//
// Training (the notebook's settings): Adam with lr 1e-3, β1 0.9, β2 0.999, ε 1e-7 (Keras's
// defaults; nn::adam adds ε to √v̂ as PyTorch does, Keras to √v, which differs only while √v is
// comparable to ε), batches of 2048 fresh points, 3000 steps. The caller draws each step's batch
// (data/unit_circle.hpp); ε of step t comes from stream noise_stream(posterior, t) of the seed
// (models/noise.hpp), the weights from streams 0, 1, … of the seed in construction order
// (encoder first), so a model is a pure function of its seed and its batches.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/nn.hpp"

namespace elbo::models {

struct PointVaeConfig {
  int64_t data_dims = 2;                          // D
  int64_t latents = 1;                            // L
  std::vector<int64_t> encoder_hidden = {256, 256};  // e_1 … e_k
  std::vector<int64_t> decoder_hidden = {256, 256};  // d_1 … d_m, in the order applied
  double beta = 3e-2;
  double lr = 1e-3, adam_beta1 = 0.9, adam_beta2 = 0.999, adam_eps = 1e-7;
  uint64_t seed = 0;  // of the weights and of every step's ε
  DType dtype = DType::f32;
};

// The terms of one step's loss.
struct PointVaeLoss {
  Tensor loss;            // L = R + β·KL
  Tensor reconstruction;  // R
  Tensor kl;              // KL
};

// Detached values of the terms, after an update.
struct PointVaeStep {
  double loss = 0, reconstruction = 0, kl = 0;
};

class PointVae : public nn::Module {
 public:
  explicit PointVae(const PointVaeConfig& config);

  struct Posterior {
    Tensor mu, logvar;  // [M, L] each
  };
  // x: [M, D] in the model's dtype.
  Posterior encode(const Tensor& x);
  // z: [M, L] → x̂ [M, D].
  Tensor decode(const Tensor& z);
  // The loss with a given ε [M, L] (for tests), and with the ε of step t.
  PointVaeLoss loss_with_noise(const Tensor& x, const Tensor& eps);
  PointVaeLoss loss(const Tensor& x, uint64_t step);
  // One Adam update on the batch x with the ε of step t.
  PointVaeStep step(const Tensor& x, uint64_t step);
  // One line: widths, β, optimiser, parameter count.
  std::string describe() const;

  const PointVaeConfig config;
  nn::Init init;  // the source of the weights
  nn::Sequential encoder, decoder;
  nn::Optimizer optimizer;  // Adam over encoder's then decoder's parameters

 private:
  std::vector<Tensor> build_networks();  // fills encoder and decoder; returns the parameters
};

}  // namespace elbo::models
