// The training objectives of the VAE family, by name, with their hyper-parameters.
//
// Every objective is a loss to minimise per batch of M images, built from the reconstruction
// term r (models/likelihood.hpp) and the KL to the prior, both averaged over the batch:
//     R  = (1/M) Σ_n r(x_n, decoder(z_n)),     z_n = μ_n + σ_n ⊙ ε_n
//     KL = (1/M) Σ_n Σ_j ½ (μ_nj² + σ_nj² − 1 − ln σ_nj²)
//
//   name          loss                                  source                                  file
//   vae           R + KL                                Kingma & Welling 2014, eq. 10 (negated)  models/beta_vae.hpp
//   beta_vae      R + β·KL                              Higgins et al. 2017, eq. 4               models/beta_vae.hpp
//   annealed_vae  R + γ·|KL − C(t)|                     Burgess et al. 2018, eq. 8               models/annealed_vae.hpp
//   beta_tcvae    R + KL + (β − 1)·TC                   Chen et al. 2018, eq. 5, α = γ = 1       models/beta_tcvae.hpp
//   factor_vae    R + KL + γ·TC (TC from a classifier)  Kim & Mnih 2018, eq. 2                   models/factor_vae.hpp
//   dip_vae_i     R + KL + λ_od Σ_{i≠j} C_ij² + λ_d Σ_i (C_ii − 1)², C = Cov[μ]           (Kumar et al. 2018, eq. 6)
//   dip_vae_ii    the same with C = E[diag σ²] + Cov[μ]                                    (Kumar et al. 2018, eq. 7)
//                                                                                           models/dip_vae.hpp
// (The equation numbers are those disentanglement_lib's docstrings cite.) models/model.cpp
// assembles each loss from these pieces.
// The forms are disentanglement_lib's (methods/unsupervised/vae.py), the implementation of the
// unsupervised_study_v1 model zoo (Locatello et al. 2019).
//
// Defaults (objective_defaults): the values the reference fixes, and for the swept
// hyper-parameter one value of the study's grid:
//   beta_vae      β = 4                                  (grid 1, 2, 4, 6, 8, 16)
//   annealed_vae  γ = 1000, C_max = 25, 100000 steps     (fixed γ and steps; C_max grid 5, 10, 25, 50, 75, 100)
//   beta_tcvae    β = 6                                  (grid 1, 2, 4, 6, 8, 10)
//   factor_vae    γ = 10                                 (grid 10, 20, 30, 40, 50, 100)
//   dip_vae_i     λ_od = 10, λ_d = 10·λ_od = 100          (λ_od grid 1, 2, 5, 10, 20, 50; λ_d = 10·λ_od fixed)
//   dip_vae_ii    λ_od = 10, λ_d = λ_od = 10              (same grid; λ_d = λ_od fixed)
#pragma once
#include <cstdint>
#include <string>

namespace elbo::models {

enum class ObjectiveKind : uint8_t { vae, beta_vae, annealed_vae, beta_tcvae, factor_vae, dip_vae_i, dip_vae_ii };

struct ObjectiveConfig {
  ObjectiveKind kind = ObjectiveKind::vae;
  double beta = 1.0;                     // beta_vae: β;  beta_tcvae: β (the TC weight is β − 1)
  double gamma = 0.0;                    // annealed_vae: γ;  factor_vae: γ
  double c_max = 0.0;                    // annealed_vae: the final capacity C_max (nats)
  int64_t iteration_threshold = 0;       // annealed_vae: steps over which C rises from 0 to C_max
  double lambda_od = 0.0, lambda_d = 0.0;  // dip_vae_i, dip_vae_ii
  int64_t dataset_size = 0;              // beta_tcvae: N for the reported TC's constant (0: omit it, as the reference)
};

// "vae", "beta_vae", "annealed_vae", "beta_tcvae", "factor_vae", "dip_vae_i", "dip_vae_ii".
const char* objective_name(ObjectiveKind kind);
// The inverse of objective_name; throws naming the choices.
ObjectiveKind parse_objective(const std::string& name);
// The objective with its default hyper-parameters (table above).
ObjectiveConfig objective_defaults(ObjectiveKind kind);
// Throws with the parameter's name when a hyper-parameter is out of range (β ≥ 0, γ ≥ 0, C_max ≥ 0,
// iteration_threshold ≥ 1, λ ≥ 0, dataset_size ≥ 0).
void check_objective(const ObjectiveConfig& objective);
// One line, e.g. "annealed_vae(gamma=1000, c_max=25, iteration_threshold=100000)".
std::string describe_objective(const ObjectiveConfig& objective);

}  // namespace elbo::models
