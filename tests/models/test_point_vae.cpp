// The β-VAE for points (models/point_vae.hpp): its loss by hand on a network of one unit per layer,
// its layers and initialisation, a short training run (the loss falls; the same bits at 1 and 2
// threads) and its errors.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "elbo/context.hpp"
#include "elbo/data/unit_circle.hpp"
#include "elbo/models/noise.hpp"
#include "elbo/models/point_vae.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::models;

namespace {

void set_values(const Tensor& t, std::vector<double> values) {
  REQUIRE(t.numel() == static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) t.data<double>()[i] = values[i];
}

// The whole training run of one weak learner of `elbo fusion`, shortened.
Tensor train(const PointVaeConfig& config, int64_t steps, int64_t batch, std::vector<double>* losses = nullptr) {
  PointVae vae(config);
  for (int64_t t = 0; t < steps; ++t) {
    Tensor x = data::unit_circle_points(
        data::unit_circle_random_angles(batch, config.seed, noise_stream(NoisePurpose::data, static_cast<uint64_t>(t))),
        config.dtype);
    PointVaeStep r = vae.step(x, static_cast<uint64_t>(t));
    if (losses) losses->push_back(r.loss);
  }
  std::vector<Tensor> flat;
  for (const Tensor& p : vae.parameters()) flat.push_back(reshape(p.detach(), Shape{p.numel()}));
  return concat(flat, 0);
}

}  // namespace

TEST_CASE("models: point VAE loss by hand") {
  // One tanh unit in each network, f64:
  //   h = tanh(0.5·x₁ − 0.3·x₂ + 0.1);  μ = 0.8h + 0.2;  ln σ² = −0.6h − 0.4;  z = μ + σε
  //   g = tanh(1.5z − 0.2);  x̂ = (0.7g + 0.05, −1.1g + 0.3)
  // For x = (1, 0), (0.6, 0.8) and ε = 0.5, −1.2 (Python's math module, step by step):
  //   μ = 0.62963965…, 0.32691880…;  ln σ² = −0.72222974…, −0.49518910…
  //   x̂ = (0.64711323, −0.63832078), (−0.51403646, 1.18634301)
  //   R = (1/(2·2)) Σ (x − x̂)² = 0.48058016134800;  KL = (1/2) Σ ½(μ² + σ² − 1 − ln σ²) = 0.20396615523972
  //   L = R + 0.03·KL = 0.48669914600520
  PointVae vae(PointVaeConfig{.encoder_hidden = {1}, .decoder_hidden = {1}, .dtype = DType::f64});
  std::vector<Tensor> p = vae.parameters();
  REQUIRE(p.size() == 8);
  set_values(p[0], {0.5, -0.3});
  set_values(p[1], {0.1});
  set_values(p[2], {0.8, -0.6});
  set_values(p[3], {0.2, -0.4});
  set_values(p[4], {1.5});
  set_values(p[5], {-0.2});
  set_values(p[6], {0.7, -1.1});
  set_values(p[7], {0.05, 0.3});
  Tensor x = elbo::testing::f64({2, 2}, {1.0, 0.0, 0.6, 0.8});
  PointVae::Posterior q = vae.encode(x);
  elbo::testing::check_values(q.mu, {0.6296396535984283, 0.3269188034379992}, 1e-14);
  elbo::testing::check_values(q.logvar, {-0.7222297401988211, -0.49518910257849935}, 1e-14);
  PointVaeLoss l = vae.loss_with_noise(x, elbo::testing::f64({2, 1}, {0.5, -1.2}));
  CHECK(l.reconstruction.item() == doctest::Approx(0.4805801613480048).epsilon(1e-13));
  CHECK(l.kl.item() == doctest::Approx(0.2039661552397151).epsilon(1e-13));
  CHECK(l.loss.item() == doctest::Approx(0.48669914600519626).epsilon(1e-13));
  // The loss of step t draws ε from stream noise_stream(posterior, t) of the seed.
  Tensor eps = normal(Shape{2, 1}, 0, noise_stream(NoisePurpose::posterior, 7), 0, DType::f64);
  CHECK(vae.loss(x, 7).loss.item() == vae.loss_with_noise(x, eps).loss.item());
}

TEST_CASE("models: point VAE layers and initialisation") {
  // The paper's weak learner: 2 → 256 → 256 → 2 and 1 → 256 → 256 → 2, tanh.
  PointVae vae(PointVaeConfig{});
  CHECK(vae.num_parameters() == (2 * 256 + 256) + (256 * 256 + 256) + (256 * 2 + 2) + (256 + 256) +
                                    (256 * 256 + 256) + (256 * 2 + 2));  // 133892
  CHECK(vae.encoder.size() == 5);
  CHECK(vae.encoder[1].str() == "Tanh()");
  CHECK(vae.decoder[4].str() == "Linear(256, 2)");
  // Keras's Dense defaults: glorot_uniform weights, zero biases.
  std::vector<nn::NamedTensor> named = vae.named_parameters();
  CHECK(named[0].name == "encoder.0.weight");
  std::vector<double> w = named[2].tensor.to_vector();  // encoder.2.weight [256, 256]
  const double bound = std::sqrt(6.0 / 512.0);
  double largest = 0;
  for (double v : w) largest = std::max(largest, std::abs(v));
  CHECK(largest <= bound);
  CHECK(largest > 0.95 * bound);
  for (double v : named[3].tensor.to_vector()) CHECK(v == 0.0);
  // The weights are a function of the seed.
  PointVae again(PointVaeConfig{}), other(PointVaeConfig{.seed = 1});
  CHECK(elbo::testing::same_bytes(vae.named_parameters()[2].tensor, again.named_parameters()[2].tensor));
  CHECK(!elbo::testing::same_bytes(vae.named_parameters()[2].tensor, other.named_parameters()[2].tensor));
}

TEST_CASE("models: point VAE training on the circle, identical at 1 and 2 threads") {
  const PointVaeConfig small{.encoder_hidden = {32, 32}, .decoder_hidden = {32, 32}, .lr = 3e-3, .seed = 4};
  std::vector<double> losses;
  train(small, 300, 128, &losses);
  // The loss starts near E‖x‖²/2 = 0.5 (x̂ ≈ 0) and falls as the latent learns the angle.
  CHECK(losses.front() > 0.4);
  double late = 0;
  for (size_t i = losses.size() - 20; i < losses.size(); ++i) late += losses[i] / 20;
  CHECK(late < 0.35);
  // Large enough that the matrix products (2·1024·64·64 flops) and the elementwise ops (1024·64
  // elements) run in parallel at 2 threads.
  const PointVaeConfig wider{.encoder_hidden = {64, 64}, .decoder_hidden = {64, 64}, .seed = 4};
  elbo::testing::check_thread_invariant("point VAE training", [&] { return train(wider, 8, 1024); });
}

TEST_CASE("models: point VAE errors") {
  CHECK_THROWS_WITH_AS(PointVae(PointVaeConfig{.latents = 0}), doctest::Contains("latents must be ≥ 1"), elbo::Error);
  CHECK_THROWS_WITH_AS(PointVae(PointVaeConfig{.decoder_hidden = {8, 0}}), doctest::Contains("decoder widths"),
                       elbo::Error);
  CHECK_THROWS_WITH_AS(PointVae(PointVaeConfig{.lr = 0}), doctest::Contains("Adam settings"), elbo::Error);
  PointVae vae(PointVaeConfig{.encoder_hidden = {4}, .decoder_hidden = {4}});
  CHECK_THROWS_WITH_AS(vae.encode(zeros(Shape{5, 3})), doctest::Contains("expected points f32[M, 2]"), elbo::Error);
  CHECK_THROWS_WITH_AS(vae.encode(zeros(Shape{5, 2}, DType::f64)), doctest::Contains("expected points f32[M, 2]"),
                       elbo::Error);
  CHECK_THROWS_WITH_AS(vae.decode(zeros(Shape{5, 2})), doctest::Contains("expected latents [M, 1]"), elbo::Error);
}
