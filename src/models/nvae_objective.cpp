// NVAE's objective (models/nvae_objective.hpp has the formulas and their sources).
#include "elbo/models/nvae_objective.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/autograd.hpp"
#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/math.hpp"
#include "elbo/ops/reduce.hpp"

namespace elbo::models {

double kl_warmup_coefficient(int64_t step, int64_t total_steps, const NvaeObjective& o) {
  ELBO_CHECK(total_steps > 0, "kl_warmup_coefficient: total_steps must be positive, got ", total_steps);
  const double anneal = o.kl_anneal_portion * static_cast<double>(total_steps);   // a·T
  const double constant = o.kl_const_portion * static_cast<double>(total_steps);  // c·T
  const double rise = anneal > 0 ? (static_cast<double>(step) - constant) / anneal : 1.0;
  return std::max(std::min(rise, 1.0), o.kl_const_coeff);
}

std::vector<double> kl_balancer_alpha(const std::vector<Nvae::GroupInfo>& groups) {
  std::vector<double> alpha;
  for (const Nvae::GroupInfo& g : groups) {
    const double two_s = std::ldexp(1.0, static_cast<int>(g.scale_from_top));  // 2^s
    alpha.push_back(two_s * two_s / static_cast<double>(g.groups_at_scale));    // (2^s)² / G(s)
  }
  const double smallest = *std::min_element(alpha.begin(), alpha.end());
  for (double& a : alpha) a /= smallest;
  return alpha;
}

std::vector<double> kl_balancer_coefficients(const std::vector<Tensor>& kl, const std::vector<double>& alpha) {
  ELBO_CHECK(!kl.empty() && kl.size() == alpha.size(), "kl_balancer_coefficients: ", kl.size(), " groups' KLs and ",
             alpha.size(), " α given");
  NoGradGuard no_grad;
  std::vector<double> gamma(kl.size());
  for (size_t i = 0; i < kl.size(); ++i) gamma[i] = mean(abs(kl[i].detach())).item() + 0.01;  // mean |KL_i| + 0.01
  double total = 0.0;
  for (double g : gamma) total += g;                                 // Σ_j γ_j
  for (size_t i = 0; i < gamma.size(); ++i) gamma[i] = gamma[i] / alpha[i] * total;
  double average = 0.0;
  for (double g : gamma) average += g;
  average /= static_cast<double>(gamma.size());                      // mean_j γ_j
  for (double& g : gamma) g /= average;
  return gamma;
}

NvaeLosses nvae_losses(Nvae& model, const Tensor& x, int64_t step, int64_t total_steps, const NvaeObjective& o,
                       uint64_t seed, uint64_t stream, int power_iterations) {
  ELBO_CHECK(o.lambda >= 0, "nvae_losses: λ must be ≥ 0, got ", o.lambda);
  NvaePass pass = model.run(x, seed, stream, 0);
  NvaeLosses out;
  Tensor recon = Nvae::reconstruction_loss(pass.logits, x);  // [N]
  out.kl_coefficient = kl_warmup_coefficient(step, total_steps, o);
  const size_t groups = pass.kl.size();
  out.balance_coefficients.assign(groups, 1.0);
  if (o.kl_balance && out.kl_coefficient < 1.0)
    out.balance_coefficients = kl_balancer_coefficients(pass.kl, kl_balancer_alpha(model.group_info()));
  Tensor balanced, plain;  // Σ_i γ_i KL_i and Σ_i KL_i, [N]
  for (size_t i = 0; i < groups; ++i) {
    Tensor weighted = mul(pass.kl[i], out.balance_coefficients[i]);
    balanced = balanced.defined() ? add(balanced, weighted) : weighted;
    plain = plain.defined() ? add(plain, pass.kl[i]) : pass.kl[i];
    out.kl_per_group.push_back(mean(pass.kl[i].detach()).item());
  }
  out.reconstruction = mean(recon);
  out.kl = mean(plain);
  out.spectral = model.spectral_loss(power_iterations);
  out.batchnorm = model.batchnorm_loss();
  Tensor nelbo = mean(add(recon, mul(balanced, out.kl_coefficient)));  // mean(R + β·KL_bal)
  out.loss = add(nelbo, mul(add(out.spectral, out.batchnorm), o.lambda));
  return out;
}

}  // namespace elbo::models
