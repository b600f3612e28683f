// The β-VAE for points (models/point_vae.hpp has the networks and the loss).
#include "elbo/models/point_vae.hpp"

#include <cstdio>

#include "elbo/models/noise.hpp"
#include "elbo/ops.hpp"

namespace elbo::models {

namespace {

nn::Init make_init(const PointVaeConfig& c) {
  ELBO_CHECK(c.data_dims >= 1 && c.latents >= 1, "PointVae: data_dims and latents must be ≥ 1, got ", c.data_dims,
             " and ", c.latents);
  for (int64_t h : c.encoder_hidden) ELBO_CHECK(h >= 1, "PointVae: encoder widths must be ≥ 1, got ", h);
  for (int64_t h : c.decoder_hidden) ELBO_CHECK(h >= 1, "PointVae: decoder widths must be ≥ 1, got ", h);
  ELBO_CHECK(c.beta >= 0, "PointVae: beta must be ≥ 0, got ", c.beta);
  ELBO_CHECK(c.lr > 0 && c.adam_beta1 >= 0 && c.adam_beta1 < 1 && c.adam_beta2 >= 0 && c.adam_beta2 < 1 &&
                 c.adam_eps > 0,
             "PointVae: Adam settings out of range: lr ", c.lr, " (> 0), beta1 ", c.adam_beta1, " and beta2 ",
             c.adam_beta2, " (in [0, 1)), eps ", c.adam_eps, " (> 0)");
  ELBO_CHECK(c.dtype == DType::f32 || c.dtype == DType::f64, "PointVae: dtype must be f32 or f64, got ",
             dtype_name(c.dtype));
  return nn::Init{.seed = c.seed, .dtype = c.dtype, .scheme = nn::WeightInit::glorot_uniform};
}

// Linear h_1 tanh → … → Linear h_k tanh → Linear out.
void build_mlp(nn::Init& init, nn::Sequential& net, int64_t in, const std::vector<int64_t>& hidden, int64_t out) {
  for (int64_t h : hidden) {
    net.add<nn::Linear>(init, in, h);
    net.add<nn::Tanh>();
    in = h;
  }
  net.add<nn::Linear>(init, in, out);
}

}  // namespace

PointVae::PointVae(const PointVaeConfig& c)
    : config(c),
      init(make_init(c)),
      optimizer(nn::adam(build_networks(), c.lr, c.adam_beta1, c.adam_beta2, c.adam_eps)) {}

std::vector<Tensor> PointVae::build_networks() {
  build_mlp(init, encoder, config.data_dims, config.encoder_hidden, 2 * config.latents);
  build_mlp(init, decoder, config.latents, config.decoder_hidden, config.data_dims);
  register_module("encoder", encoder);
  register_module("decoder", decoder);
  return parameters();
}

PointVae::Posterior PointVae::encode(const Tensor& x) {
  ELBO_CHECK(x.defined() && x.ndim() == 2 && x.size(1) == config.data_dims && x.dtype() == config.dtype,
             "PointVae::encode: expected points ", dtype_name(config.dtype), "[M, ", config.data_dims, "], got ",
             x.defined() ? x.str() : "undefined");
  Tensor stats = encoder(x);
  const int64_t L = config.latents;
  return {slice(stats, 1, 0, L), slice(stats, 1, L, 2 * L)};
}

Tensor PointVae::decode(const Tensor& z) {
  ELBO_CHECK(z.defined() && z.ndim() == 2 && z.size(1) == config.latents, "PointVae::decode: expected latents [M, ",
             config.latents, "], got ", z.defined() ? z.str() : "undefined");
  return decoder(z);
}

PointVaeLoss PointVae::loss_with_noise(const Tensor& x, const Tensor& eps) {
  Posterior q = encode(x);
  // z = μ + σ ⊙ ε
  Tensor z = reparameterize_with(q.mu, q.logvar, eps);
  PointVaeLoss l;
  // R = (1/(M·D)) Σ_n Σ_d (x_nd − x̂_nd)²
  l.reconstruction = mean(mse(x, decode(z)));
  // KL = (1/M) Σ_n Σ_j ½ (μ² + σ² − 1 − ln σ²)
  l.kl = mean(sum(kl_standard_normal(q.mu, q.logvar), {1}));
  // L = R + β·KL
  l.loss = add(l.reconstruction, mul(l.kl, config.beta));
  return l;
}

PointVaeLoss PointVae::loss(const Tensor& x, uint64_t step) {
  ELBO_CHECK(x.defined() && x.ndim() == 2, "PointVae::loss: expected points [M, D], got ",
             x.defined() ? x.str() : "undefined");
  Tensor eps = normal(Shape{x.size(0), config.latents}, config.seed, noise_stream(NoisePurpose::posterior, step), 0,
                      config.dtype);
  return loss_with_noise(x, eps);
}

PointVaeStep PointVae::step(const Tensor& x, uint64_t step) {
  ELBO_CHECK(grad_enabled(), "PointVae::step: called inside a NoGradGuard; training needs autodiff");
  PointVaeLoss l = loss(x, step);
  optimizer.zero_grad();
  l.loss.backward();
  optimizer.step();
  return {l.loss.item(), l.reconstruction.item(), l.kl.item()};
}

std::string PointVae::describe() const {
  auto widths = [](const std::vector<int64_t>& h) {
    std::string s;
    for (int64_t w : h) s += std::to_string(w) + " tanh, ";
    return s;
  };
  char numbers[160];
  std::snprintf(numbers, sizeof numbers, "beta %g, Adam lr %g (beta1 %g, beta2 %g, eps %g)", config.beta, config.lr,
                config.adam_beta1, config.adam_beta2, config.adam_eps);
  return "point VAE: encoder " + std::to_string(config.data_dims) + " -> " + widths(config.encoder_hidden) +
         std::to_string(2 * config.latents) + "; decoder " + std::to_string(config.latents) + " -> " +
         widths(config.decoder_hidden) + std::to_string(config.data_dims) + "; " + std::to_string(num_parameters()) +
         " parameters, " + numbers;
}

}  // namespace elbo::models
