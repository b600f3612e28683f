// NVAE's diagonal Normal (Vahdat & Kautz 2020, §3.2 and App. A; NVlabs/NVAE
// distributions.Normal), elementwise on tensors of any shape:
//
//     μ = 5·tanh(μ_raw / 5),   log σ = 5·tanh(log σ_raw / 5)       soft clamp to (−5, 5)
//     σ = exp(log σ) + 1e-2
//
// (the +1e-2 keeps the reference's numbers: even its "standard" top prior N(0, 0) has σ = 1.01).
// The residual posterior of a group (§3.2, eq. 2) is this Normal built from the sums
//     μ_raw = μ_p,raw + Δμ,   log σ_raw = log σ_p,raw + Δlog σ
// i.e. the soft clamp applies after the sum, as the reference's Normal(mu_p + mu_q, ...).
//
//     sample:   z = μ + t·σ ⊙ ε,  ε ~ N(0, I)       (t the temperature; 1 in training)
//     log_prob: ln N(z; μ, σ²) = −½((z − μ)/σ)² − ln σ − ½ ln 2π
//     kl(q ‖ p) = ½ [((μ_q − μ_p)/σ_p)² + (σ_q/σ_p)²] − ½ − ln(σ_q/σ_p)      (per element)
#pragma once
#include "elbo/tensor.hpp"

namespace elbo::models {

struct NvaeNormal {
  Tensor mu;     // after the soft clamp
  Tensor sigma;  // exp(soft-clamped log σ) + 1e-2
};

NvaeNormal nvae_normal(const Tensor& mu_raw, const Tensor& log_sigma_raw);
Tensor nvae_sample(const NvaeNormal& d, const Tensor& eps, double temperature = 1.0);
Tensor nvae_log_prob(const NvaeNormal& d, const Tensor& z);
Tensor nvae_kl(const NvaeNormal& q, const NvaeNormal& p);

}  // namespace elbo::models
