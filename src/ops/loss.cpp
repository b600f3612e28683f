// Losses of variational autoencoders, composed from differentiable ops: autodiff derives each
// backward pass, and every backend runs them. Each returns the unreduced per-element terms.
// The operands must have one shape: a loss never broadcasts, so that [N] against [N, 1] is an
// error rather than a silent [N, N].
#include "elbo/ops/loss.hpp"

#include <cmath>
#include <numbers>

#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/math.hpp"

namespace elbo {

namespace {

void check_same_shape(const char* op, const char* first_name, const Tensor& first, const char* name, const Tensor& t) {
  ELBO_CHECK(first.defined() && t.defined(), op, ": undefined ", first.defined() ? name : first_name);
  ELBO_CHECK(t.shape() == first.shape(), op, ": ", name, " ", t.shape().str(), " must have the shape of ", first_name,
             " ", first.shape().str(), " (losses do not broadcast)");
}

}  // namespace

// Bernoulli negative log-likelihood of targets x ∈ [0, 1] given logits l, σ(l) = P(x = 1)
// (the Bernoulli decoder of Kingma & Welling 2014, app. C.1, negated):
//     −[x ln σ(l) + (1 − x) ln(1 − σ(l))] = ln(1 + e^l) − l·x = softplus(l) − l·x
// softplus is evaluated as max(l, 0) + ln(1 + e^−|l|), which never overflows, so this is the
// stable form max(l, 0) − l·x + ln(1 + e^−|l|) (as in TensorFlow's sigmoid_cross_entropy_with_logits).
// Its derivative is σ(l) − x, also at l = 0, where max and |·| have kinks.
Tensor bce_with_logits(const Tensor& logits, const Tensor& targets) {
  check_same_shape("bce_with_logits", "logits", logits, "targets", targets);
  return sub(softplus(logits), mul(logits, targets));
}

// Gaussian negative log-likelihood of x under N(μ, σ²) with σ² = e^logvar
// (the Gaussian decoder of Kingma & Welling 2014, app. C.2, negated):
//     −ln N(x; μ, σ²) = ½ [ln 2π + logvar + (x − μ)² e^−logvar]
Tensor gaussian_nll(const Tensor& x, const Tensor& mu, const Tensor& logvar) {
  check_same_shape("gaussian_nll", "x", x, "mu", mu);
  check_same_shape("gaussian_nll", "x", x, "logvar", logvar);
  const double log_2pi = std::log(2.0 * std::numbers::pi);
  Tensor squared_error = square(sub(x, mu));
  return mul(add(add(logvar, mul(squared_error, exp(neg(logvar)))), log_2pi), 0.5);
}

// Squared error (a − b)²: the Gaussian NLL with σ² = 1, times 2, less ln 2π.
Tensor mse(const Tensor& a, const Tensor& b) {
  check_same_shape("mse", "a", a, "b", b);
  return square(sub(a, b));
}

// KL divergence between diagonal Gaussians q = N(μq, σq²) and p = N(μp, σp²), per latent
// (Kingma & Welling 2014, app. B, with a general Gaussian p in place of N(0, 1)):
//     KL(q ‖ p) = ½ [lvp − lvq + (σq² + (μq − μp)²)/σp² − 1]
// With t = lvq − lvp the ratio σq²/σp² is e^t, computed without forming σq² or 1/σp² apart
// (either may overflow where their ratio does not):
//     KL(q ‖ p) = ½ [e^t − t − 1 + (μq − μp)² e^−lvp]
Tensor kl_diag_gaussians(const Tensor& mu_q, const Tensor& logvar_q, const Tensor& mu_p, const Tensor& logvar_p) {
  check_same_shape("kl_diag_gaussians", "mu_q", mu_q, "logvar_q", logvar_q);
  check_same_shape("kl_diag_gaussians", "mu_q", mu_q, "mu_p", mu_p);
  check_same_shape("kl_diag_gaussians", "mu_q", mu_q, "logvar_p", logvar_p);
  Tensor t = sub(logvar_q, logvar_p);
  Tensor variance_term = sub(exp(t), add(t, 1.0));                      // e^t − t − 1
  Tensor mean_term = mul(square(sub(mu_q, mu_p)), exp(neg(logvar_p)));  // (μq − μp)²/σp²
  return mul(add(variance_term, mean_term), 0.5);
}

// KL divergence from N(μ, σ²) to the standard normal prior, per latent
// (Kingma & Welling 2014, app. B; the negated terms of eq. 10):
//     KL(N(μ, σ²) ‖ N(0, 1)) = ½ [μ² + σ² − 1 − logvar],   σ² = e^logvar
Tensor kl_standard_normal(const Tensor& mu, const Tensor& logvar) {
  check_same_shape("kl_standard_normal", "mu", mu, "logvar", logvar);
  return mul(add(sub(add(square(mu), exp(logvar)), logvar), -1.0), 0.5);
}

}  // namespace elbo
