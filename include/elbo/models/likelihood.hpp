// The decoder's distribution p(x | z), and the reconstruction term each objective averages.
//
// The decoder outputs one logit l_d per input dimension d (D = C·H·W of them). With μ_d = σ(l_d):
//
//   bernoulli (disentanglement_lib's bernoulli_loss with activation "logits"; Kingma & Welling
//   2014, app. C.1):
//       r(x, l) = Σ_d BCE(l_d, x_d) = Σ_d [softplus(l_d) − l_d·x_d]        = −ln p(x | z) exactly
//
//   gaussian_fixed (disentanglement_lib's l2_loss with activation "logits"):
//       r(x, l) = Σ_d (x_d − μ_d)²
//     which is −ln N(x; μ, ½·I) less its constant: −ln p(x | z) = r + D·½·ln π.
//
//   gaussian_learned (a Gaussian with one learned variance σ² = e^s shared by every dimension,
//   the "σ-VAE" of Rybkin, Daniilidis & Levine 2021, eq. 4; Kingma & Welling 2014, app. C.2):
//       r(x, l) = Σ_d ½ [ln 2π + s + (x_d − μ_d)² e^−s]                     = −ln p(x | z) exactly
//
// The training objectives use r as written (so that the loss values match the reference
// implementation's); the evaluation functions (models/evaluate.hpp) use the normalised
// −ln p(x | z) = r + reconstruction_constant(...).
#pragma once
#include <cstdint>
#include <string>

#include "elbo/tensor.hpp"

namespace elbo::models {

enum class Likelihood : uint8_t { bernoulli, gaussian_fixed, gaussian_learned };

// "bernoulli", "gaussian_fixed", "gaussian_learned".
const char* likelihood_name(Likelihood likelihood);
// The inverse of likelihood_name; throws naming the choices.
Likelihood parse_likelihood(const std::string& name);

// r(x, l) per sample, [N] (formulas above). logits has x's number of elements per sample (any
// shape [N, ...]); log_variance is the learned s, shape [1], used only by gaussian_learned.
Tensor reconstruction_per_sample(Likelihood likelihood, const Tensor& logits, const Tensor& x,
                                 const Tensor& log_variance = Tensor());

// The constant c with −ln p(x | z) = r(x, l) + c, for D input dimensions: D·½·ln π for
// gaussian_fixed, 0 otherwise.
double reconstruction_constant(Likelihood likelihood, int64_t dims);

}  // namespace elbo::models
