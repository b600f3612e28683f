// Pictures of a trained VAE (models/visualize.hpp).
#include "elbo/models/visualize.hpp"

#include <algorithm>
#include <numeric>

#include "elbo/autograd.hpp"
#include "elbo/models/noise.hpp"
#include "elbo/ops.hpp"

namespace elbo::models {

Tensor decoder_mean(Vae& vae, const Tensor& z) {
  NoGradGuard no_grad;
  return sigmoid(vae.decode(z));
}

Tensor reconstruct(Vae& vae, const Tensor& x) {
  NoGradGuard no_grad;
  return sigmoid(vae.decode(vae.encode(x).mu));
}

Tensor prior_samples(Vae& vae, int64_t n, uint64_t seed) {
  ELBO_CHECK(n >= 1, "prior_samples: n must be at least 1, got ", n);
  NoGradGuard no_grad;
  const Tensor any_weight = vae.parameters().front();
  Tensor z = normal(Shape{n, vae.latents}, seed, noise_stream(NoisePurpose::prior, 0), 0, any_weight.dtype(),
                    any_weight.device());
  return sigmoid(vae.decode(z));
}

std::vector<int64_t> latents_by_kl(const std::vector<double>& kl) {
  std::vector<int64_t> order(kl.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return kl[a] > kl[b]; });
  return order;
}

std::vector<double> linspace(double lo, double hi, int64_t n) {
  ELBO_CHECK(n >= 1, "linspace: n must be at least 1, got ", n);
  std::vector<double> values(n);
  for (int64_t i = 0; i < n; ++i) values[i] = n == 1 ? lo : lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n - 1);
  return values;
}

Tensor traversal_codes(const Tensor& base, const std::vector<int64_t>& latents, const std::vector<double>& values,
                       bool relative) {
  ELBO_CHECK(base.defined() && (base.ndim() == 1 || (base.ndim() == 2 && base.size(0) == 1)),
             "traversal_codes: base must be [L] or [1, L], got ", base.defined() ? base.shape().str() : "undefined");
  ELBO_CHECK(!latents.empty() && !values.empty(), "traversal_codes: needs at least one latent and one value");
  const int64_t L = base.numel();
  std::vector<double> b = base.to_vector();
  std::vector<double> codes;
  codes.reserve(latents.size() * values.size() * L);
  for (int64_t j : latents) {
    ELBO_CHECK(j >= 0 && j < L, "traversal_codes: latent ", j, " is outside [0, ", L, ")");
    for (double v : values) {
      for (int64_t k = 0; k < L; ++k) codes.push_back(k == j ? (relative ? b[k] + v : v) : b[k]);
    }
  }
  return from_vector(Shape{static_cast<int64_t>(latents.size() * values.size()), L}, codes, base.dtype(),
                     base.device());
}

}  // namespace elbo::models
