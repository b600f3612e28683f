// Bias and activation fused into an op (FusedActivation, Epilogue in ops/backend.hpp): conv2d,
// conv_transpose2d and linear with relu, tanh or sigmoid give the same bits, forward and
// backward, as the op followed by the activation; finite-difference checks of the fused ops;
// the epilogue and activation_backward kernels (and the backend's unfused defaults, which other
// devices use) against binary + unary and unary_backward + reduce, on the shapes where the bias
// gradient takes each of reduce's orders; and Sequential's fusion of a layer and its activation.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "elbo/nn.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using elbo::testing::check_gradients;
using elbo::testing::random_f64;
using elbo::testing::same_bytes;

namespace {

const FusedActivation kActivations[] = {FusedActivation::relu, FusedActivation::tanh, FusedActivation::sigmoid};

Tensor apply(FusedActivation f, const Tensor& z) { return unary(activation_op(f), z); }

// One op with an optional activation: y = op(x, w, b) then f (unfused), or the op with f (fused).
struct Op {
  std::string name;
  Shape x, w, b;
  std::function<Tensor(const Tensor&, const Tensor&, const Tensor&, FusedActivation)> run;
};

std::vector<Op> ops() {
  const Conv2dOptions s2{.stride = 2, .padding = 1};
  auto conv = [](Conv2dOptions o) {
    return [o](const Tensor& x, const Tensor& w, const Tensor& b, FusedActivation f) { return conv2d(x, w, b, o, f); };
  };
  auto convt = [](Conv2dOptions o) {
    return [o](const Tensor& x, const Tensor& w, const Tensor& b, FusedActivation f) {
      return conv_transpose2d(x, w, b, o, f);
    };
  };
  auto lin = [](const Tensor& x, const Tensor& w, const Tensor& b, FusedActivation f) { return linear(x, w, b, f); };
  return {
      // VAE layers at a small batch: bias sums by rows (32×32, 16×16 and 4×4 outputs).
      {"conv 1->32 64x64 s2", Shape{3, 1, 64, 64}, Shape{32, 1, 4, 4}, Shape{32}, conv(s2)},
      {"conv 32->64 16x16 s2", Shape{2, 32, 16, 16}, Shape{64, 32, 4, 4}, Shape{64}, conv(s2)},
      {"conv 64->64 8x8 s2", Shape{3, 64, 8, 8}, Shape{64, 64, 4, 4}, Shape{64}, conv(s2)},
      {"convT 64->32 8x8 s2", Shape{2, 64, 8, 8}, Shape{64, 32, 4, 4}, Shape{32}, convt(s2)},
      // 1 to 7 input channels per group: the transposed convolution's column path.
      {"convT 4->3 5x6 s2", Shape{2, 4, 5, 6}, Shape{4, 3, 3, 3}, Shape{3}, convt(Conv2dOptions{.stride = 2, .padding = 1})},
      // Outputs under 16 positions (bias sums by columns first), groups, one output channel.
      {"conv 4->6 5x5 groups 2", Shape{3, 4, 5, 5}, Shape{6, 2, 3, 3}, Shape{6}, conv(Conv2dOptions{.padding = 0, .groups = 2})},
      {"conv 3->1 9x9", Shape{2, 3, 9, 9}, Shape{1, 3, 3, 3}, Shape{1}, conv(Conv2dOptions{.padding = 1})},
      // Linear layers: [N, C] outputs, the bias along each row.
      {"linear 784->512", Shape{5, 784}, Shape{512, 784}, Shape{512}, lin},
      {"linear 20->3", Shape{130, 20}, Shape{3, 20}, Shape{3}, lin},
  };
}

// The output and the gradients of x, w and b for L = Σ g ⊙ y, fused or not.
std::vector<Tensor> run(const Op& op, DType t, FusedActivation f, bool fused, uint64_t seed) {
  Tensor x = random_f64(op.x, seed).to(t).detach().requires_grad_();
  Tensor w = mul(random_f64(op.w, seed + 1), 0.5).to(t).detach().requires_grad_();
  Tensor b = random_f64(op.b, seed + 2).to(t).detach().requires_grad_();
  Tensor y = fused ? op.run(x, w, b, f) : apply(f, op.run(x, w, b, FusedActivation::none));
  sum(mul(y, random_f64(y.shape(), seed + 3).to(t).detach())).backward();
  return {y.detach(), x.grad(), w.grad(), b.grad()};
}

}  // namespace

TEST_CASE("ops: fused bias+activation gives the bits of the op followed by the activation, forward and backward") {
  const char* parts[] = {"output", "x gradient", "weight gradient", "bias gradient"};
  uint64_t seed = 10;
  for (const Op& op : ops())
    for (FusedActivation f : kActivations)
      for (DType t : {DType::f32, DType::f64}) {
        CAPTURE(op.name);
        CAPTURE(activation_name(f));
        CAPTURE(dtype_name(t));
        seed += 10;
        const std::vector<Tensor> fused = run(op, t, f, true, seed), apart = run(op, t, f, false, seed);
        for (int i = 0; i < 4; ++i) {
          CAPTURE(parts[i]);
          CHECK(same_bytes(fused[i], apart[i]));
        }
      }
}

TEST_CASE("ops: fused bias+activation, finite-difference gradients of x, weight and bias") {
  const Conv2dOptions s2{.stride = 2, .padding = 1};
  uint64_t seed = 500;
  for (FusedActivation f : kActivations) {
    CAPTURE(activation_name(f));
    check_gradients(
        std::string("conv2d+") + activation_name(f),
        [&](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], in[2], s2, f); },
        {random_f64(Shape{2, 3, 6, 6}, ++seed), random_f64(Shape{4, 3, 4, 4}, ++seed), random_f64(Shape{4}, ++seed)});
    check_gradients(
        std::string("conv_transpose2d+") + activation_name(f),
        [&](const std::vector<Tensor>& in) { return conv_transpose2d(in[0], in[1], in[2], s2, f); },
        {random_f64(Shape{2, 3, 3, 3}, ++seed), random_f64(Shape{3, 2, 4, 4}, ++seed), random_f64(Shape{2}, ++seed)});
    check_gradients(
        std::string("linear+") + activation_name(f),
        [&](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2], f); },
        {random_f64(Shape{4, 5}, ++seed), random_f64(Shape{3, 5}, ++seed), random_f64(Shape{3}, ++seed)});
  }
}

TEST_CASE("ops: the epilogue and activation_backward kernels against add + unary and unary_backward + reduce") {
  // [N, C, ...] shapes: by rows with one and several segments of reduce, by columns (under 16
  // positions), one channel, one sample, [N, C] rows.
  const Shape shapes[] = {Shape{3, 4, 8, 8}, Shape{2, 3, 9000}, Shape{5, 6, 3, 3}, Shape{4, 1, 20}, Shape{1, 7, 40},
                          Shape{9, 33}};
  Backend& cpu = backend(Device::cpu);
  uint64_t seed = 900;
  for (const Shape& shape : shapes)
    for (FusedActivation f : kActivations)
      for (DType t : {DType::f32, DType::f64}) {
        CAPTURE(shape.str());
        CAPTURE(activation_name(f));
        CAPTURE(dtype_name(t));
        seed += 10;
        const Tensor z = mul(random_f64(shape, seed), 3.0).to(t), b = random_f64(Shape{shape[1]}, seed + 1).to(t);
        Shape column(shape);  // b as [1, C, 1, …]
        for (int i = 0; i < column.ndim; ++i) column.dims[i] = i == 1 ? shape[1] : 1;
        const Tensor want = apply(f, add(z, reshape(b, column)));
        for (int unfused_default = 0; unfused_default <= 1; ++unfused_default) {
          CAPTURE(unfused_default);
          Tensor y = z.clone();
          if (unfused_default) cpu.Backend::apply_epilogue(Epilogue{b, f}, y);
          else cpu.apply_epilogue(Epilogue{b, f}, y);
          CHECK(same_bytes(y, want));
          // Backward from y: gz = gy · f'(z) and the bias gradient, against unary_backward + reduce.
          const Tensor gy = random_f64(shape, seed + 2).to(t);
          Tensor want_gz = empty(shape, t);
          cpu.unary_backward(activation_op(f), 0.0, 0.0, add(z, reshape(b, column)), want, gy, want_gz);
          const Tensor want_gb = reshape(sum(want_gz, [&] {
                                           std::vector<int> axes;
                                           for (int i = 0; i < shape.ndim; ++i)
                                             if (i != 1) axes.push_back(i);
                                           return axes;
                                         }(), true),
                                         Shape{shape[1]});
          Tensor gz = empty(shape, t), gb = empty(Shape{shape[1]}, t);
          if (unfused_default) cpu.Backend::activation_backward(f, y, gy, gz, gb);
          else cpu.activation_backward(f, y, gy, gz, gb);
          CHECK(same_bytes(gz, want_gz));
          CHECK(same_bytes(gb, want_gb));
        }
      }
  // Without a bias: the activation alone; without an activation: the bias alone.
  const Tensor z = random_f64(Shape{2, 3, 5, 5}, 1).to(DType::f32), b = random_f64(Shape{3}, 2).to(DType::f32);
  Tensor y = z.clone();
  cpu.apply_epilogue(Epilogue{Tensor(), FusedActivation::tanh}, y);
  CHECK(same_bytes(y, tanh(z)));
  y = z.clone();
  cpu.apply_epilogue(Epilogue{b, FusedActivation::none}, y);
  CHECK(same_bytes(y, add(z, reshape(b, Shape{1, 3, 1, 1}))));
}

TEST_CASE("ops: Sequential runs a layer and its activation in one op, with the values of running them apart") {
  nn::Init init{.seed = 3};
  nn::Sequential net;
  net.add<nn::Conv2d>(init, 2, 8, 4, Conv2dOptions{.stride = 2, .padding = 1});
  net.add<nn::ReLU>();
  net.add<nn::ConvTranspose2d>(init, 8, 4, 4, Conv2dOptions{.stride = 2, .padding = 1});
  net.add<nn::Tanh>();
  net.add<nn::Flatten>();
  net.add<nn::Linear>(init, 4 * 8 * 8, 6);
  net.add<nn::Sigmoid>();
  net.add<nn::Linear>(init, 6, 5);
  net.add<nn::ELU>();  // not fusable: applied apart
  const Tensor x = random_f64(Shape{3, 2, 8, 8}, 4).to(DType::f32);

  Tensor fused = net.forward(x);
  Tensor apart = x;
  for (size_t i = 0; i < net.size(); ++i) apart = net[i].forward(apart);
  CHECK(same_bytes(fused.detach(), apart.detach()));
  CHECK(std::string(fused.grad_fn()->name) == "elu");
  CHECK(std::string(fused.grad_fn()->inputs[0].grad_fn()->name) == "linear");
  CHECK(std::string(fused.grad_fn()->inputs[0].grad_fn()->inputs[0].grad_fn()->name) == "linear+sigmoid");

  // The same parameter gradients either way.
  std::vector<std::vector<double>> grads[2];
  for (int way = 0; way < 2; ++way) {
    net.zero_grad();
    Tensor y = x;
    if (way == 0) y = net.forward(x);
    else
      for (size_t i = 0; i < net.size(); ++i) y = net[i].forward(y);
    sum(mul(y, y)).backward();
    for (const Tensor& p : net.parameters()) grads[way].push_back(p.grad().to_vector());
  }
  CHECK(grads[0] == grads[1]);
}
