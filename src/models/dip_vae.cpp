// DIP-VAE regularisers (models/dip_vae.hpp has the formulas and the source).
#include "elbo/models/dip_vae.hpp"

#include <vector>

#include "elbo/ops.hpp"

namespace elbo::models {

namespace {
// The L×L identity in t's dtype and device.
Tensor identity_like(const Tensor& t, int64_t L) {
  std::vector<double> values(static_cast<size_t>(L * L), 0.0);
  for (int64_t i = 0; i < L; ++i) values[static_cast<size_t>(i * L + i)] = 1.0;
  return from_vector(Shape{L, L}, values, t.dtype(), t.device());
}
}  // namespace

// (1/M) Σ_m μ_m μ_mᵀ − μ̄ μ̄ᵀ
Tensor covariance_of_means(const Tensor& mu) {
  ELBO_CHECK(mu.defined() && mu.ndim() == 2, "covariance_of_means: mu must be [M, L], got ",
             mu.defined() ? mu.shape().str() : "undefined");
  const int64_t M = mu.size(0), L = mu.size(1);
  Tensor second_moment = mul(matmul(transpose(mu, 0, 1), mu), 1.0 / static_cast<double>(M));  // E[μ μᵀ]
  Tensor mean_mu = mean(mu, {0});                                                             // μ̄
  Tensor outer = mul(reshape(mean_mu, Shape{L, 1}), reshape(mean_mu, Shape{1, L}));         // μ̄ μ̄ᵀ
  return sub(second_moment, outer);
}

// λ_od Σ_{i≠j} C_ij² + λ_d Σ_i (C_ii − 1)²
Tensor dip_penalty(const Tensor& c, double lambda_od, double lambda_d) {
  ELBO_CHECK(c.defined() && c.ndim() == 2 && c.size(0) == c.size(1), "dip_penalty: the covariance must be square, "
             "got ", c.defined() ? c.shape().str() : "undefined");
  const int64_t L = c.size(0);
  Tensor eye = identity_like(c, L);
  Tensor diagonal = sum(mul(c, eye), {1});        // C_ii, [L]
  Tensor off_diagonal = sub(c, mul(c, eye));      // C with a zero diagonal
  Tensor off_term = mul(sum(square(off_diagonal)), lambda_od);
  Tensor diagonal_term = mul(sum(square(add(diagonal, -1.0))), lambda_d);
  return add(off_term, diagonal_term);
}

Tensor dip_vae_i_regularizer(const Tensor& mu, double lambda_od, double lambda_d) {
  return dip_penalty(covariance_of_means(mu), lambda_od, lambda_d);
}

// C = diag((1/M) Σ_m σ_m²) + Cov[μ]
Tensor dip_vae_ii_regularizer(const Tensor& mu, const Tensor& logvar, double lambda_od, double lambda_d) {
  ELBO_CHECK(logvar.defined() && logvar.shape() == mu.shape(), "dip_vae_ii_regularizer: logvar ",
             logvar.defined() ? logvar.shape().str() : "undefined", " must have the shape of mu ", mu.shape().str());
  const int64_t L = mu.size(1);
  Tensor mean_variance = mean(exp(logvar), {0});  // (1/M) Σ_m σ_m², [L]
  Tensor covariance = add(covariance_of_means(mu), mul(reshape(mean_variance, Shape{L, 1}), identity_like(mu, L)));
  return dip_penalty(covariance, lambda_od, lambda_d);
}

}  // namespace elbo::models
