#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <memory>

#include "elbo/context.hpp"
#include "elbo/nn.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::testing;
using namespace elbo::nn;

namespace {

std::vector<std::string> names_of(const std::vector<NamedTensor>& named) {
  std::vector<std::string> out;
  for (const NamedTensor& n : named) out.push_back(n.name);
  return out;
}

// A two-part model whose children are members: names must read "encoder.0.weight".
class TwoPart : public Module {
 public:
  explicit TwoPart(Init& init) {
    encoder.add<Linear>(init, 4, 3);
    encoder.add<Tanh>();
    encoder.add<Linear>(init, 3, 2, false);
    decoder.add<Linear>(init, 2, 4);
    register_module("encoder", encoder);
    register_module("decoder", decoder);
  }
  Sequential encoder, decoder;
};

// A module with a buffer and a parameter of its own, for registration errors.
class Registry : public Module {
 public:
  Registry() {
    register_parameter("scale", scale);
    register_buffer("count", count);
  }
  void add_parameter(const std::string& name) { register_parameter(name, extra); }
  Tensor scale = ones(Shape{2});
  Tensor count = zeros(Shape{1});
  Tensor extra = ones(Shape{1});
};

}  // namespace

TEST_CASE("nn linear: forward against hand-computed values") {
  Init init;
  Linear layer(init, 2, 3);
  // y = x·Wᵀ + b with W = [[1, 2], [3, 4], [5, 6]], b = [0.5, −1, 0]
  layer.weight = from_values(Shape{3, 2}, {1, 2, 3, 4, 5, 6}).requires_grad_();
  layer.bias = from_values(Shape{3}, {0.5, -1, 0}).requires_grad_();
  Tensor x = from_values(Shape{2, 2}, {1, -1, 2, 0.5});
  Tensor y = layer(x);
  // row 0: [1 − 2 + 0.5, 3 − 4 − 1, 5 − 6];  row 1: [2 + 1 + 0.5, 6 + 2 − 1, 10 + 3]
  CHECK(y.shape() == Shape{2, 3});
  CHECK(y.to_vector() == std::vector<double>{-0.5, -2, -1, 3.5, 7, 13});
  CHECK(layer.str() == "Linear(2, 3)");
  CHECK(Linear(init, 2, 3, false).str() == "Linear(2, 3, bias=false)");
}

TEST_CASE("nn linear: f64 gradient check through the module, wrt input, weight and bias") {
  Init init{.seed = 3, .dtype = DType::f64};
  Linear layer(init, 5, 4);
  CHECK(layer.weight.dtype() == DType::f64);
  Tensor x = testing::random_f64(Shape{3, 5}, 11);
  testing::check_gradients(
      "Linear",
      [&](const std::vector<Tensor>& in) {
        layer.weight = in[1];  // the module computes with the checked tensors
        layer.bias = in[2];
        return layer(in[0]);
      },
      {x, layer.weight, layer.bias});
}

TEST_CASE("nn sequential: a small MLP, gradient check wrt input and every parameter") {
  Init init{.seed = 5, .dtype = DType::f64};
  Sequential net;
  Linear& first = net.add<Linear>(init, 6, 4);
  net.add<Tanh>();
  net.add<Unflatten>(Shape{2, 2});
  net.add<Flatten>();
  Linear& last = net.add<Linear>(init, 4, 3);
  net.add<SiLU>();
  Tensor x = testing::random_f64(Shape{2, 6}, 12);
  CHECK(net(x).shape() == Shape{2, 3});
  testing::check_gradients(
      "Sequential",
      [&](const std::vector<Tensor>& in) {
        first.weight = in[1];
        first.bias = in[2];
        last.weight = in[3];
        last.bias = in[4];
        return net(in[0]);
      },
      {x, first.weight, first.bias, last.weight, last.bias});
}

TEST_CASE("nn module: hierarchical names, order and counts") {
  Init init;
  TwoPart model(init);
  std::vector<std::string> expected = {"encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "decoder.0.weight",
                                       "decoder.0.bias"};
  CHECK(names_of(model.named_parameters()) == expected);
  // 4·3 + 3 + 3·2 + 2·4 + 4
  CHECK(model.num_parameters() == 33);
  CHECK(model.parameters().size() == 5);
  for (const Tensor& p : model.parameters()) CHECK(p.requires_grad());
  // The registry and the member are one handle.
  auto& enc0 = static_cast<Linear&>(model.encoder[0]);
  CHECK(model.parameters()[0].impl() == enc0.weight.impl());
  CHECK(model.named_buffers().empty());
  CHECK(model.encoder.str() == "Sequential(\n  (0): Linear(4, 3)\n  (1): Tanh()\n  (2): Linear(3, 2, bias=false)\n)");
}

TEST_CASE("nn module: registration errors and the default forward") {
  Registry r;
  CHECK(names_of(r.named_parameters()) == std::vector<std::string>{"scale"});
  CHECK(names_of(r.named_buffers()) == std::vector<std::string>{"count"});
  CHECK_FALSE(r.named_buffers()[0].tensor.requires_grad());
  CHECK_THROWS_WITH_AS(r.add_parameter("scale"), doctest::Contains("name 'scale' is already a parameter"), Error);
  CHECK_THROWS_WITH_AS(r.add_parameter("count"), doctest::Contains("name 'count' is already a buffer"), Error);
  CHECK_THROWS_WITH_AS(r.add_parameter("a.b"), doctest::Contains("invalid name 'a.b'"), Error);
  CHECK_THROWS_WITH_AS(r(ones(Shape{2})), doctest::Contains("has no forward of one tensor"), Error);
  Sequential s;
  CHECK_THROWS_WITH_AS(s[0], doctest::Contains("Sequential: index 0 out of range for 0 layers"), Error);
}

TEST_CASE("nn module: train/eval reach every descendant, and zero_grad drops gradients") {
  Init init;
  TwoPart model(init);
  CHECK(model.is_training());
  model.eval();
  CHECK_FALSE(model.is_training());
  CHECK_FALSE(model.encoder.is_training());
  CHECK_FALSE(model.encoder[2].is_training());
  model.train();
  CHECK(model.decoder[0].is_training());

  Tensor x = ones(Shape{2, 4});
  sum(model.decoder(model.encoder(x))).backward();
  for (const Tensor& p : model.parameters()) CHECK(p.grad().defined());
  model.zero_grad();
  for (const Tensor& p : model.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("nn module: to(f64) converts parameters, which stay leaves") {
  Init init{.seed = 9};
  TwoPart model(init);
  std::vector<double> before = model.parameters()[0].to_vector();
  model.to(DType::f64);
  auto& enc0 = static_cast<Linear&>(model.encoder[0]);
  CHECK(enc0.weight.dtype() == DType::f64);
  CHECK(enc0.weight.to_vector() == before);
  for (const Tensor& p : model.parameters()) {
    CHECK(p.dtype() == DType::f64);
    CHECK(p.requires_grad());
    CHECK(p.grad_fn() == nullptr);
  }
  sum(model.encoder(ones(Shape{1, 4}, DType::f64))).backward();
  CHECK(enc0.weight.grad().defined());
}

TEST_CASE("nn activation modules: forward values") {
  Tensor x = from_values(Shape{3}, {-1, 0, 2}, DType::f64);
  auto values = [&](Module&& m) { return m(x).to_vector(); };
  CHECK(values(ReLU()) == std::vector<double>{0, 0, 2});
  CHECK(values(LeakyReLU(0.2)) == std::vector<double>{-0.2, 0, 2});
  std::vector<double> elu = values(ELU(0.5));  // 0.5·(e⁻¹ − 1), 0, 2
  CHECK(elu[0] == doctest::Approx(0.5 * (std::exp(-1.0) - 1)).epsilon(1e-14));
  CHECK(elu[2] == 2);
  std::vector<double> sig = values(Sigmoid());
  CHECK(sig[0] == doctest::Approx(1 / (1 + std::exp(1.0))).epsilon(1e-14));
  CHECK(sig[1] == 0.5);
  CHECK(values(Tanh())[2] == doctest::Approx(std::tanh(2.0)).epsilon(1e-14));
  CHECK(values(Softplus())[1] == doctest::Approx(std::log(2.0)).epsilon(1e-14));
  std::vector<double> silu = values(SiLU());  // x·σ(x)
  CHECK(silu[0] == doctest::Approx(-1 / (1 + std::exp(1.0))).epsilon(1e-14));
  CHECK(silu[2] == doctest::Approx(2 / (1 + std::exp(-2.0))).epsilon(1e-14));
  CHECK(LeakyReLU(0.2).str() == "LeakyReLU(0.2)");
  CHECK(ReLU().str() == "ReLU()");
}

TEST_CASE("nn flatten/unflatten: shapes") {
  Tensor x = zeros(Shape{2, 64, 4, 4});
  Tensor flat = Flatten()(x);
  CHECK(flat.shape() == Shape{2, 1024});
  CHECK(Unflatten(Shape{64, 4, 4})(flat).shape() == Shape{2, 64, 4, 4});
  CHECK(Unflatten(Shape{2, 3}, -1)(zeros(Shape{5, 6})).shape() == Shape{5, 2, 3});
  CHECK_THROWS_WITH_AS(Unflatten(Shape{64, 4, 4})(zeros(Shape{2, 1000})),
                       doctest::Contains("Unflatten: axis 1 of [2, 1000] has 1000 elements"), Error);
}

TEST_CASE("nn init: fans follow PyTorch, including ConvTranspose2d's dim 1") {
  Fans linear = fans_of(Shape{256, 1024});
  CHECK(linear.in == 1024);
  CHECK(linear.out == 256);
  Fans conv = fans_of(Shape{32, 1, 4, 4});  // Conv2d(1, 32, 4)
  CHECK(conv.in == 16);
  CHECK(conv.out == 512);
  Fans deconv = fans_of(Shape{64, 32, 4, 4});  // ConvTranspose2d(64, 32, 4): fan_in from C_out
  CHECK(deconv.in == 512);
  CHECK(deconv.out == 1024);
}

TEST_CASE("nn init: statistics of each initialiser") {
  // Moments of n = 131072 draws: the sample variance is within a few percent of the target.
  auto moments = [](const Tensor& t) {
    std::vector<double> v = t.to_vector();
    double m = 0, s = 0, largest = 0;
    for (double x : v) m += x;
    m /= v.size();
    for (double x : v) {
      s += (x - m) * (x - m);
      largest = std::max(largest, std::abs(x));
    }
    return std::array<double, 3>{m, s / v.size(), largest};
  };
  Tensor w = empty(Shape{256, 512});
  double fan_in = 512, fan_out = 256;

  glorot_uniform_(w, 1, 0);
  double l = std::sqrt(6 / (fan_in + fan_out));
  auto [m1, v1, max1] = moments(w);
  CHECK(std::abs(m1) < 0.01 * l);
  CHECK(v1 == doctest::Approx(l * l / 3).epsilon(0.02));  // U(−l, l) has variance l²/3
  CHECK(max1 <= l);
  CHECK(max1 > 0.999 * l);

  kaiming_uniform_(w, 1, 1);
  double lk = std::sqrt(2.0) * std::sqrt(3 / fan_in);
  auto [m2, v2, max2] = moments(w);
  CHECK(v2 == doctest::Approx(2 / fan_in).epsilon(0.02));
  CHECK(max2 <= lk);
  CHECK(max2 > 0.999 * lk);

  kaiming_normal_(w, 1, 2, 0.2);  // σ² = 2 / ((1 + 0.04)·fan_in)
  auto [m3, v3, max3] = moments(w);
  CHECK(std::abs(m3) < 0.01 * std::sqrt(v3));
  CHECK(v3 == doctest::Approx(2 / (1.04 * fan_in)).epsilon(0.02));

  zeros_(w);
  CHECK(moments(w)[2] == 0);

  // The PyTorch default of a Linear: weight and bias in U(−1/√fan_in, 1/√fan_in).
  Init init{.seed = 4};
  Linear layer(init, 512, 256);
  double lp = 1 / std::sqrt(fan_in);
  auto [m4, v4, max4] = moments(layer.weight);
  CHECK(v4 == doctest::Approx(lp * lp / 3).epsilon(0.02));
  CHECK(max4 <= lp);
  CHECK(max4 > 0.999 * lp);
  CHECK(moments(layer.bias)[2] <= lp);
  CHECK(moments(layer.bias)[2] > 0.9 * lp);

  // Other schemes zero the bias.
  Init glorot{.seed = 4, .scheme = WeightInit::glorot_uniform};
  Linear g(glorot, 512, 256);
  CHECK(moments(g.bias)[2] == 0);
  CHECK(moments(g.weight)[2] <= l);
  CHECK(moments(g.weight)[2] > 0.999 * l);
}

TEST_CASE("nn init: weights are a pure function of (seed, stream)") {
  auto build = [](uint64_t seed, int threads) {
    int previous = num_threads();
    set_num_threads(threads);
    Init init{.seed = seed};
    auto model = std::make_unique<TwoPart>(init);
    set_num_threads(previous);
    return model;
  };
  auto a = build(7, 1), b = build(7, 2), c = build(8, 2);
  std::vector<Tensor> pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    CHECK(same_bytes(pa[i], pb[i]));   // same seed: identical bytes, whatever the thread count
    CHECK_FALSE(same_bytes(pa[i], pc[i]));  // another seed: other values
  }
  // Each parameter has its own stream: TwoPart's parameters take streams 0..5 in construction
  // order (the bias-less Linear takes one for its missing bias), and the first weight is exactly
  // U(−½, ½) from stream 0.
  Tensor w0 = empty(Shape{3, 4});
  uniform_(w0, -0.5, 0.5, 7, 0);
  CHECK(same_bytes(pa[0], w0));
  Tensor w0_other_stream = empty(Shape{3, 4});
  uniform_(w0_other_stream, -0.5, 0.5, 7, 1);
  CHECK_FALSE(same_bytes(pa[0], w0_other_stream));
  Init init{.seed = 7};
  TwoPart counted(init);
  CHECK(init.next_stream == 6);
  // The decoder's weight (the 4th parameter) comes from stream 4.
  Tensor w4 = empty(Shape{4, 2});
  double l = 1 / std::sqrt(2.0);
  uniform_(w4, -l, l, 7, 4);
  CHECK(same_bytes(pa[3], w4));
}
