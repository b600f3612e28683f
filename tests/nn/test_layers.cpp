#include <doctest/doctest.h>

#include <cmath>

#include "elbo/nn.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::nn;

namespace {

std::vector<double> max_abs_and_count(const Tensor& t) {
  double largest = 0;
  for (double v : t.to_vector()) largest = std::max(largest, std::abs(v));
  return {largest, static_cast<double>(t.numel())};
}

// Gradient check of a layer with a weight and a bias, through the module, wrt its input and both.
template <class Layer>
void check_layer(const std::string& name, Layer& layer, const Tensor& x) {
  testing::check_gradients(
      name,
      [&](const std::vector<Tensor>& in) {
        layer.weight = in[1];  // the module computes with the checked tensors
        layer.bias = in[2];
        return layer(in[0]);
      },
      {x, layer.weight, layer.bias});
}

// The convolutional β-VAE of Burgess et al. 2018 (the benchmark's network (a)), latents = 10.
class ConvVae : public Module {
 public:
  explicit ConvVae(Init& init) {
    const Conv2dOptions s2{.stride = 2, .padding = 1};
    encoder.add<Conv2d>(init, 1, 32, 4, s2);
    encoder.add<ReLU>();
    encoder.add<Conv2d>(init, 32, 32, 4, s2);
    encoder.add<ReLU>();
    encoder.add<Conv2d>(init, 32, 64, 4, s2);
    encoder.add<ReLU>();
    encoder.add<Conv2d>(init, 64, 64, 4, s2);
    encoder.add<ReLU>();
    encoder.add<Flatten>();
    encoder.add<Linear>(init, 1024, 256);
    encoder.add<ReLU>();
    encoder.add<Linear>(init, 256, 20);
    decoder.add<Linear>(init, 10, 256);
    decoder.add<ReLU>();
    decoder.add<Linear>(init, 256, 1024);
    decoder.add<ReLU>();
    decoder.add<Unflatten>(Shape{64, 4, 4});
    decoder.add<ConvTranspose2d>(init, 64, 64, 4, s2);
    decoder.add<ReLU>();
    decoder.add<ConvTranspose2d>(init, 64, 32, 4, s2);
    decoder.add<ReLU>();
    decoder.add<ConvTranspose2d>(init, 32, 32, 4, s2);
    decoder.add<ReLU>();
    decoder.add<ConvTranspose2d>(init, 32, 1, 4, s2);
    register_module("encoder", encoder);
    register_module("decoder", decoder);
  }
  Sequential encoder, decoder;
};

}  // namespace

TEST_CASE("nn conv2d: forward against hand-computed values") {
  Init init;
  Conv2d conv(init, 1, 1, 2);
  // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], w = [[1, 2], [3, 4]], b = 0.5
  Tensor x = from_values(Shape{1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  conv.weight = from_values(Shape{1, 1, 2, 2}, {1, 2, 3, 4}).requires_grad_();
  conv.bias = from_values(Shape{1}, {0.5}).requires_grad_();
  // y[0,0] = 1·1 + 2·2 + 4·3 + 5·4 = 37, y[0,1] = 47, y[1,0] = 67, y[1,1] = 77; plus b
  CHECK(conv(x).to_vector() == std::vector<double>{37.5, 47.5, 67.5, 77.5});
  CHECK(conv.str() == "Conv2d(1, 1, kernel=2)");

  // Stride 2, padding 1: each output sees one corner of the zero-padded input.
  //   y[0,0] = x[0,0]·w[1,1] = 4                  y[0,1] = x[0,1]·w[1,0] + x[0,2]·w[1,1] = 18
  //   y[1,0] = x[1,0]·w[0,1] + x[2,0]·w[1,1] = 36  y[1,1] = 5·1 + 6·2 + 8·3 + 9·4 = 77
  Conv2d strided(init, 1, 1, 2, {.stride = 2, .padding = 1}, false);
  strided.weight = conv.weight;
  CHECK(strided(x).to_vector() == std::vector<double>{4, 18, 36, 77});
  CHECK(strided.str() == "Conv2d(1, 1, kernel=2, stride=2, padding=1, bias=false)");

  Conv2d grouped(init, 4, 6, 3, {.groups = 2});
  CHECK(grouped.weight.shape() == Shape{6, 2, 3, 3});
  CHECK_THROWS_WITH_AS(Conv2d(init, 3, 4, 3, {.groups = 2}), doctest::Contains("groups 2 must divide"), Error);
}

TEST_CASE("nn conv_transpose2d: forward against hand-computed values") {
  Init init;
  Tensor x = from_values(Shape{1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor w = from_values(Shape{1, 1, 2, 2}, {1, -1, 2, 0}).requires_grad_();
  // Stride 2: each input pixel stamps x[i,j]·w at (2i, 2j), without overlap; plus b = 1.
  ConvTranspose2d up(init, 1, 1, 2, {.stride = 2});
  up.weight = w;
  up.bias = from_values(Shape{1}, {1}).requires_grad_();
  Tensor y = up(x);
  CHECK(y.shape() == Shape{1, 1, 4, 4});
  CHECK(y.to_vector() == std::vector<double>{2, 0, 3, -1,  //
                                             3, 1, 5, 1,   //
                                             4, -2, 5, -3,  //
                                             7, 1, 9, 1});
  // Stride 1: the stamps overlap and add, y[i+p, j+q] += x[i,j]·w[p,q].
  ConvTranspose2d overlap(init, 1, 1, 2, {}, false);
  overlap.weight = w;
  CHECK(overlap(x).to_vector() == std::vector<double>{1, 1, -2, 5, 5, -4, 6, 8, 0});

  // Weight [C_in, C_out/groups, K, K]; PyTorch's default bound 1/√(C_out/groups·K²).
  ConvTranspose2d wide(init, 2, 6, 3, {.groups = 2});
  CHECK(wide.weight.shape() == Shape{2, 3, 3, 3});
  CHECK(max_abs_and_count(wide.weight)[0] <= 1 / std::sqrt(27.0));
  CHECK(max_abs_and_count(wide.bias)[0] <= 1 / std::sqrt(27.0));
  CHECK(wide.str() == "ConvTranspose2d(2, 6, kernel=3, groups=2)");
}

TEST_CASE("nn conv layers: f64 gradient checks through the modules") {
  Init init{.seed = 21, .dtype = DType::f64};
  Conv2d strided(init, 2, 3, 3, {.stride = 2, .padding = 1});
  check_layer("Conv2d stride 2 padding 1", strided, testing::random_f64(Shape{2, 2, 5, 5}, 1));
  Conv2d dilated(init, 4, 2, 2, {.padding = 1, .dilation = 2, .groups = 2});
  check_layer("Conv2d dilation 2 groups 2", dilated, testing::random_f64(Shape{2, 4, 4, 4}, 2));
  ConvTranspose2d up(init, 2, 4, 3, {.stride = 2, .padding = 1, .groups = 2, .output_padding = 1});
  Tensor x = testing::random_f64(Shape{2, 2, 3, 3}, 3);
  CHECK(up(x).shape() == Shape{2, 4, 6, 6});  // (3 − 1)·2 − 2 + 2 + 1 + 1
  check_layer("ConvTranspose2d stride 2 output_padding 1 groups 2", up, x);
  ConvTranspose2d plain(init, 3, 2, 2);
  check_layer("ConvTranspose2d", plain, testing::random_f64(Shape{1, 3, 3, 2}, 4));
}

TEST_CASE("nn batchnorm: f64 gradient checks in training mode") {
  Init init{.dtype = DType::f64};
  BatchNorm2d bn2(init, 3);
  bn2.weight = testing::random_f64(Shape{3}, 5, 0.5, 2.0);
  bn2.bias = testing::random_f64(Shape{3}, 6);
  check_layer("BatchNorm2d", bn2, testing::random_f64(Shape{3, 3, 2, 3}, 7));
  BatchNorm1d bn1(init, 4);
  check_layer("BatchNorm1d", bn1, testing::random_f64(Shape{5, 4}, 8));
}

TEST_CASE("nn batchnorm: running statistics, train and eval") {
  Init init{.dtype = DType::f64};
  BatchNorm1d bn(init, 1);
  CHECK(bn.str() == "BatchNorm1d(1)");
  CHECK(bn.running_mean.to_vector() == std::vector<double>{0});
  CHECK(bn.running_var.to_vector() == std::vector<double>{1});
  Tensor x = from_values(Shape{4, 1}, {1, 2, 3, 4}, DType::f64);
  // Training: μ = 2.5, σ² = 1.25 (biased); y = (x − μ)/√(σ² + 10⁻⁵)
  std::vector<double> y = bn(x).to_vector();
  double sd = std::sqrt(1.25 + 1e-5);
  for (int i = 0; i < 4; ++i) CHECK(y[i] == doctest::Approx((i + 1 - 2.5) / sd).epsilon(1e-12));
  // running_mean = 0.9·0 + 0.1·2.5,  running_var = 0.9·1 + 0.1·(1.25·4/3)  (unbiased)
  CHECK(bn.running_mean.item() == doctest::Approx(0.25).epsilon(1e-14));
  CHECK(bn.running_var.item() == doctest::Approx(0.9 + 0.1 * 5.0 / 3.0).epsilon(1e-14));
  bn(x);
  CHECK(bn.running_mean.item() == doctest::Approx(0.9 * 0.25 + 0.25).epsilon(1e-14));
  double rm = bn.running_mean.item(), rv = bn.running_var.item();
  // Evaluation: the running statistics normalise, and stay as they are.
  bn.eval();
  y = bn(x).to_vector();
  for (int i = 0; i < 4; ++i) CHECK(y[i] == doctest::Approx((i + 1 - rm) / std::sqrt(rv + 1e-5)).epsilon(1e-12));
  CHECK(bn.running_mean.item() == rm);
  CHECK(bn.running_var.item() == rv);

  // [N, C, H, W] with γ = [2, 1], β = [0, 0.5]; channel 0 holds {1, 3, 5, 7}, channel 1 {0, 0, 2, 2}.
  BatchNorm2d bn2(init, 2);
  bn2.weight = from_values(Shape{2}, {2, 1}, DType::f64).requires_grad_();
  bn2.bias = from_values(Shape{2}, {0, 0.5}, DType::f64).requires_grad_();
  Tensor x2 = from_values(Shape{2, 2, 1, 2}, {1, 3, 0, 0, 5, 7, 2, 2}, DType::f64);
  std::vector<double> y2 = bn2(x2).to_vector();
  // channel 0: μ = 4, σ² = 5;  channel 1: μ = 1, σ² = 1
  double s0 = std::sqrt(5 + 1e-5), s1 = std::sqrt(1 + 1e-5);
  std::vector<double> expected = {2 * (1 - 4) / s0, 2 * (3 - 4) / s0, -1 / s1 + 0.5, -1 / s1 + 0.5,
                                  2 * (5 - 4) / s0, 2 * (7 - 4) / s0, 1 / s1 + 0.5,  1 / s1 + 0.5};
  for (size_t i = 0; i < expected.size(); ++i) CHECK(y2[i] == doctest::Approx(expected[i]).epsilon(1e-12));
  std::vector<double> rv2 = bn2.running_var.to_vector();
  CHECK(rv2[0] == doctest::Approx(0.9 + 0.1 * 5 * 4 / 3.0).epsilon(1e-14));
  CHECK(rv2[1] == doctest::Approx(0.9 + 0.1 * 4 / 3.0).epsilon(1e-14));
  CHECK_THROWS_WITH_AS(bn2(zeros(Shape{2, 3, 1, 1}, DType::f64)),
                       doctest::Contains("BatchNorm2d(2): expects [N, C, H, W] with C = 2"), Error);

  // Buffers are named, listed after the parameters' module order, and follow to().
  Sequential net;
  net.add<Linear>(init, 3, 2);
  net.add<BatchNorm1d>(init, 2);
  CHECK(net.named_buffers().size() == 2);
  CHECK(net.named_buffers()[0].name == "1.running_mean");
  CHECK(net.named_buffers()[1].name == "1.running_var");
  CHECK(net.named_parameters()[2].name == "1.weight");
  net.to(DType::f32);
  CHECK(net.named_buffers()[1].tensor.dtype() == DType::f32);
  CHECK(net.named_buffers()[1].tensor.to_vector() == std::vector<double>{1, 1});
}

TEST_CASE("nn reference network: conv β-VAE, 764,245 parameters named as PyTorch names them") {
  Init init{.seed = 1234};
  ConvVae model(init);
  CHECK(model.num_parameters() == 764245);
  CHECK(init.next_stream == 24);  // 12 layers with weights, a stream for each weight and bias
  std::vector<std::string> names;
  for (const NamedTensor& p : model.named_parameters()) names.push_back(p.name);
  std::vector<std::string> expected;
  for (const char* layer : {"encoder.0", "encoder.2", "encoder.4", "encoder.6", "encoder.9", "encoder.11", "decoder.0",
                            "decoder.2", "decoder.5", "decoder.7", "decoder.9", "decoder.11"}) {
    expected.push_back(std::string(layer) + ".weight");
    expected.push_back(std::string(layer) + ".bias");
  }
  CHECK(names == expected);

  // PyTorch's default: every weight and bias within 1/√fan_in of its layer's weight, fan_in from dim 1.
  std::vector<NamedTensor> params = model.named_parameters();
  for (size_t i = 0; i < params.size(); i += 2) {
    double bound = 1 / std::sqrt(static_cast<double>(fans_of(params[i].tensor.shape()).in));
    CHECK_MESSAGE(max_abs_and_count(params[i].tensor)[0] <= bound, params[i].name);
    CHECK_MESSAGE(max_abs_and_count(params[i].tensor)[0] > 0.95 * bound, params[i].name);
    CHECK_MESSAGE(max_abs_and_count(params[i + 1].tensor)[0] <= bound, params[i + 1].name);
  }
  // The last ConvTranspose2d(32, 1, 4): weight [32, 1, 4, 4], fan_in = 1·16, bound ¼.
  CHECK(params[22].tensor.shape() == Shape{32, 1, 4, 4});
  CHECK(max_abs_and_count(params[22].tensor)[0] > 0.2);

  Tensor x = uniform(Shape{2, 1, 64, 64}, 1, 2);
  Tensor stats = model.encoder(x);
  CHECK(stats.shape() == Shape{2, 20});
  Tensor logits = model.decoder(slice(stats, 1, 0, 10));
  CHECK(logits.shape() == Shape{2, 1, 64, 64});
  sum(logits).backward();
  for (const NamedTensor& p : model.named_parameters()) CHECK_MESSAGE(p.tensor.grad().defined(), p.name);
}
