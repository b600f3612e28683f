// The Model: gradients through each whole model, the reported terms, FactorVAE's simultaneous
// updates, determinism across thread counts, and bit-identical resumption.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "elbo/context.hpp"
#include "elbo/models/model.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::models;

namespace {

const ObjectiveKind kObjectives[] = {ObjectiveKind::vae,        ObjectiveKind::beta_vae,  ObjectiveKind::annealed_vae,
                                     ObjectiveKind::beta_tcvae, ObjectiveKind::factor_vae, ObjectiveKind::dip_vae_i,
                                     ObjectiveKind::dip_vae_ii};

ModelConfig config_of(ObjectiveKind kind, VaeConfig vae, DType dtype, uint64_t seed = 5) {
  ModelConfig c;
  c.vae = vae;
  c.objective = objective_defaults(kind);
  c.objective.iteration_threshold = c.objective.iteration_threshold ? 4 : 0;  // a capacity that moves in 4 steps
  c.seed = seed;
  c.dtype = dtype;
  return c;
}

// A small MLP VAE on 4×4 images: fast enough for finite differences through every objective.
VaeConfig tiny_mlp(Likelihood likelihood = Likelihood::bernoulli) {
  return VaeConfig{.architecture = "mlp", .latents = 3, .channels = 1, .image_size = 4, .likelihood = likelihood,
                   .hidden = {6}};
}

Tensor images(const VaeConfig& v, int64_t n, uint64_t which, DType dtype) {
  return uniform(Shape{n, v.channels, v.image_size, v.image_size}, 77, which, 0, dtype);
}

// Every parameter of the model (VAE, then discriminator), flattened into one tensor.
Tensor all_parameters(const Model& m) {
  std::vector<Tensor> flat;
  for (const Tensor& p : m.vae.parameters()) flat.push_back(reshape(p.detach(), Shape{-1}));
  if (m.discriminator)
    for (const Tensor& p : m.discriminator->parameters()) flat.push_back(reshape(p.detach(), Shape{-1}));
  return concat(flat, 0);
}

// Central differences of `loss` against its autodiff gradient in f64 leaves the loss computes with
// in place (parameters, or images made leaves): in every element when `elements` is 0, else in
// the element with the largest gradient and elements − 1 others spread over the tensor. Central
// differences carry a rounding error of about 1e-16·|loss|/ε, hence the tolerance's |loss| term
// (AnnealedVAE's γ = 1000 makes the loss large).
void check_gradients_in_place(const std::string& name, const std::function<Tensor()>& loss,
                              const std::vector<nn::NamedTensor>& leaves, size_t elements = 3) {
  for (const nn::NamedTensor& p : leaves) p.tensor.zero_grad();
  Tensor root = loss();
  const double magnitude = std::abs(root.item());
  root.backward();
  auto value = [&] {
    NoGradGuard no_grad;
    return loss().item();
  };
  for (const nn::NamedTensor& p : leaves) {
    Tensor g = p.tensor.grad();
    REQUIRE_MESSAGE(g.defined(), name << ": " << p.name << " has no gradient");
    std::vector<double> gv = g.to_vector();
    size_t largest = 0;
    for (size_t i = 0; i < gv.size(); ++i)
      if (std::abs(gv[i]) > std::abs(gv[largest])) largest = i;
    CHECK_MESSAGE(std::abs(gv[largest]) > 1e-10, name << ": the gradient of " << p.name << " is all zero");
    std::vector<size_t> chosen;
    if (elements == 0) {
      for (size_t i = 0; i < gv.size(); ++i) chosen.push_back(i);
    } else {
      chosen.push_back(largest);
      for (size_t k = 1; k < elements; ++k) chosen.push_back(gv.size() * k / elements + k);
    }
    double* data = p.tensor.data<double>();
    for (size_t i : chosen) {
      i %= gv.size();
      const double eps = 1e-6, saved = data[i];
      data[i] = saved + eps;
      double up = value();
      data[i] = saved - eps;
      double down = value();
      data[i] = saved;
      double numeric = (up - down) / (2 * eps);
      double tolerance = 1e-7 + 1e-9 * magnitude + 1e-5 * std::max(std::abs(numeric), std::abs(gv[i]));
      CHECK_MESSAGE(std::abs(numeric - gv[i]) <= tolerance,
                    name << ": " << p.name << "[" << i << "] autodiff " << gv[i] << " vs finite difference " << numeric);
    }
  }
}

// The images as an f64 leaf, so that check_gradients_in_place differentiates wrt them.
nn::NamedTensor image_leaf(const Tensor& x) {
  Tensor leaf = x.detach().contiguous().clone();
  leaf.requires_grad_(true);
  return {"x", leaf};
}

// Copies what a checkpoint holds for one optimiser: its parameters and their Adam states.
void copy_optimizer(nn::Optimizer& to, nn::Optimizer& from) {
  NoGradGuard no_grad;
  for (size_t i = 0; i < to.params().size(); ++i) {
    copy_(to.params()[i], from.params()[i]);
    copy_(to.state()[i].m, from.state()[i].m);
    copy_(to.state()[i].v, from.state()[i].v);
    to.state()[i].step = from.state()[i].step;
  }
}

}  // namespace

TEST_CASE("models: f64 gradient checks through every whole model, wrt the images and the parameters") {
  for (ObjectiveKind kind : kObjectives) {
    const std::string name = objective_name(kind);
    Model model(config_of(kind, tiny_mlp(), DType::f64));
    nn::NamedTensor x = image_leaf(images(model.config.vae, 3, 1, DType::f64));
    const uint64_t t = 2;
    // Through the encoder, the sample, the decoder and the objective: every pixel (but for
    // FactorVAE, whose discriminator is large, 8 of them) and every parameter.
    auto loss = [&] { return model.losses(x.tensor, t).loss; };
    check_gradients_in_place(name + " wrt x", loss, {x}, model.discriminator ? 8 : 0);
    check_gradients_in_place(name, loss, model.vae.named_parameters());
    if (model.discriminator) {
      // The discriminator's loss, through its first and last layers (six 1000×1000 layers between).
      std::vector<nn::NamedTensor> d = model.discriminator->named_parameters();
      check_gradients_in_place(name + " discriminator", [&] { return model.losses(x.tensor, t).discriminator_loss; },
                               {d[0], d[1], d[d.size() - 2], d[d.size() - 1]});
    }
  }
}

TEST_CASE("models: f64 gradient checks through the convolutional networks and the learned-variance decoder") {
  struct Case {
    VaeConfig vae;
    ObjectiveKind kind;
  } cases[] = {
      {{.architecture = "dlib_conv", .latents = 2, .channels = 1, .image_size = 16}, ObjectiveKind::beta_vae},
      {{.architecture = "fmnist_conv", .latents = 2, .channels = 3, .image_size = 4}, ObjectiveKind::dip_vae_ii},
      {{.architecture = "conv64", .latents = 2, .channels = 1, .image_size = 16}, ObjectiveKind::beta_tcvae},
      {{.architecture = "dlib_fc", .latents = 2, .channels = 1, .image_size = 2,
        .likelihood = Likelihood::gaussian_learned},
       ObjectiveKind::annealed_vae},
      {tiny_mlp(Likelihood::gaussian_fixed), ObjectiveKind::vae},
  };
  for (const Case& c : cases) {
    const std::string name = c.vae.architecture + "/" + likelihood_name(c.vae.likelihood);
    Model model(config_of(c.kind, c.vae, DType::f64));
    nn::NamedTensor x = image_leaf(images(c.vae, 2, 2, DType::f64));
    auto loss = [&] { return model.losses(x.tensor, 1).loss; };
    check_gradients_in_place(name, loss, {x}, 6);
    check_gradients_in_place(name, loss, model.vae.named_parameters(), c.vae.architecture == "dlib_fc" ? 1 : 3);
  }
}

TEST_CASE("models: each objective reports its terms, and the loss is assembled from them") {
  const VaeConfig v = tiny_mlp();
  for (ObjectiveKind kind : kObjectives) {
    const std::string name = objective_name(kind);
    Model model(config_of(kind, v, DType::f64));
    Tensor x = images(v, 4, 3, DType::f64);
    const uint64_t t = 3;
    StepReport r = [&] {
      NoGradGuard no_grad;
      return model.report(model.losses(x, t));
    }();
    double R = r.get("reconstruction"), KL = r.get("kl"), loss = r.get("loss");
    std::vector<std::string> names;
    for (const NamedValue& term : r.terms) names.push_back(term.name);
    double expected = 0;
    switch (kind) {
      case ObjectiveKind::vae: expected = R + KL; break;
      case ObjectiveKind::beta_vae: expected = R + 4.0 * KL; break;
      case ObjectiveKind::annealed_vae:
        CHECK(r.get("capacity") == 25.0 * 3 / 4);  // C(3) = C_max·3/T with T = 4
        expected = R + 1000.0 * std::abs(KL - 25.0 * 3 / 4);
        break;
      case ObjectiveKind::beta_tcvae: expected = R + KL + 5.0 * r.get("tc"); break;
      case ObjectiveKind::factor_vae:
        expected = R + KL + 10.0 * r.get("tc");
        CHECK(r.get("discriminator_loss") > 0);
        break;
      case ObjectiveKind::dip_vae_i:
      case ObjectiveKind::dip_vae_ii: expected = R + KL + r.get("dip"); break;
    }
    CHECK_MESSAGE(loss == doctest::Approx(expected).epsilon(1e-12), name);
    CHECK_MESSAGE(names[0] == "loss", name);
    CHECK_MESSAGE(names.size() == (kind == ObjectiveKind::factor_vae ? 5u
                                   : kind == ObjectiveKind::vae || kind == ObjectiveKind::beta_vae ? 3u : 4u),
                  name);
    // KL per latent: the batch mean of ½(μ² + σ² − 1 − ln σ²), computed here from the posterior.
    NoGradGuard no_grad;
    Vae::Posterior q = model.vae.encode(x);
    std::vector<double> mu = q.mu.to_vector(), lv = q.logvar.to_vector(), want(3, 0.0);
    for (size_t i = 0; i < mu.size(); ++i) want[i % 3] += 0.5 * (mu[i] * mu[i] + std::exp(lv[i]) - 1 - lv[i]) / 4;
    REQUIRE(r.kl_per_latent.size() == 3);
    for (size_t j = 0; j < 3; ++j) CHECK(r.kl_per_latent[j] == doctest::Approx(want[j]).epsilon(1e-12));
    CHECK(KL == doctest::Approx(want[0] + want[1] + want[2]).epsilon(1e-12));
  }
  Model model(config_of(ObjectiveKind::vae, v, DType::f64));
  StepReport r = model.step(images(v, 2, 4, DType::f64), 0);
  CHECK_THROWS_WITH_AS(r.get("tc"), doctest::Contains("reports loss, reconstruction, kl"), Error);
}

TEST_CASE("models: FactorVAE updates the VAE through D(z) and the discriminator from the same forward pass") {
  // γ weighs TC only in the VAE's loss. With the same seed and batch, one step with γ = 0 and one
  // with γ = 10 must give: a different encoder (TC's gradient reaches it through D(z)); the same
  // decoder (TC does not depend on it); the same discriminator (its update uses L_D alone, from
  // the weights before the step, not the VAE loss's gradient on its weights).
  const VaeConfig v = tiny_mlp();
  Tensor x = images(v, 8, 5, DType::f32);
  ModelConfig with_tc = config_of(ObjectiveKind::factor_vae, v, DType::f32), without = with_tc;
  without.objective.gamma = 0.0;
  Model a(with_tc), b(without);
  Tensor discriminator_before = all_parameters(a);
  a.step(x, 0);
  b.step(x, 0);
  auto params = [](nn::Module& m) { return m.parameters(); };
  std::vector<Tensor> ea = params(a.vae.encoder), eb = params(b.vae.encoder);
  std::vector<Tensor> da = params(a.vae.decoder), db = params(b.vae.decoder);
  std::vector<Tensor> xa = params(*a.discriminator), xb = params(*b.discriminator);
  bool encoder_differs = false;
  for (size_t i = 0; i < ea.size(); ++i) encoder_differs |= !testing::same_bytes(ea[i], eb[i]);
  CHECK(encoder_differs);
  for (size_t i = 0; i < da.size(); ++i) CHECK(testing::same_bytes(da[i], db[i]));
  for (size_t i = 0; i < xa.size(); ++i) CHECK(testing::same_bytes(xa[i], xb[i]));
  CHECK_FALSE(testing::same_bytes(discriminator_before, all_parameters(a)));  // it did move
  CHECK(a.optimizer.state()[0].step == 1);
  CHECK(a.discriminator_optimizer->state()[0].step == 1);
  CHECK(a.discriminator_optimizer->settings().beta1 == 0.5);
  CHECK(a.discriminator_optimizer->settings().beta2 == 0.9);
}

TEST_CASE("models: a few steps of each objective give identical bytes at 1 and 2 threads") {
  const VaeConfig v{.architecture = "dlib_conv", .latents = 4, .channels = 1, .image_size = 16};
  for (ObjectiveKind kind : kObjectives) {
    testing::check_thread_invariant(objective_name(kind), [&] {
      Model model(config_of(kind, v, DType::f32, 11));
      for (uint64_t t = 0; t < 3; ++t) model.step(images(v, 8, t, DType::f32), t);
      return all_parameters(model);
    });
  }
}

TEST_CASE("models: a run resumed at step t from saved parameters and optimiser states is bit-identical") {
  const VaeConfig v = tiny_mlp();
  for (ObjectiveKind kind : {ObjectiveKind::factor_vae, ObjectiveKind::annealed_vae, ObjectiveKind::beta_tcvae}) {
    const ModelConfig c = config_of(kind, v, DType::f32, 21);
    auto batch = [&](uint64_t t) { return images(v, 6, 100 + t, DType::f32); };
    Model straight(c);
    for (uint64_t t = 0; t < 5; ++t) straight.step(batch(t), t);
    Model saved(c);
    for (uint64_t t = 0; t < 3; ++t) saved.step(batch(t), t);
    // "Load" what a checkpoint after step 2 holds into a fresh model: parameters and optimiser states.
    auto load = [&] {
      auto fresh = std::make_unique<Model>(c);
      copy_optimizer(fresh->optimizer, saved.optimizer);
      if (fresh->discriminator) copy_optimizer(*fresh->discriminator_optimizer, *saved.discriminator_optimizer);
      return fresh;
    };
    std::unique_ptr<Model> resumed = load();
    for (uint64_t t = 3; t < 5; ++t) resumed->step(batch(t), t);
    CHECK_MESSAGE(testing::same_bytes(all_parameters(*resumed), all_parameters(straight)), objective_name(kind));
    // The comparison can fail: resuming with the wrong step index draws other noise.
    std::unique_ptr<Model> misaligned = load();
    for (uint64_t t = 3; t < 5; ++t) misaligned->step(batch(t), t + 1);
    CHECK_FALSE(testing::same_bytes(all_parameters(*misaligned), all_parameters(straight)));
  }
}

TEST_CASE("models: Model errors name what is wrong") {
  const VaeConfig v = tiny_mlp();
  Model model(config_of(ObjectiveKind::beta_vae, v, DType::f32));
  CHECK_THROWS_WITH_AS(model.step(images(v, 2, 0, DType::f64), 0), doctest::Contains("must be f32 like the model"),
                       Error);
  {
    NoGradGuard no_grad;
    CHECK_THROWS_WITH_AS(model.step(images(v, 2, 0, DType::f32), 0), doctest::Contains("NoGradGuard"), Error);
  }
  ModelConfig bad = config_of(ObjectiveKind::beta_vae, v, DType::f32);
  bad.optimizer.beta2 = 1.0;
  CHECK_THROWS_WITH_AS(Model{bad}, doctest::Contains("Adam settings out of range"), Error);
  bad = config_of(ObjectiveKind::factor_vae, v, DType::f32);
  bad.objective.gamma = -1;
  CHECK_THROWS_WITH_AS(Model{bad}, doctest::Contains("factor_vae: gamma"), Error);
  bad = config_of(ObjectiveKind::vae, v, DType::i32);
  CHECK_THROWS_AS(Model{bad}, Error);
}

TEST_CASE("models: describe() names the architecture, the objective with beta_norm, and the optimisers") {
  ModelConfig c;
  c.vae = VaeConfig{.architecture = "dlib_conv", .latents = 10, .channels = 1, .image_size = 64};
  c.objective = objective_defaults(ObjectiveKind::beta_vae);
  Model model(c);
  std::string d = model.describe();
  CHECK(d.find("dlib_conv VAE, 10 latents, images 1x64x64, bernoulli decoder, 690517 parameters") != std::string::npos);
  CHECK(d.find("objective beta_vae(beta=4), beta_norm = beta*latents/dims = 0.009766") != std::string::npos);
  CHECK(d.find("Adam lr 0.0001 (beta1 0.9, beta2 0.999, eps 1e-08)") != std::string::npos);
  CHECK(model.beta_norm() == 0.009765625);
  CHECK(model.init.scheme == nn::WeightInit::glorot_uniform);  // the architecture's reference initialisation
}
