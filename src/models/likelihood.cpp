// The decoder's distribution and the reconstruction term (models/likelihood.hpp has the formulas).
#include "elbo/models/likelihood.hpp"

#include <cmath>
#include <numbers>

#include "elbo/ops.hpp"

namespace elbo::models {

const char* likelihood_name(Likelihood likelihood) {
  switch (likelihood) {
    case Likelihood::bernoulli: return "bernoulli";
    case Likelihood::gaussian_fixed: return "gaussian_fixed";
    case Likelihood::gaussian_learned: return "gaussian_learned";
  }
  return "?";
}

Likelihood parse_likelihood(const std::string& name) {
  for (Likelihood l : {Likelihood::bernoulli, Likelihood::gaussian_fixed, Likelihood::gaussian_learned})
    if (name == likelihood_name(l)) return l;
  detail::fail("likelihood: unknown name '", name, "' (choose bernoulli, gaussian_fixed or gaussian_learned)");
}

Tensor reconstruction_per_sample(Likelihood likelihood, const Tensor& logits, const Tensor& x,
                                 const Tensor& log_variance) {
  ELBO_CHECK(logits.defined() && x.defined() && x.ndim() >= 1, "reconstruction: undefined logits or images");
  const int64_t n = x.size(0), dims = x.numel() / std::max<int64_t>(n, 1);
  ELBO_CHECK(logits.ndim() >= 1 && logits.size(0) == n && logits.numel() == x.numel(), "reconstruction: logits ",
             logits.shape().str(), " do not match the images ", x.shape().str(), " (same N and elements per sample)");
  Tensor l = reshape(logits, Shape{n, dims}), target = reshape(x, Shape{n, dims});
  switch (likelihood) {
    case Likelihood::bernoulli:
      // Σ_d BCE(l_d, x_d)
      return sum(bce_with_logits(l, target), {1});
    case Likelihood::gaussian_fixed:
      // Σ_d (x_d − σ(l_d))²
      return sum(mse(target, sigmoid(l)), {1});
    case Likelihood::gaussian_learned: {
      ELBO_CHECK(log_variance.defined() && log_variance.numel() == 1, "reconstruction: gaussian_learned needs the "
                 "learned log-variance s as a one-element tensor");
      // Σ_d ½ [ln 2π + s + (x_d − σ(l_d))² e^−s]
      Tensor s = reshape(log_variance, Shape{1, 1});
      Tensor squared_error = mse(target, sigmoid(l));
      Tensor per_dim = mul(add(add(mul(squared_error, exp(neg(s))), s), std::log(2.0 * std::numbers::pi)), 0.5);
      return sum(per_dim, {1});
    }
  }
  return Tensor();
}

double reconstruction_constant(Likelihood likelihood, int64_t dims) {
  if (likelihood == Likelihood::gaussian_fixed) return static_cast<double>(dims) * 0.5 * std::log(std::numbers::pi);
  return 0.0;
}

}  // namespace elbo::models
