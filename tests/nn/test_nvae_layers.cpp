// NVAE's generic layers: squeeze-and-excitation, weight-normalised convolution, spectral and
// batch-norm regularisation.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "elbo/context.hpp"
#include "elbo/io/checkpoint.hpp"
#include "elbo/nn.hpp"
#include "elbo/nn/spectral_regularization.hpp"
#include "elbo/nn/squeeze_excitation.hpp"
#include "elbo/nn/weight_norm_conv.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::nn;
using testing::f64;


TEST_CASE("nvae: squeeze-excitation against hand-computed values") {
  Init init{.seed = 1, .dtype = DType::f64};
  SqueezeExcitation se(init, 2);
  CHECK(se.hidden == 4);  // max(2/16, 4)
  CHECK(SqueezeExcitation::hidden_width(128) == 8);
  se.fc1.weight = f64({4, 2}, {1, 0, 0, 1, 1, 1, -1, -1});
  se.fc1.bias = zeros(Shape{4}, DType::f64);
  se.fc2.weight = f64({2, 4}, {0.1, 0, 0, 0, 0, 0, -0.1, 0});
  se.fc2.bias = zeros(Shape{2}, DType::f64);
  // s = (2, 3); h = relu(2, 3, 5, −5) = (2, 3, 5, 0); e = (σ(0.2), σ(−0.5)).
  Tensor x = f64({1, 2, 1, 2}, {1, 3, 2, 4});
  testing::check_values(se(x), {0.549833997312478, 1.6495019919374339, 0.7550813375962908, 1.5101626751925816},
                        1e-12);
}

TEST_CASE("nvae: squeeze-excitation gradients") {
  Init init{.seed = 2, .dtype = DType::f64};
  SqueezeExcitation se(init, 5);
  testing::check_gradients(
      "squeeze_excitation",
      [&](const std::vector<Tensor>& in) {
        se.fc1.weight = in[1];
        se.fc2.weight = in[2];
        se.fc2.bias = in[3];
        return se(in[0]);
      },
      {testing::random_f64({2, 5, 3, 3}, 3), se.fc1.weight, se.fc2.weight, se.fc2.bias});
}

TEST_CASE("nvae: weight-normalised convolution: initial log-norms, forward and gradients") {
  testing::ThreadCount one_thread(1);
  Init init{.seed = 3, .dtype = DType::f64};
  WeightNormConv2d conv(init, 1, 2, 1);
  REQUIRE(conv.weight.shape() == Shape{2, 1, 1, 1});
  // The log-norms start at ln(‖V‖ + 0.01) of the drawn V.
  std::vector<double> v = conv.weight.to_vector(), g = conv.log_weight_norm.to_vector();
  CHECK(g[0] == doctest::Approx(std::log(std::abs(v[0]) + 1e-2)).epsilon(1e-12));
  CHECK(g[1] == doctest::Approx(std::log(std::abs(v[1]) + 1e-2)).epsilon(1e-12));

  // Hand-computed: V[0] = (3, 4) (norm 5), V[1] = (1, 0); g = (ln 2, ln 3).
  Init init2{.seed = 4, .dtype = DType::f64};
  WeightNormConv2d wide(init2, 2, 2, 1, Conv2dOptions{}, false);
  wide.weight = f64({2, 2, 1, 1}, {3, 4, 1, 0});
  std::vector<double> fresh = weight_normalize(wide.weight, log(f64({2}, {5.0 + 1e-2, 1.0 + 1e-2}))).to_vector();
  testing::check_values(f64({4}, {fresh[0], fresh[1], fresh[2], fresh[3]}),
                        {3 * 5.01 / 5.00001, 4 * 5.01 / 5.00001, 1.01 / 1.00001, 0}, 1e-12);
  wide.log_weight_norm = f64({2}, {std::log(2.0), std::log(3.0)});
  Tensor x = f64({1, 2, 1, 1}, {1, 2});
  // y0 = 2·(3·1 + 4·2)/(5 + 1e-5), y1 = 3·1/(1 + 1e-5)
  testing::check_values(wide(x), {4.399991200017601, 2.9999700002999967}, 1e-12);

  Init init3{.seed = 5, .dtype = DType::f64};
  WeightNormConv2d c3(init3, 2, 3, 3, Conv2dOptions{.stride = 2, .padding = 1});
  testing::check_gradients(
      "weight_norm_conv",
      [&](const std::vector<Tensor>& in) {
        c3.weight = in[1];
        c3.log_weight_norm = in[2];
        c3.bias = in[3];
        return c3(in[0]);
      },
      {testing::random_f64({2, 2, 5, 5}, 6), c3.weight, c3.log_weight_norm, c3.bias});
}

TEST_CASE("nvae: power iteration finds the largest singular value") {
  // W = [[1, 1, 0], [0, 1, 1]]: W·Wᵀ = [[2, 1], [1, 2]] has eigenvalues 3 and 1, so σ = √3.
  Tensor w = f64({2, 3}, {1, 1, 0, 0, 1, 1});
  Tensor u = f64({2}, {1, 0}), v = f64({3}, {0, 0, 1});
  power_iteration_(w, u, v, 40);
  CHECK(spectral_norm_estimate(w, u, v).item() == doctest::Approx(std::sqrt(3.0)).epsilon(1e-6));
  CHECK(std::abs(spectral_norm_estimate(w, u, v).item() - std::sqrt(3.0)) < 1e-5);
  // diag(3, 2): σ = 3, u = ±e₁.
  Tensor d = f64({2, 3}, {3, 0, 0, 0, 2, 0});
  Tensor u2 = f64({2}, {0.6, 0.8}), v2 = f64({3}, {1, 1, 1});
  power_iteration_(d, u2, v2, 40);
  CHECK(std::abs(spectral_norm_estimate(d, u2, v2).item() - 3.0) < 1e-5);
  CHECK(std::abs(std::abs(u2.to_vector()[0]) - 1.0) < 1e-5);
  // Zero iterations leave u and v alone; the vectors are normalised with max(‖x‖, 1e-3).
  Tensor z = zeros(Shape{2, 3}, DType::f64), uz = f64({2}, {1, 0}), vz = f64({3}, {1, 0, 0});
  power_iteration_(z, uz, vz, 0);
  CHECK(uz.to_vector() == std::vector<double>{1, 0});
  power_iteration_(z, uz, vz, 1);
  CHECK(uz.to_vector() == std::vector<double>{0, 0});  // 0 / max(0, 1e-3)
  CHECK_THROWS_WITH_AS(power_iteration_(w, v, u, 1), doctest::Contains("power_iteration_"), Error);
}

TEST_CASE("nvae: σ = uᵀWv is differentiable in W (gradient u·vᵀ)") {
  Tensor u = f64({2}, {0.6, 0.8}), v = f64({3}, {0.0, 0.6, 0.8});
  testing::check_gradients(
      "spectral_norm_estimate", [&](const std::vector<Tensor>& in) { return spectral_norm_estimate(in[0], u, v); },
      {testing::random_f64({2, 3}, 7)});
  Tensor w = testing::random_f64({2, 3}, 8).requires_grad_(true);
  spectral_norm_estimate(w, u, v).backward();
  testing::check_values(w.grad(), {0, 0.36, 0.48, 0, 0.48, 0.64}, 1e-12);
}

TEST_CASE("nvae: the spectral regulariser keeps u and v as buffers, saved and loaded with the model") {
  Init init{.seed = 9, .dtype = DType::f64};
  SpectralRegularizer sr(init, {Shape{2, 3, 1, 1}, Shape{4, 2, 3, 3}});
  std::vector<NamedTensor> buffers = sr.named_buffers();
  REQUIRE(buffers.size() == 4);
  CHECK(buffers[0].name == "u0");
  CHECK(buffers[3].name == "v1");
  CHECK(buffers[3].tensor.numel() == 18);
  CHECK(sr.parameters().empty());
  Tensor k0 = f64({2, 3, 1, 1}, {1, 1, 0, 0, 1, 1});
  Tensor k1 = testing::random_f64({4, 2, 3, 3}, 10);
  double first = sr.loss({k0, k1}, 40).item();
  std::vector<double> u_after = sr.u[0].to_vector();
  // The vectors persist: no iteration gives the same σ; more iterations move nothing further.
  CHECK(sr.loss({k0, k1}, 0).item() == doctest::Approx(first).epsilon(1e-12));
  CHECK(sr.u[0].to_vector() == u_after);
  // σ(k0) = √3 is part of the sum.
  SpectralRegularizer only0(init, {Shape{2, 3, 1, 1}});
  CHECK(std::abs(only0.loss({k0}, 40).item() - std::sqrt(3.0)) < 1e-5);

  testing::TempDir dir;
  std::string path = dir.file("sr.safetensors");
  io::save_checkpoint(path, sr, nullptr, json::Value::object());
  Init other{.seed = 10, .dtype = DType::f64};
  SpectralRegularizer fresh(other, {Shape{2, 3, 1, 1}, Shape{4, 2, 3, 3}});
  CHECK(fresh.u[0].to_vector() != u_after);
  io::load_checkpoint(path, fresh, nullptr);
  CHECK(fresh.u[0].to_vector() == u_after);
  CHECK(fresh.loss({k0, k1}, 0).item() == doctest::Approx(first).epsilon(1e-12));
  CHECK_THROWS_WITH_AS(sr.loss({k0}, 1), doctest::Contains("1 kernels given, 2 expected"), Error);
}

TEST_CASE("nvae: batch-norm regulariser Σ max|γ| and its gradient") {
  Tensor a = f64({3}, {1, -3, 2}).requires_grad_(true), b = f64({1}, {0.5}).requires_grad_(true);
  Tensor l = batchnorm_regularization({a, b});
  CHECK(l.item() == doctest::Approx(3.5));
  l.backward();
  testing::check_values(a.grad(), {0, -1, 0}, 0);
  testing::check_values(b.grad(), {1}, 0);
}
