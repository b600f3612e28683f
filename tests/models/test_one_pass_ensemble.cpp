// Ensembles in one pass: each member's forward, gradients and training steps equal its own, bit
// for bit on the CPU, for every architecture and objective; 1 and 2 threads alike; errors.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "elbo/models/architectures.hpp"
#include "elbo/models/one_pass_ensemble.hpp"
#include "elbo/nn.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::models;

namespace {

// Each architecture at the smallest size it accepts.
std::vector<VaeConfig> small_networks() {
  return {VaeConfig{.architecture = "dlib_conv", .latents = 3, .channels = 1, .image_size = 16},
          VaeConfig{.architecture = "fmnist_conv", .latents = 3, .channels = 2, .image_size = 8},
          VaeConfig{.architecture = "conv64", .latents = 3, .channels = 1, .image_size = 16},
          VaeConfig{.architecture = "dlib_fc", .latents = 2, .channels = 1, .image_size = 4},
          VaeConfig{.architecture = "mlp", .latents = 3, .channels = 1, .image_size = 6, .hidden = {7, 5}}};
}

Tensor images(const VaeConfig& v, int64_t n, uint64_t which) {
  return uniform(Shape{n, v.channels, v.image_size, v.image_size}, 31, which, 0, DType::f32);
}

ModelConfig member_config(const VaeConfig& v, ObjectiveKind kind, uint64_t seed) {
  ModelConfig c;
  c.vae = v;
  c.objective = objective_defaults(kind);
  if (c.objective.iteration_threshold) c.objective.iteration_threshold = 4;
  c.seed = seed;
  c.optimizer.lr = 1e-3;
  return c;
}

Tensor flat_parameters(const Model& m) {
  std::vector<Tensor> flat;
  for (const Tensor& p : m.vae.parameters()) flat.push_back(reshape(p.detach(), Shape{-1}));
  if (m.discriminator)
    for (const Tensor& p : m.discriminator->parameters()) flat.push_back(reshape(p.detach(), Shape{-1}));
  return concat(flat, 0);
}

Tensor flat_gradients(const nn::Module& m) {
  std::vector<Tensor> flat;
  for (const Tensor& p : m.parameters()) flat.push_back(reshape(p.grad().detach(), Shape{-1}));
  return concat(flat, 0);
}

}  // namespace

TEST_CASE("one pass: each member's encoder and decoder outputs and gradients equal its own, bit for bit") {
  const int64_t K = 3, N = 4;
  for (const VaeConfig& v : small_networks()) {
    INFO(v.architecture);
    std::vector<std::unique_ptr<Model>> models;
    std::vector<nn::Module*> encoders, decoders;
    for (int64_t k = 0; k < K; ++k) {
      models.push_back(std::make_unique<Model>(member_config(v, ObjectiveKind::beta_vae, 10 + k)));
      encoders.push_back(&models.back()->vae.encoder);
      decoders.push_back(&models.back()->vae.decoder);
    }
    std::vector<Tensor> xs, zs;
    for (int64_t k = 0; k < K; ++k) {
      xs.push_back(images(v, N, k));
      zs.push_back(normal(Shape{N, v.latents}, 32, k, 0));
    }
    // The stacked pass, with a weighted sum of both outputs as the loss.
    Tensor stats = nn::forward_members(encoders, nn::stack_member_tensors(xs));
    Tensor logits = nn::forward_members(decoders, nn::stack_member_tensors(zs));
    REQUIRE(stats.shape() == Shape{K, N, 2 * v.latents});
    REQUIRE(logits.shape() == Shape{K, N, v.channels, v.image_size, v.image_size});
    Tensor ws = normal(stats.shape(), 33, 0, 0), wl = normal(logits.shape(), 33, 1, 0);
    add(sum(mul(stats, ws)), sum(mul(logits, wl))).backward();
    std::vector<Tensor> stacked_grads;
    for (auto& m : models) {
      stacked_grads.push_back(flat_gradients(m->vae));
      m->vae.zero_grad();
    }
    // Each member alone.
    for (int64_t k = 0; k < K; ++k) {
      Tensor s = models[k]->vae.encoder(xs[k]), l = models[k]->vae.decoder(zs[k]);
      auto member = [&](const Tensor& t) { return reshape(slice(t, 0, k, k + 1), Shape{-1}); };
      CHECK_MESSAGE(testing::same_bytes(member(stats.detach()), reshape(s.detach(), Shape{-1})), "encoder, member " << k);
      CHECK_MESSAGE(testing::same_bytes(member(logits.detach()), reshape(l.detach(), Shape{-1})), "decoder, member " << k);
      add(sum(mul(s, reshape(slice(ws, 0, k, k + 1), s.shape()))), sum(mul(l, reshape(slice(wl, 0, k, k + 1), l.shape()))))
          .backward();
      CHECK_MESSAGE(testing::same_bytes(stacked_grads[k], flat_gradients(models[k]->vae)), "gradients, member " << k);
    }
    // The comparison can fail: member 1's weights are not member 0's.
    CHECK_FALSE(testing::same_bytes(stacked_grads[0], stacked_grads[1]));
  }
}

TEST_CASE("one pass: training steps of every objective equal each member's own steps, bit for bit") {
  const VaeConfig v{.architecture = "fmnist_conv", .latents = 3, .channels = 1, .image_size = 8};
  for (ObjectiveKind kind : {ObjectiveKind::beta_vae, ObjectiveKind::annealed_vae, ObjectiveKind::beta_tcvae,
                             ObjectiveKind::factor_vae, ObjectiveKind::dip_vae_ii}) {
    INFO(objective_name(kind));
    const int64_t K = 3;
    std::vector<std::unique_ptr<Model>> alone, together;
    std::vector<Model*> members;
    for (int64_t k = 0; k < K; ++k) {
      ModelConfig c = member_config(v, kind, 40 + k);
      c.objective.beta += static_cast<double>(k);  // hyper-parameters may differ between members
      c.optimizer.lr *= static_cast<double>(k + 1);
      alone.push_back(std::make_unique<Model>(c));
      together.push_back(std::make_unique<Model>(c));
      members.push_back(together.back().get());
    }
    OnePassEnsemble ensemble(members);
    auto batch = [&](int64_t k, uint64_t t) { return images(v, 5, 100 * static_cast<uint64_t>(k) + t); };
    for (uint64_t t = 0; t < 3; ++t) {
      std::vector<Tensor> xs;
      for (int64_t k = 0; k < K; ++k) xs.push_back(batch(k, t));
      std::vector<StepReport> reports = ensemble.step(xs, t);
      for (int64_t k = 0; k < K; ++k) {
        StepReport own = alone[k]->step(batch(k, t), t);
        REQUIRE(reports[k].terms.size() == own.terms.size());
        for (size_t i = 0; i < own.terms.size(); ++i)
          CHECK_MESSAGE(reports[k].terms[i].value == own.terms[i].value, own.terms[i].name << ", member " << k);
      }
    }
    for (int64_t k = 0; k < K; ++k)
      CHECK_MESSAGE(testing::same_bytes(flat_parameters(*together[k]), flat_parameters(*alone[k])), "member " << k);
    CHECK_FALSE(testing::same_bytes(flat_parameters(*together[0]), flat_parameters(*together[1])));
  }
}

TEST_CASE("one pass: training gives identical bytes at 1 and 2 threads") {
  const VaeConfig v{.architecture = "dlib_conv", .latents = 4, .channels = 1, .image_size = 16};
  testing::check_thread_invariant("one-pass ensemble", [&] {
    std::vector<std::unique_ptr<Model>> models;
    std::vector<Model*> members;
    for (uint64_t k = 0; k < 4; ++k) {
      models.push_back(std::make_unique<Model>(member_config(v, ObjectiveKind::beta_vae, k)));
      members.push_back(models.back().get());
    }
    OnePassEnsemble ensemble(members);
    for (uint64_t t = 0; t < 2; ++t) {
      std::vector<Tensor> xs;
      for (uint64_t k = 0; k < 4; ++k) xs.push_back(images(v, 8, 10 * k + t));
      ensemble.step(xs, t);
    }
    std::vector<Tensor> all;
    for (auto& m : models) all.push_back(flat_parameters(*m));
    return concat(all, 0);
  });
}

TEST_CASE("one pass: errors name the member and what differs") {
  const VaeConfig v{.architecture = "mlp", .latents = 2, .channels = 1, .image_size = 4, .hidden = {5}};
  Model a(member_config(v, ObjectiveKind::beta_vae, 1)), b(member_config(v, ObjectiveKind::beta_vae, 2));
  VaeConfig wider = v;
  wider.hidden = {6};
  Model c(member_config(wider, ObjectiveKind::beta_vae, 3)), d(member_config(v, ObjectiveKind::dip_vae_i, 4));
  CHECK_THROWS_WITH_AS(OnePassEnsemble({&a, &c}), doctest::Contains("member 1 is a mlp, 2 latents, 1x4x4, bernoulli, f32, cpu, hidden 6"), Error);
  CHECK_THROWS_WITH_AS(OnePassEnsemble({&a, &d}), doctest::Contains("member 1 trains dip_vae_i but member 0 beta_vae"),
                       Error);
  CHECK_THROWS_WITH_AS(OnePassEnsemble({}), doctest::Contains("no members"), Error);
  OnePassEnsemble ensemble({&a, &b});
  CHECK_THROWS_WITH_AS(ensemble.step({images(v, 3, 0)}, 0), doctest::Contains("1 batches for 2 members"), Error);
  CHECK_THROWS_WITH_AS(ensemble.step({images(v, 3, 0), images(v, 4, 1)}, 0),
                       doctest::Contains("batch 1 is f32[4, 1, 4, 4] cpu"), Error);
  // forward_members checks the structure of the modules themselves, and names a module that has none.
  nn::Init init;
  nn::Linear l1(init, 3, 2), l2(init, 3, 4);
  nn::BatchNorm2d bn1(init, 2), bn2(init, 2);
  CHECK_THROWS_WITH_AS(nn::forward_members({&l1, &l2}, zeros(Shape{2, 5, 3})),
                       doctest::Contains("member 1 is Linear(3, 4) where member 0 is Linear(3, 2)"), Error);
  CHECK_THROWS_WITH_AS(nn::forward_members({&bn1, &bn2}, zeros(Shape{2, 5, 2, 3, 3})),
                       doctest::Contains("cannot run an ensemble's members in one pass"), Error);
  CHECK_THROWS_WITH_AS(nn::forward_members({&l1, &l1}, zeros(Shape{3, 5, 3})), doctest::Contains("[2, N, ...]"), Error);
  nn::Sequential s1, s2;
  s1.add<nn::Linear>(init, 3, 2);
  s1.add<nn::ReLU>();
  s2.add<nn::Linear>(init, 3, 2);
  CHECK_THROWS_WITH_AS(nn::forward_members({&s1, &s2}, zeros(Shape{2, 5, 3})),
                       doctest::Contains("where member 0 is a Sequential of 2 layers"), Error);
}
