// NVAE's training step (models/nvae_training.hpp).
#include "elbo/models/nvae_training.hpp"

#include "elbo/models/noise.hpp"

namespace elbo::models {

void NvaeTraining::validate() const {
  ELBO_CHECK(steps > 0, "NVAE training: steps must be positive, got ", steps);
  ELBO_CHECK(lr > 0 && min_lr >= 0 && min_lr <= lr, "NVAE training: needs lr > 0 and 0 ≤ min_lr ≤ lr, got lr ", lr,
             " and min_lr ", min_lr);
  ELBO_CHECK(warmup_steps >= 0 && warmup_steps < steps, "NVAE training: warmup_steps must be in [0, steps), got ",
             warmup_steps);
  ELBO_CHECK(adamax_eps > 0 && weight_decay >= 0, "NVAE training: adamax_eps must be positive and weight_decay ≥ 0");
  ELBO_CHECK(objective.lambda >= 0, "NVAE training: lambda must be ≥ 0, got ", objective.lambda);
  ELBO_CHECK(objective.kl_anneal_portion >= 0 && objective.kl_const_portion >= 0 && objective.kl_const_coeff >= 0,
             "NVAE training: kl_anneal_portion, kl_const_portion and kl_const_coeff must be ≥ 0");
  ELBO_CHECK(power_iterations >= 0 && first_power_iterations >= 0,
             "NVAE training: power_iterations must be ≥ 0, got ", power_iterations);
}

json::Value NvaeTraining::to_json() const {
  json::Value v = json::Value::object();
  v.set("steps", steps);
  v.set("lr", lr);
  v.set("min_lr", min_lr);
  v.set("warmup_steps", warmup_steps);
  v.set("adamax_eps", adamax_eps);
  v.set("weight_decay", weight_decay);
  v.set("lambda", objective.lambda);
  v.set("kl_anneal_portion", objective.kl_anneal_portion);
  v.set("kl_const_portion", objective.kl_const_portion);
  v.set("kl_const_coeff", objective.kl_const_coeff);
  v.set("kl_balance", objective.kl_balance);
  v.set("power_iterations", power_iterations);
  v.set("first_power_iterations", first_power_iterations);
  v.set("dynamic_binarization", dynamic_binarization);
  return v;
}

NvaeTraining NvaeTraining::from_json(const json::Value& v) {
  NvaeTraining t;
  ELBO_CHECK(v.is_object(), "NVAE training: expected a JSON object");
  for (const auto& [key, value] : v.members()) {
    if (key == "steps") t.steps = value.as_int();
    else if (key == "lr") t.lr = value.as_double();
    else if (key == "min_lr") t.min_lr = value.as_double();
    else if (key == "warmup_steps") t.warmup_steps = value.as_int();
    else if (key == "adamax_eps") t.adamax_eps = value.as_double();
    else if (key == "weight_decay") t.weight_decay = value.as_double();
    else if (key == "lambda") t.objective.lambda = value.as_double();
    else if (key == "kl_anneal_portion") t.objective.kl_anneal_portion = value.as_double();
    else if (key == "kl_const_portion") t.objective.kl_const_portion = value.as_double();
    else if (key == "kl_const_coeff") t.objective.kl_const_coeff = value.as_double();
    else if (key == "kl_balance") t.objective.kl_balance = value.as_bool();
    else if (key == "power_iterations") t.power_iterations = static_cast<int>(value.as_int());
    else if (key == "first_power_iterations") t.first_power_iterations = static_cast<int>(value.as_int());
    else if (key == "dynamic_binarization") t.dynamic_binarization = value.as_bool();
    else ELBO_CHECK(false, "NVAE training: unknown field \"", key, "\"");
  }
  t.validate();
  return t;
}

namespace {
const NvaeTraining& validated(const NvaeTraining& t) {
  t.validate();
  return t;
}
}  // namespace

NvaeTrainer::NvaeTrainer(const NvaeConfig& config, const NvaeTraining& training, uint64_t seed, DType dtype)
    : training(validated(training)),
      seed(seed),
      init{.seed = seed, .dtype = dtype},
      model(init, config),
      optimizer(nn::adamax(model.parameters(), training.lr, 0.9, 0.999, training.adamax_eps, training.weight_decay)),
      schedule(nn::Schedule::cosine(training.lr, training.steps, training.warmup_steps, training.min_lr)) {}

NvaeStepReport NvaeTrainer::step(const Tensor& x, uint64_t t) {
  const double lr = schedule.lr(static_cast<int64_t>(t));
  optimizer.set_lr(lr);
  model.train();
  Tensor batch = training.dynamic_binarization ? binarize(x, seed, noise_stream(NoisePurpose::data, t)) : x;
  const int iterations = t == 0 ? training.first_power_iterations : training.power_iterations;
  NvaeLosses l = nvae_losses(model, batch, static_cast<int64_t>(t), training.steps, training.objective, seed,
                             noise_stream(NoisePurpose::posterior, t), iterations);
  optimizer.zero_grad();
  l.loss.backward();
  optimizer.step();
  NvaeStepReport r;
  r.loss = l.loss.item();
  r.reconstruction = l.reconstruction.item();
  r.kl = l.kl.item();
  r.spectral = l.spectral.item();
  r.batchnorm = l.batchnorm.item();
  r.kl_coefficient = l.kl_coefficient;
  r.lr = lr;
  r.kl_per_group = l.kl_per_group;
  r.balance_coefficients = l.balance_coefficients;
  return r;
}

}  // namespace elbo::models
