// β-TCVAE's total correlation estimate (models/beta_tcvae.hpp has the formulas and the source).
#include "elbo/models/beta_tcvae.hpp"

#include <cmath>
#include <numbers>

#include "elbo/ops.hpp"

namespace elbo::models {

// −½[(z − μ)² e^−lv + lv + ln 2π]
Tensor gaussian_log_density(const Tensor& z, const Tensor& mu, const Tensor& logvar) {
  Tensor squared = square(sub(z, mu));
  return mul(add(add(mul(squared, exp(neg(logvar))), logvar), std::log(2.0 * std::numbers::pi)), -0.5);
}

Tensor total_correlation(const Tensor& z, const Tensor& mu, const Tensor& logvar, int64_t dataset_size) {
  ELBO_CHECK(z.defined() && z.ndim() == 2 && mu.shape() == z.shape() && logvar.shape() == z.shape(),
             "total_correlation: z, mu and logvar must all be [M, L], got ", z.shape().str(), ", ", mu.shape().str(),
             ", ", logvar.shape().str());
  ELBO_CHECK(dataset_size >= 0, "total_correlation: dataset_size must be ≥ 0, got ", dataset_size);
  const int64_t M = z.size(0), L = z.size(1);
  // log q(z_m,j | x_i) for every sample m, datum i, latent j: [M, M, L] indexed [m, i, j].
  Tensor log_q = gaussian_log_density(reshape(z, Shape{M, 1, L}), reshape(mu, Shape{1, M, L}),
                                      reshape(logvar, Shape{1, M, L}));
  // Σ_j logsumexp_i log q(z_m,j | x_i): [M]
  Tensor log_q_product = sum(logsumexp(log_q, {1}), {1});
  // logsumexp_i Σ_j log q(z_m,j | x_i): [M]
  Tensor log_q_joint = logsumexp(sum(log_q, {2}), {1});
  Tensor tc = mean(sub(log_q_joint, log_q_product));
  if (dataset_size > 0)
    tc = add(tc, static_cast<double>(L - 1) * std::log(static_cast<double>(M) * static_cast<double>(dataset_size)));
  return tc;
}

}  // namespace elbo::models
