// Losses of variational autoencoders, differentiable. Each returns the per-element (or
// per-row) terms unreduced unless it says otherwise; reduce with sum or mean.
//
//   bce_with_logits(l, x)       = max(l, 0) − l·x + ln(1 + e^−|l|)      = −[x ln σ(l) + (1−x) ln(1−σ(l))]
//   gaussian_nll(x, μ, logvar)  = ½ [ln 2π + logvar + (x − μ)² e^−logvar]
//   mse(a, b)                   = (a − b)²
//   kl_diag_gaussians(μq, lvq, μp, lvp), per latent (Kingma & Welling 2014, app. B, generalised):
//       KL(N(μq, σq²) ‖ N(μp, σp²)) = ½ [lvp − lvq + (σq² + (μq − μp)²)/σp² − 1]
//   kl_standard_normal(μ, logvar), per latent (Kingma & Welling 2014, app. B):
//       KL(N(μ, σ²) ‖ N(0, 1)) = ½ [μ² + σ² − 1 − logvar]
#pragma once
#include "elbo/tensor.hpp"

namespace elbo {

Tensor bce_with_logits(const Tensor& logits, const Tensor& targets);
Tensor gaussian_nll(const Tensor& x, const Tensor& mu, const Tensor& logvar);
Tensor mse(const Tensor& a, const Tensor& b);
Tensor kl_diag_gaussians(const Tensor& mu_q, const Tensor& logvar_q, const Tensor& mu_p, const Tensor& logvar_p);
Tensor kl_standard_normal(const Tensor& mu, const Tensor& logvar);

}  // namespace elbo
