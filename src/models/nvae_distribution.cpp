// NVAE's Normal (models/nvae_distribution.hpp has the formulas and their sources).
#include "elbo/models/nvae_distribution.hpp"

#include <cmath>

#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/math.hpp"

namespace elbo::models {

namespace {
constexpr double kSoftClampBound = 5.0;
constexpr double kSigmaFloor = 1e-2;
}  // namespace

NvaeNormal nvae_normal(const Tensor& mu_raw, const Tensor& log_sigma_raw) {
  ELBO_CHECK(mu_raw.defined() && log_sigma_raw.defined() && mu_raw.shape() == log_sigma_raw.shape(),
             "nvae_normal: μ and log σ must have one shape, got ", mu_raw.defined() ? mu_raw.str() : "undefined",
             " and ", log_sigma_raw.defined() ? log_sigma_raw.str() : "undefined");
  NvaeNormal d;
  d.mu = soft_clamp(mu_raw, kSoftClampBound);
  d.sigma = add(exp(soft_clamp(log_sigma_raw, kSoftClampBound)), kSigmaFloor);
  return d;
}

Tensor nvae_sample(const NvaeNormal& d, const Tensor& eps, double temperature) {
  Tensor scaled = temperature == 1.0 ? d.sigma : mul(d.sigma, temperature);
  return add(d.mu, mul(scaled, eps));  // μ + t·σ ⊙ ε
}

Tensor nvae_log_prob(const NvaeNormal& d, const Tensor& z) {
  Tensor normalized = div(sub(z, d.mu), d.sigma);  // (z − μ)/σ
  return sub(add(mul(square(normalized), -0.5), -0.5 * std::log(2.0 * M_PI)), log(d.sigma));
}

Tensor nvae_kl(const NvaeNormal& q, const NvaeNormal& p) {
  Tensor term1 = div(sub(q.mu, p.mu), p.sigma);  // (μ_q − μ_p)/σ_p
  Tensor term2 = div(q.sigma, p.sigma);          // σ_q/σ_p
  return sub(add(mul(add(square(term1), square(term2)), 0.5), -0.5), log(term2));
}

}  // namespace elbo::models
