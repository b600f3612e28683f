// A VAE with its objective and optimisers (models/model.hpp); the objectives' formulas are in
// models/objective.hpp and the files it names.
#include "elbo/models/model.hpp"

#include <cstdio>

#include "elbo/models/annealed_vae.hpp"
#include "elbo/models/architectures.hpp"
#include "elbo/models/beta_tcvae.hpp"
#include "elbo/models/beta_vae.hpp"
#include "elbo/models/dip_vae.hpp"
#include "elbo/models/noise.hpp"
#include "elbo/ops.hpp"

namespace elbo::models {

namespace {

nn::Init make_init(const ModelConfig& c) {
  check_objective(c.objective);
  ELBO_CHECK(c.dtype == DType::f32 || c.dtype == DType::f64, "Model: dtype must be f32 or f64, got ",
             dtype_name(c.dtype));
  nn::Init init;
  init.seed = c.seed;
  init.dtype = c.dtype;
  init.device = c.device;
  init.scheme = c.weight_init ? *c.weight_init : find_architecture(c.vae.architecture).reference_init;
  return init;
}

nn::Optimizer make_adam(std::vector<Tensor> params, const AdamSettings& s) {
  ELBO_CHECK(s.lr > 0 && s.beta1 >= 0 && s.beta1 < 1 && s.beta2 >= 0 && s.beta2 < 1 && s.eps > 0,
             "Model: Adam settings out of range: lr ", s.lr, " (> 0), beta1 ", s.beta1, " and beta2 ", s.beta2,
             " (in [0, 1)), eps ", s.eps, " (> 0)");
  return nn::adam(std::move(params), s.lr, s.beta1, s.beta2, s.eps);
}

// While alive, a module's parameters are constants for autodiff: ops record no gradient for them.
class FrozenParameters {
 public:
  explicit FrozenParameters(const nn::Module& module) : params_(module.parameters()) {
    for (Tensor& p : params_) p.requires_grad_(false);
  }
  ~FrozenParameters() {
    for (Tensor& p : params_) p.requires_grad_(true);
  }
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

 private:
  std::vector<Tensor> params_;
};

std::string format(const char* pattern, double v) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, v);
  return text;
}

}  // namespace

double StepReport::get(const std::string& name) const {
  std::string names;
  for (const NamedValue& t : terms) {
    if (name == t.name) return t.value;
    names += names.empty() ? t.name : std::string(", ") + t.name;
  }
  detail::fail("StepReport: no term '", name, "' (this objective reports ", names, ")");
}

Model::Model(const ModelConfig& c)
    : config(c),
      init(make_init(c)),
      vae(init, c.vae),
      discriminator(c.objective.kind == ObjectiveKind::factor_vae ? std::make_unique<Discriminator>(init, c.vae.latents)
                                                                   : nullptr),
      optimizer(make_adam(vae.parameters(), c.optimizer)) {
  if (discriminator) discriminator_optimizer = make_adam(discriminator->parameters(), c.discriminator_optimizer);
}

LossTerms Model::losses(const Tensor& x, uint64_t t) {
  ELBO_CHECK(x.defined() && x.dtype() == config.dtype, "Model: the batch must be ", dtype_name(config.dtype),
             " like the model, got ", x.defined() ? dtype_name(x.dtype()) : "undefined");
  ELBO_CHECK(x.device() == config.device, "Model: the batch is on ", device_name(x.device()), ", the model on ",
             device_name(config.device));
  // 1. z = μ + σ ⊙ ε, ε from the stream of step t
  Vae::Posterior q = vae.encode(x);
  Tensor z = sample_posterior(q, t);
  return objective_terms(x, q, z, vae.decode(z), t);
}

Tensor Model::sample_posterior(const Vae::Posterior& q, uint64_t t) const {
  return reparameterize(q.mu, q.logvar, config.seed, noise_stream(NoisePurpose::posterior, t), 0);
}

LossTerms Model::objective_terms(const Tensor& x, const Vae::Posterior& q, const Tensor& z, const Tensor& logits,
                                 uint64_t t) {
  const ObjectiveConfig& o = config.objective;
  LossTerms terms;
  // 2. R = (1/M) Σ_n r(x_n, logits_n);  KL_j = (1/M) Σ_n KL(N(μ_nj, σ_nj²) ‖ N(0, 1));  KL = Σ_j KL_j
  terms.reconstruction = mean(vae.reconstruction(logits, x));
  terms.kl_per_latent = mean(kl_standard_normal(q.mu, q.logvar), {0});
  terms.kl = sum(terms.kl_per_latent);
  // 3. the objective
  switch (o.kind) {
    case ObjectiveKind::vae:  // R + KL
      terms.loss = beta_vae_objective(terms.reconstruction, terms.kl, 1.0);
      break;
    case ObjectiveKind::beta_vae:  // R + β·KL
      terms.loss = beta_vae_objective(terms.reconstruction, terms.kl, o.beta);
      break;
    case ObjectiveKind::annealed_vae:  // R + γ·|KL − C(t)|
      terms.capacity = annealed_capacity(o.c_max, t, o.iteration_threshold);
      terms.loss = add(terms.reconstruction, annealed_vae_regularizer(terms.kl, terms.capacity, o.gamma));
      break;
    case ObjectiveKind::beta_tcvae:  // R + KL + (β − 1)·TC
      terms.tc = total_correlation(z, q.mu, q.logvar, o.dataset_size);
      terms.loss = add(add(terms.reconstruction, terms.kl), mul(terms.tc, o.beta - 1.0));
      break;
    case ObjectiveKind::factor_vae: {  // R + KL + γ·TC;  L_D on z and its permutation (detached)
      {
        // The VAE's loss differentiates D(z) with respect to z only: D is updated from L_D alone.
        FrozenParameters constant(*discriminator);
        terms.tc = factor_vae_total_correlation((*discriminator)(z));
      }
      terms.loss = add(add(terms.reconstruction, terms.kl), mul(terms.tc, o.gamma));
      Tensor codes = z.detach();
      Tensor permuted = permute_dims(codes, config.seed, noise_stream(NoisePurpose::permutation, t));
      terms.discriminator_loss = discriminator_loss((*discriminator)(codes), (*discriminator)(permuted));
      break;
    }
    case ObjectiveKind::dip_vae_i:  // R + KL + penalty(Cov[μ])
      terms.dip = dip_vae_i_regularizer(q.mu, o.lambda_od, o.lambda_d);
      terms.loss = add(add(terms.reconstruction, terms.kl), terms.dip);
      break;
    case ObjectiveKind::dip_vae_ii:  // R + KL + penalty(diag E[σ²] + Cov[μ])
      terms.dip = dip_vae_ii_regularizer(q.mu, q.logvar, o.lambda_od, o.lambda_d);
      terms.loss = add(add(terms.reconstruction, terms.kl), terms.dip);
      break;
  }
  return terms;
}

StepReport Model::step(const Tensor& x, uint64_t t) {
  ELBO_CHECK(grad_enabled(), "Model::step: called inside a NoGradGuard; training needs autodiff");
  LossTerms terms = losses(x, t);
  // 4. Both updates come from this forward pass (the two graphs share no weights: L_VAE treats
  //    D's weights as constants, L_D treats z as data).
  optimizer.zero_grad();
  terms.loss.backward();
  optimizer.step();
  if (discriminator) {
    discriminator_optimizer->zero_grad();
    terms.discriminator_loss.backward();
    discriminator_optimizer->step();
  }
  return report(terms);
}

StepReport Model::report(const LossTerms& terms) const { return reports({this}, {terms})[0]; }

std::vector<StepReport> reports(const std::vector<const Model*>& models, const std::vector<LossTerms>& terms) {
  ELBO_CHECK(models.size() == terms.size(), "reports: ", models.size(), " models but ", terms.size(), " sets of terms");
  // Every model's values in report order, as [1]-shaped pieces of one tensor.
  std::vector<Tensor> pieces;
  for (size_t k = 0; k < terms.size(); ++k) {
    const LossTerms& t = terms[k];
    for (const Tensor& v : {t.loss, t.reconstruction, t.kl, t.tc, t.dip, t.discriminator_loss})
      if (v.defined()) pieces.push_back(reshape(v.detach(), Shape{1}));
    pieces.push_back(reshape(t.kl_per_latent.detach(), Shape{-1}));
  }
  const std::vector<double> values = concat(pieces, 0).to_vector();
  std::vector<StepReport> out(terms.size());
  size_t i = 0;
  for (size_t k = 0; k < terms.size(); ++k) {
    const LossTerms& t = terms[k];
    StepReport& r = out[k];
    r.terms.push_back({"loss", values[i++]});
    r.terms.push_back({"reconstruction", values[i++]});
    r.terms.push_back({"kl", values[i++]});
    if (models[k]->config.objective.kind == ObjectiveKind::annealed_vae) r.terms.push_back({"capacity", t.capacity});
    if (t.tc.defined()) r.terms.push_back({"tc", values[i++]});
    if (t.dip.defined()) r.terms.push_back({"dip", values[i++]});
    if (t.discriminator_loss.defined()) r.terms.push_back({"discriminator_loss", values[i++]});
    const size_t latents = static_cast<size_t>(t.kl_per_latent.numel());
    r.kl_per_latent.assign(values.begin() + static_cast<std::ptrdiff_t>(i), values.begin() + static_cast<std::ptrdiff_t>(i + latents));
    i += latents;
  }
  return out;
}

double Model::beta_norm() const {
  double beta = config.objective.kind == ObjectiveKind::beta_vae ? config.objective.beta : 1.0;
  return models::beta_norm(beta, config.vae.latents, config.vae.input_dims());
}

std::string Model::describe() const {
  const VaeConfig& v = config.vae;
  const AdamSettings& a = config.optimizer;
  std::string s = v.architecture + " VAE, " + std::to_string(v.latents) + " latents, images " +
                  std::to_string(v.channels) + "x" + std::to_string(v.image_size) + "x" +
                  std::to_string(v.image_size) + ", " + likelihood_name(v.likelihood) + " decoder, " +
                  std::to_string(vae.num_parameters()) + " parameters\n";
  s += "objective " + describe_objective(config.objective) + ", beta_norm = beta*latents/dims = " +
       format("%.4g", beta_norm()) + "\n";
  s += "Adam lr " + format("%g", a.lr) + " (beta1 " + format("%g", a.beta1) + ", beta2 " + format("%g", a.beta2) +
       ", eps " + format("%g", a.eps) + ")";
  if (discriminator) {
    const AdamSettings& d = config.discriminator_optimizer;
    s += "; discriminator " + std::to_string(discriminator->num_parameters()) + " parameters, Adam lr " +
         format("%g", d.lr) + " (beta1 " + format("%g", d.beta1) + ", beta2 " + format("%g", d.beta2) + ", eps " +
         format("%g", d.eps) + ")";
  }
  return s;
}

}  // namespace elbo::models
