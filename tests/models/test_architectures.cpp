// The architecture registry: TensorFlow "same" padding, every network's shapes layer by layer,
// parameter counts and the reference initialisation.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "elbo/models/architectures.hpp"
#include "elbo/models/same_padding.hpp"
#include "elbo/models/vae.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::models;

namespace {

// The output shape of every layer of a Sequential, in order.
std::vector<Shape> layer_shapes(nn::Sequential& net, Tensor x) {
  std::vector<Shape> shapes;
  for (size_t i = 0; i < net.size(); ++i) {
    x = net[i](x);
    shapes.push_back(x.shape());
  }
  return shapes;
}

// The shapes after each layer that is not an activation (what the architecture tables list).
std::vector<Shape> shapes_without_activations(nn::Sequential& net, const Tensor& x) {
  std::vector<Shape> all = layer_shapes(net, x), kept;
  for (size_t i = 0; i < net.size(); ++i) {
    std::string s = net[i].str();
    if (s.rfind("ReLU", 0) != 0 && s.rfind("Tanh", 0) != 0) kept.push_back(all[i]);
  }
  return kept;
}

void check_shapes(const std::vector<Shape>& got, const std::vector<Shape>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK_MESSAGE(got[i] == want[i], "layer " << i << ": " << got[i].str());
}

// TensorFlow's "same" convolution written out directly: zero padding `before` on top/left, stride s.
std::vector<double> direct_same_conv(const std::vector<double>& x, int64_t n, const std::vector<double>& w,
                                     int64_t k, int64_t s, int64_t before, int64_t out) {
  std::vector<double> y(static_cast<size_t>(out * out), 0.0);
  for (int64_t i = 0; i < out; ++i)
    for (int64_t j = 0; j < out; ++j)
      for (int64_t p = 0; p < k; ++p)
        for (int64_t q = 0; q < k; ++q) {
          int64_t r = i * s - before + p, c = j * s - before + q;
          if (r >= 0 && r < n && c >= 0 && c < n) y[i * out + j] += w[p * k + q] * x[r * n + c];
        }
  return y;
}

}  // namespace

TEST_CASE("models: TensorFlow 'same' padding, worked examples") {
  struct Case {
    int64_t n, k, s, before, after;
  } cases[] = {
      {64, 4, 2, 1, 1},  // disentanglement_lib e1: 64 → 32, as PyTorch padding=1
      {16, 2, 2, 0, 0},  // e3: 16 → 8, no padding
      {8, 2, 2, 0, 0},   // e4: 8 → 4
      {28, 4, 1, 1, 2},  // Murphy et al.'s last ConvT (stride 1): the odd pixel goes after
      {7, 4, 2, 1, 2},   // 7 → ⌈7/2⌉ = 4: total (4−1)·2 + 4 − 7 = 3
      {5, 3, 2, 1, 1},   // 5 → 3: total 2·2 + 3 − 5 = 2
      {9, 1, 3, 0, 0},   // a 1×1 kernel never pads
  };
  for (const Case& c : cases) {
    SamePadding p = same_padding(c.n, c.k, c.s);
    CHECK_MESSAGE(p.before == c.before, c.n << " " << c.k << " " << c.s);
    CHECK_MESSAGE(p.after == c.after, c.n << " " << c.k << " " << c.s);
  }
  CHECK_THROWS_AS(same_padding(0, 4, 2), Error);
}

TEST_CASE("models: SameConv2d equals the convolution written out, also with asymmetric padding") {
  nn::Init init{.seed = 3, .dtype = DType::f64};
  for (auto [n, k, s] : {std::tuple<int64_t, int64_t, int64_t>{7, 4, 2}, {6, 4, 1}, {8, 2, 2}, {5, 3, 2}}) {
    SameConv2d conv(init, 1, 1, k, s);
    fill_(conv.bias, 0.0);
    Tensor x = testing::random_f64(Shape{1, 1, n, n}, 17);
    Tensor y = conv(x);
    int64_t out = (n + s - 1) / s;
    REQUIRE(y.shape() == Shape{1, 1, out, out});
    testing::check_values(y, direct_same_conv(x.to_vector(), n, conv.weight.to_vector(), k, s,
                                              same_padding(n, k, s).before, out), 1e-12);
  }
}

TEST_CASE("models: SameConvTranspose2d is the adjoint of SameConv2d (⟨Tᵀy, x⟩ = ⟨y, T x⟩)") {
  // The transposed convolution of extent n → n·s must be the exact adjoint of the "same"
  // convolution n·s → n with the same weights, including which side the odd pixel is cropped on.
  nn::Init init{.seed = 5, .dtype = DType::f64};
  for (auto [n, k, s] : {std::tuple<int64_t, int64_t, int64_t>{5, 4, 1}, {4, 4, 2}, {3, 3, 2}, {4, 2, 2}}) {
    SameConv2d conv(init, 2, 3, k, s);                    // weight [3, 2, k, k]
    SameConvTranspose2d transposed(init, 3, 2, k, s);     // weight [3, 2, k, k]
    transposed.weight = conv.weight;
    fill_(conv.bias, 0.0);
    fill_(transposed.bias, 0.0);
    Tensor x = testing::random_f64(Shape{1, 2, n * s, n * s}, 21);
    Tensor y = testing::random_f64(Shape{1, 3, n, n}, 22);
    Tensor tx = conv(x), ty = transposed(y);
    REQUIRE(tx.shape() == y.shape());
    REQUIRE(ty.shape() == x.shape());
    double lhs = sum(mul(ty, x)).item(), rhs = sum(mul(y, tx)).item();
    CHECK_MESSAGE(std::abs(lhs - rhs) < 1e-10 * (1 + std::abs(lhs)), "n " << n << " k " << k << " s " << s);
  }
  CHECK_THROWS_AS(SameConvTranspose2d(init, 1, 1, 1, 2), Error);  // kernel < stride
}

TEST_CASE("models: dlib_conv shapes layer by layer for 64x64 images, 1 and 3 channels") {
  NoGradGuard no_grad;
  for (int64_t C : {1, 3}) {
    nn::Init init{.seed = 1, .scheme = nn::WeightInit::glorot_uniform};
    Vae vae(init, VaeConfig{.architecture = "dlib_conv", .latents = 10, .channels = C, .image_size = 64});
    check_shapes(shapes_without_activations(vae.encoder, zeros(Shape{2, C, 64, 64})),
                 {{2, 32, 32, 32}, {2, 32, 16, 16}, {2, 64, 8, 8}, {2, 64, 4, 4}, {2, 1024}, {2, 256}, {2, 20}});
    check_shapes(shapes_without_activations(vae.decoder, zeros(Shape{2, 10})),
                 {{2, 256}, {2, 1024}, {2, 64, 4, 4}, {2, 64, 8, 8}, {2, 32, 16, 16}, {2, 32, 32, 32}, {2, C, 64, 64}});
  }
}

TEST_CASE("models: dlib_conv has the hand-counted 690,517 parameters (1 channel, 10 latents), named by layer") {
  nn::Init init{.seed = 1};
  Vae vae(init, VaeConfig{.architecture = "dlib_conv", .latents = 10});
  // encoder: 544 + 16416 + 8256 + 16448 + 262400 + 2·2570 = 309204
  // decoder: 2816 + 263168 + 65600 + 32800 + 16416 + 513 = 381313
  CHECK(vae.num_parameters() == 690517);
  std::vector<nn::NamedTensor> named = vae.named_parameters();
  REQUIRE(named.size() == 26);  // 14 in the encoder, 12 in the decoder
  CHECK(named[0].name == "encoder.0.weight");
  CHECK(named[10].name == "encoder.11.means.weight");
  CHECK(named[12].name == "encoder.11.log_var.weight");
  CHECK(named[12].tensor.shape() == Shape{10, 256});
}

TEST_CASE("models: fmnist_conv shapes for 28x28 images (Murphy et al. 2024), 924,981 parameters") {
  NoGradGuard no_grad;
  nn::Init init{.seed = 2};
  Vae vae(init, VaeConfig{.architecture = "fmnist_conv", .latents = 10, .channels = 1, .image_size = 28});
  check_shapes(shapes_without_activations(vae.encoder, zeros(Shape{2, 1, 28, 28})),
               {{2, 32, 14, 14}, {2, 64, 7, 7}, {2, 3136}, {2, 256}, {2, 20}});
  check_shapes(shapes_without_activations(vae.decoder, zeros(Shape{2, 10})),
               {{2, 1568}, {2, 32, 7, 7}, {2, 64, 14, 14}, {2, 32, 28, 28}, {2, 1, 28, 28}});
  // 544 + 32832 + 803072 + 5140 + 17248 + 32832 + 32800 + 513
  CHECK(vae.num_parameters() == 924981);
  nn::Init init3{.seed = 2};
  Vae rgb(init3, VaeConfig{.architecture = "fmnist_conv", .latents = 4, .channels = 3, .image_size = 12});
  CHECK(rgb.decode(zeros(Shape{2, 4})).shape() == Shape{2, 3, 12, 12});
  CHECK(rgb.encode(zeros(Shape{2, 3, 12, 12})).mu.shape() == Shape{2, 4});
}

TEST_CASE("models: dlib_fc, conv64 and mlp shapes and parameter counts") {
  NoGradGuard no_grad;
  {
    nn::Init init{.seed = 3};
    Vae vae(init, VaeConfig{.architecture = "dlib_fc", .latents = 10, .channels = 1, .image_size = 64});
    check_shapes(shapes_without_activations(vae.encoder, zeros(Shape{2, 1, 64, 64})),
                 {{2, 4096}, {2, 1200}, {2, 1200}, {2, 20}});
    check_shapes(shapes_without_activations(vae.decoder, zeros(Shape{2, 10})),
                 {{2, 1200}, {2, 1200}, {2, 1200}, {2, 4096}, {2, 1, 64, 64}});
    // 4096·1200+1200 + 1200²+1200 + 2·(1200·10+10) + 10·1200+1200 + 2·(1200²+1200) + 1200·4096+4096
    CHECK(vae.num_parameters() == 4916400 + 1441200 + 24020 + 13200 + 2882400 + 4919296);
  }
  {
    nn::Init init{.seed = 4};
    Vae vae(init, Architecture::conv64, 10);  // the benchmark network, as the nn reference test counts it
    CHECK(vae.num_parameters() == 764245);
    CHECK(vae.decode(zeros(Shape{2, 10})).shape() == Shape{2, 1, 64, 64});
    nn::Init init3{.seed = 4};
    Vae rgb(init3, VaeConfig{.architecture = "conv64", .latents = 3, .channels = 3, .image_size = 32});
    CHECK(rgb.decode(zeros(Shape{2, 3})).shape() == Shape{2, 3, 32, 32});
  }
  {
    nn::Init init{.seed = 5};
    Vae vae(init, Architecture::mlp784, 10);  // 784-512-256-20, 10-256-512-784
    CHECK(vae.num_parameters() == (784 * 512 + 512) + (512 * 256 + 256) + (256 * 20 + 20) + (10 * 256 + 256) +
                                      (256 * 512 + 512) + (512 * 784 + 784));
    CHECK(vae.encode(zeros(Shape{2, 784})).mu.shape() == Shape{2, 10});      // flat images, as the benchmark
    CHECK(vae.encode(zeros(Shape{2, 1, 28, 28})).mu.shape() == Shape{2, 10});
    nn::Init init2{.seed = 5};
    Vae narrow(init2, VaeConfig{.architecture = "mlp", .latents = 2, .channels = 3, .image_size = 5, .hidden = {7}});
    check_shapes(shapes_without_activations(narrow.encoder, zeros(Shape{2, 3, 5, 5})), {{2, 75}, {2, 7}, {2, 4}});
    check_shapes(shapes_without_activations(narrow.decoder, zeros(Shape{2, 2})), {{2, 7}, {2, 75}, {2, 3, 5, 5}});
  }
}

TEST_CASE("models: the reference initialisation is glorot_uniform with zero biases for the TensorFlow networks") {
  CHECK(find_architecture("dlib_conv").reference_init == nn::WeightInit::glorot_uniform);
  CHECK(find_architecture("dlib_fc").reference_init == nn::WeightInit::glorot_uniform);
  CHECK(find_architecture("fmnist_conv").reference_init == nn::WeightInit::glorot_uniform);
  CHECK(find_architecture("conv64").reference_init == nn::WeightInit::pytorch_default);
  nn::Init init{.seed = 9, .scheme = nn::WeightInit::glorot_uniform};
  Vae vae(init, VaeConfig{.architecture = "dlib_conv", .latents = 10});
  for (const nn::NamedTensor& p : vae.named_parameters()) {
    std::vector<double> v = p.tensor.to_vector();
    double largest = 0;
    for (double x : v) largest = std::max(largest, std::abs(x));
    if (p.tensor.ndim() == 1) {
      CHECK_MESSAGE(largest == 0.0, p.name << " is a bias and must start at zero");
      continue;
    }
    nn::Fans f = nn::fans_of(p.tensor.shape());
    double limit = std::sqrt(6.0 / static_cast<double>(f.in + f.out));
    CHECK_MESSAGE(largest <= limit, p.name);
    CHECK_MESSAGE(largest > 0.9 * limit, p.name);  // drawn over the whole range
  }
  // The two heads each have their own fan_out (10), not 20: bound √(6/266).
  nn::Fans heads = nn::fans_of(Shape{10, 256});
  CHECK(heads.in + heads.out == 266);
}

TEST_CASE("models: architecture errors name what is wrong") {
  nn::Init init;
  CHECK_THROWS_WITH_AS(Vae(init, VaeConfig{.architecture = "resnet"}),
                       doctest::Contains("choose dlib_conv, dlib_fc, fmnist_conv, conv64, mlp"), Error);
  CHECK_THROWS_WITH_AS(Vae(init, VaeConfig{.architecture = "dlib_conv", .image_size = 28}),
                       doctest::Contains("multiple of 16"), Error);
  CHECK_THROWS_WITH_AS(Vae(init, VaeConfig{.architecture = "fmnist_conv", .image_size = 30}),
                       doctest::Contains("multiple of 4"), Error);
  CHECK_THROWS_AS(Vae(init, VaeConfig{.latents = 0}), Error);
  Vae vae(init, VaeConfig{.architecture = "mlp", .latents = 2, .image_size = 4, .hidden = {3}});
  CHECK_THROWS_WITH_AS(vae.encode(zeros(Shape{2, 1, 5, 5})), doctest::Contains("expected images [N, 1, 4, 4]"), Error);
  CHECK_THROWS_WITH_AS(vae.decode(zeros(Shape{2, 3})), doctest::Contains("expected latents [N, 2]"), Error);
}
