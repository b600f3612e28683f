// A VAE with its training objective and optimiser(s): the object a training run builds from a
// configuration and steps through the data.
//
//   ModelConfig config;
//   config.vae = {.architecture = "dlib_conv", .latents = 10, .channels = 1, .image_size = 64};
//   config.objective = objective_defaults(parse_objective("factor_vae"));
//   config.seed = 0;
//   Model model(config);
//   for (uint64_t t = 0; t < steps; ++t) {
//     StepReport r = model.step(batch(t), t);       // one update of every optimiser
//     printf("loss %g kl %g\n", r.get("loss"), r.get("kl"));
//   }
//
// One step at index t (models/objective.hpp has every objective's loss):
//   1. encode x into (μ, log σ²); draw z = μ + σ ⊙ ε with ε from the stream of step t (models/noise.hpp)
//   2. decode z; R = mean r(x, logits); KL per latent = mean over the batch of KL(N(μ, σ²) ‖ N(0, 1))
//   3. the objective's loss; FactorVAE also the discriminator's loss, on z and its permutation
//   4. backward and one Adam update of the VAE; FactorVAE then one Adam update of the
//      discriminator, from the gradients of the same forward pass (the reference's simultaneous update)
//
// Everything a step draws is keyed by (seed, t), and the optimisers keep their step counts in
// their state: a run resumed at step t from the parameters and optimiser states saved after step
// t − 1 computes bit-identical steps to a run that never stopped.
//
// Optimiser defaults are disentanglement_lib's (unsupervised_study_v1 shared.gin): Adam with lr
// 1e-4, β1 0.9, β2 0.999, ε 1e-8 for the VAE; lr 1e-4, β1 0.5, β2 0.9, ε 1e-8 for FactorVAE's
// discriminator. (nn::adam is PyTorch's Adam, with ε added to √v̂; TensorFlow's AdamOptimizer adds
// ε to √v before the bias correction, i.e. ε·√(1 − β2ᵗ) in PyTorch's terms: the two differ
// only while √v is comparable to ε, in the first steps of rarely updated weights.)
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "elbo/models/factor_vae.hpp"
#include "elbo/models/objective.hpp"
#include "elbo/models/vae.hpp"
#include "elbo/nn.hpp"

namespace elbo::models {

struct AdamSettings {
  double lr = 1e-4, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

struct ModelConfig {
  VaeConfig vae;
  ObjectiveConfig objective;
  uint64_t seed = 0;  // of the initial weights and of every step's random numbers
  AdamSettings optimizer;
  AdamSettings discriminator_optimizer{.lr = 1e-4, .beta1 = 0.5, .beta2 = 0.9, .eps = 1e-8};
  // How weights are drawn; unset: the architecture's reference scheme (models/architectures.hpp).
  std::optional<nn::WeightInit> weight_init;
  DType dtype = DType::f32;
  Device device = Device::cpu;  // of the parameters; batches passed to step() must be on it too
};

// A loss term, detached.
struct NamedValue {
  const char* name;
  double value;
};

// What a step reports, detached. terms: "loss", "reconstruction", "kl", then the objective's own:
//   annealed_vae: "capacity" (C(t))          beta_tcvae: "tc"
//   factor_vae:   "tc", "discriminator_loss"  dip_vae_i, dip_vae_ii: "dip" (the covariance penalty)
struct StepReport {
  std::vector<NamedValue> terms;
  std::vector<double> kl_per_latent;  // mean over the batch of KL(q(z_j | x) ‖ N(0, 1)), per latent j
  // The term of that name; throws listing the names present.
  double get(const std::string& name) const;
};

// The same terms with their history (for tests and evaluation).
struct LossTerms {
  Tensor loss;                // what the VAE's optimiser minimises
  Tensor reconstruction;      // R
  Tensor kl;                  // KL, summed over latents
  Tensor kl_per_latent;       // [L]
  double capacity = 0.0;      // annealed_vae: C(t)
  Tensor tc;                  // beta_tcvae, factor_vae: the total-correlation estimate
  Tensor dip;                 // dip_vae_i, dip_vae_ii: the covariance penalty
  Tensor discriminator_loss;  // factor_vae: L_D
};

class Model {
 public:
  explicit Model(const ModelConfig& config);
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // The step's loss terms with history, without any update (under a NoGradGuard: without history).
  LossTerms losses(const Tensor& x, uint64_t step_index);
  // Steps 2 and 3 of the list above, from a forward pass made elsewhere (models/one_pass_ensemble.hpp):
  // the batch x, its posterior q, z drawn from it with this model's noise of step t, the decoder's logits.
  LossTerms objective_terms(const Tensor& x, const Vae::Posterior& q, const Tensor& z, const Tensor& logits,
                            uint64_t step_index);
  // z = μ + σ ⊙ ε with the noise ε of step t (step 1 above).
  Tensor sample_posterior(const Vae::Posterior& q, uint64_t step_index) const;
  // One training step (see the top of this file); x is a batch [M, C, S, S] in the model's dtype.
  StepReport step(const Tensor& x, uint64_t step_index);
  // Detaches the terms (one copy from the device: reports()).
  StepReport report(const LossTerms& terms) const;

  // β_norm = β·M/N of the β-VAE family's KL weight (β of beta_vae, 1 for the others' KL).
  double beta_norm() const;
  // One paragraph: architecture, shapes, likelihood, objective, β_norm, optimisers, parameter counts.
  std::string describe() const;

  const ModelConfig config;
  nn::Init init;  // the source of the weights; next_stream is the first stream left unused
  Vae vae;
  std::unique_ptr<Discriminator> discriminator;  // factor_vae only
  nn::Optimizer optimizer;                       // the VAE's Adam
  std::optional<nn::Optimizer> discriminator_optimizer;
};

// The reports of several models' terms (terms[k] computed by models[k]), detached with a single
// copy from the device: every value the reports hold, gathered into one tensor first, so a GPU
// step waits for the device once rather than once per value.
std::vector<StepReport> reports(const std::vector<const Model*>& models, const std::vector<LossTerms>& terms);

}  // namespace elbo::models
