// Spectral regularisation and the batch-norm regulariser of NVAE (Vahdat & Kautz 2020, §3.2
// "Spectral regularization (SR)", after Yoshida & Miyato 2017; NVlabs/NVAE
// model.AutoEncoder.spectral_norm_parallel and batchnorm_loss).
//
// Spectral regularisation: for every convolution kernel W, read as the matrix
// W̃ [C_out, C_in·K·K], estimate its largest singular value σ(W̃) by power iteration
// (Miyato et al. 2018, "Spectral Normalization for GANs", Algorithm 1) with vectors u [C_out] and
// v [C_in·K·K] kept from one training step to the next:
//
//     repeat n times (no gradient):   v ← N(W̃ᵀ u),   u ← N(W̃ v),   N(x) = x / max(‖x‖, 1e-3)
//     σ(W̃) ≈ uᵀ W̃ v                  (differentiable in W, u and v held constant)
//     L_SR = Σ_kernels σ(W̃)
//
// The reference runs n = 4 iterations per training step and 10·4 = 40 the first time.
// Where elbo differs: u and v are this module's buffers ("u0", "v0", "u1", …, one pair per
// kernel, in the order of the shapes given), so a checkpoint saves them and a resumed run goes
// on from them; the reference keeps them in Python dictionaries (outside its state_dict), so
// they are drawn afresh when it resumes. The reference also stacks kernels of equal shapes to
// iterate them in one batched product; each kernel's u, v are its own in both, so the values
// are the same. u and v start as N(0, I) draws normalised by N(·) (streams of the Init).
//
// Batch-norm regularisation: over the BN layers' scales γ,
//     L_BN = Σ_layers max_c |γ_c|
// NVAE's objective adds λ·(L_SR + L_BN) (models/nvae_objective.hpp).
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/nn/init.hpp"
#include "elbo/nn/module.hpp"

namespace elbo::nn {

// n power iterations on W̃ [R, C] in place of u [R] and v [C], without history.
void power_iteration_(const Tensor& matrix, const Tensor& u, const Tensor& v, int iterations);
// σ ≈ uᵀ W̃ v, a one-element tensor, differentiable in W̃.
Tensor spectral_norm_estimate(const Tensor& matrix, const Tensor& u, const Tensor& v);
// L_BN = Σ max|γ|, differentiable; gammas are the BN layers' weights.
Tensor batchnorm_regularization(const std::vector<Tensor>& gammas);

class SpectralRegularizer : public Module {
 public:
  // One (u, v) pair per kernel shape [C_out, C_in/groups, K, K] (or any shape: the matrix is
  // [shape[0], numel/shape[0]]).
  SpectralRegularizer(Init& init, const std::vector<Shape>& kernel_shapes);
  // L_SR over `kernels` (the same count and shapes, in order), after `iterations` power
  // iterations on each (0: use u and v as they are).
  Tensor loss(const std::vector<Tensor>& kernels, int iterations);
  std::string str() const override;

  std::vector<Tensor> u, v;  // buffers "u<k>" [R_k] and "v<k>" [C_k]
};

}  // namespace elbo::nn
