// The CUDA backend against the CPU: every op forward and backward on the same inputs, the
// Philox draws bit for bit, copies between the devices, the optimisers, the device allocator's
// steady state, and a whole training run of the convolutional β-VAE.
//
// Each test needs a visible GPU; without one (or in a build without -DELBO_CUDA=ON) it reports
// that it was skipped and passes. The parity harness (check_parity) takes an op as a lambda over
// a list of input tensors, so adding an op to the comparison is one line.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "elbo/data/toy_shapes.hpp"
#include "elbo/models/one_pass_ensemble.hpp"
#include "elbo/models/vae.hpp"
#include "elbo/nn.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;

namespace {

constexpr Device kGpu = Device::cuda;

// True when a GPU is visible; otherwise reports the skip and the test returns at once.
bool cuda_ready() {
  if (device_available(kGpu)) return true;
#if defined(ELBO_WITH_CUDA)
  MESSAGE("cuda: skipped: built with the CUDA backend, but no CUDA device is visible");
#else
  MESSAGE("cuda: skipped: this build has no CUDA backend (configure with -DELBO_CUDA=ON) and no device");
#endif
  return false;
}

// ---- comparison ---------------------------------------------------------------------------------

// The relative tolerance of a dtype: f32 results may differ in rounding (other summation orders,
// CUDA's math library), f64 ones by a few units in the last place.
double default_rtol(DType t) { return t == DType::f64 ? 1e-11 : 1e-5; }

// got (from the GPU) against want (from the CPU), element by element:
//     |got − want| ≤ rtol · (|want| + rms(want)),   rms(want) = √(mean of want²)
// The second term is a floor for elements that cancel to near zero (a dot product of terms of
// either sign, 1 − σ(x) for large x): their rounding error is relative to the size of the terms,
// which the tensor's root mean square measures, not to their small result.
void check_close(const std::string& what, const Tensor& got, const Tensor& want, double rtol) {
  REQUIRE_MESSAGE(got.defined() == want.defined(), what << ": defined on one device only");
  if (!want.defined()) return;
  REQUIRE_MESSAGE(got.shape() == want.shape(), what << ": shape " << got.shape().str() << " vs " << want.shape().str());
  CHECK_MESSAGE(got.dtype() == want.dtype(), what << ": dtype " << dtype_name(got.dtype()) << " vs "
                                                  << dtype_name(want.dtype()));
  CHECK_MESSAGE(got.device() == kGpu, what << ": the result is on " << device_name(got.device()));
  CHECK_MESSAGE(want.device() == Device::cpu, what << ": the reference is on " << device_name(want.device()));
  const std::vector<double> g = got.to_vector(), w = want.to_vector();
  double squares = 0.0;
  for (double v : w) squares += v * v;
  const double scale = w.empty() ? 0.0 : std::sqrt(squares / static_cast<double>(w.size()));
  int failures = 0;
  double worst = 0.0;
  for (size_t i = 0; i < w.size(); ++i) {
    const double bound = rtol * (std::abs(w[i]) + scale);
    const double err = std::abs(g[i] - w[i]);
    const bool same_nan = std::isnan(g[i]) && std::isnan(w[i]);
    if (same_nan) continue;
    if (!(err <= bound)) {  // also catches a NaN on one side only
      if (failures++ < 5) FAIL_CHECK(what << ": element " << i << ": cuda " << g[i] << " vs cpu " << w[i]);
    }
    if (bound > 0) worst = std::max(worst, err / bound);
  }
  CHECK_MESSAGE(failures == 0, what << ": " << failures << " of " << w.size() << " elements differ (worst "
                                    << worst << "× the tolerance)");
}

// ---- the parity harness -------------------------------------------------------------------------

using Inputs = std::vector<Tensor>;
using OpFn = std::function<Tensor(const Inputs&)>;

struct ParityOptions {
  double rtol = 0.0;     // 0: default_rtol of the output's dtype
  bool gradients = true;  // also compare the input gradients
};

// Runs f on `inputs` (CPU tensors) and on copies of them moved to the GPU, and compares
//   * the outputs, and
//   * for every floating-point input, the gradient of L = Σ w ⊙ f(inputs) for fixed random
//     weights w (the same on both devices),
// within the tolerance. Leaves are fresh on each device; views taken inside f (transposes, slices,
// broadcasts) reach the kernels as strided operands.
void check_parity(const std::string& name, const OpFn& f, const Inputs& inputs, ParityOptions options = {}) {
  INFO("op: " << name);
  Tensor outputs[2];
  std::vector<Tensor> grads[2];
  const Device devices[2] = {Device::cpu, kGpu};
  for (int d = 0; d < 2; ++d) {
    Inputs leaves;
    for (const Tensor& x : inputs) {
      REQUIRE_MESSAGE(x.device() == Device::cpu, name << ": inputs are given on the CPU");
      Tensor leaf = devices[d] == Device::cpu ? x.clone() : x.to(kGpu);
      if (options.gradients && is_floating(leaf.dtype())) leaf.requires_grad_(true);
      leaves.push_back(leaf);
    }
    Tensor out = f(leaves);
    REQUIRE_MESSAGE(out.device() == devices[d], name << ": output on " << device_name(out.device()));
    outputs[d] = out.detach();
    if (options.gradients && out.requires_grad()) {
      Tensor w = normal(out.shape(), 4242, 17, 0, out.dtype()).to(devices[d]);
      sum(mul(out, w)).backward();
    }
    for (const Tensor& leaf : leaves) grads[d].push_back(leaf.requires_grad() ? leaf.grad() : Tensor());
  }
  const double rtol = options.rtol > 0 ? options.rtol : default_rtol(outputs[0].dtype());
  check_close(name + " forward", outputs[1], outputs[0], rtol);
  for (size_t k = 0; k < inputs.size(); ++k)
    check_close(name + " gradient of input " + std::to_string(k), grads[1][k], grads[0][k], rtol);
}

// Uniform values in [lo, hi) on the CPU.
Tensor random_input(const Shape& shape, uint64_t seed, double lo = -1.0, double hi = 1.0, DType dtype = DType::f32) {
  return to_dtype(add(mul(uniform(shape, seed, 3, 0, DType::f64), hi - lo), lo), dtype);
}

const DType kFloatTypes[] = {DType::f32, DType::f64};

// Parameters and input range of each unary op for the comparison.
struct UnaryCase {
  UnaryOp op;
  double a, b, lo, hi;
};
const UnaryCase kUnaryCases[] = {
    {UnaryOp::neg, 0, 0, -3, 3},         {UnaryOp::exp, 0, 0, -3, 3},          {UnaryOp::log, 0, 0, 0.05, 4},
    {UnaryOp::log1p, 0, 0, -0.6, 4},     {UnaryOp::sqrt, 0, 0, 0.05, 4},       {UnaryOp::abs, 0, 0, -3, 3},
    {UnaryOp::square, 0, 0, -3, 3},      {UnaryOp::relu, 0, 0, -3, 3},         {UnaryOp::leaky_relu, 0.1, 0, -3, 3},
    {UnaryOp::elu, 1.3, 0, -3, 3},       {UnaryOp::sigmoid, 0, 0, -8, 8},      {UnaryOp::tanh, 0, 0, -4, 4},
    {UnaryOp::softplus, 0, 0, -8, 8},    {UnaryOp::silu, 0, 0, -6, 6},         {UnaryOp::pow_scalar, 2.5, 0, 0.1, 2},
    {UnaryOp::pow_scalar, -1.5, 0, 0.2, 2}, {UnaryOp::soft_clamp, 0.7, 0, -3, 3}, {UnaryOp::clamp, -0.3, 0.4, -1, 1},
    {UnaryOp::scale, -1.75, 0, -3, 3},   {UnaryOp::add_scalar, 0.625, 0, -3, 3},
};

// ---- training ------------------------------------------------------------------------------------

struct TrainRun {
  std::vector<double> losses;
  std::vector<unsigned char> parameter_bytes;
};

// The conv β-VAE of tests/core/test_determinism.cpp trained `steps` Adam steps on `device`.
TrainRun train_conv_vae(Device device, DType dtype, int steps) {
  nn::Init init{.seed = 11, .dtype = dtype, .device = device};
  models::Vae model(init, models::Architecture::conv64, 6);
  nn::Optimizer opt = nn::adam(model.parameters(), 1e-3);
  TrainRun run;
  for (int step = 0; step < steps; ++step) {
    Tensor x = to_dtype(toy_shapes(8, 64, 5, static_cast<uint64_t>(step) * 8), dtype).to(device);
    run.losses.push_back(models::train_step(model, opt, x, 4.0, 3, static_cast<uint64_t>(step)).loss);
  }
  for (const Tensor& p : model.parameters()) {
    Tensor host = p.detach().to(Device::cpu);
    const auto* b = static_cast<const unsigned char*>(host.raw_data());
    run.parameter_bytes.insert(run.parameter_bytes.end(), b, b + host.numel() * static_cast<int64_t>(dtype_size(host.dtype())));
  }
  return run;
}

}  // namespace

// ---- elementwise ------------------------------------------------------------------------------------

TEST_CASE("cuda: every unary op and its gradient, contiguous and strided, f32 and f64") {
  if (!cuda_ready()) return;
  for (DType t : kFloatTypes)
    for (const UnaryCase& c : kUnaryCases) {
      const std::string name = std::string(unary_op_name(c.op)) + " " + dtype_name(t);
      const Tensor x = random_input(Shape{5, 7, 33}, 1 + static_cast<uint64_t>(c.op), c.lo, c.hi, t);
      check_parity(name, [&](const Inputs& v) { return unary(c.op, v[0], c.a, c.b); }, {x});
      check_parity(name + " transposed", [&](const Inputs& v) { return unary(c.op, transpose(v[0], 0, 2), c.a, c.b); }, {x});
      check_parity(name + " one element", [&](const Inputs& v) { return unary(c.op, v[0], c.a, c.b); },
                   {random_input(Shape{1}, 2, c.lo, c.hi, t)});
    }
}

TEST_CASE("cuda: binary ops with broadcasting and strided operands, f32 and f64") {
  if (!cuda_ready()) return;
  for (DType t : kFloatTypes) {
    const std::string d = dtype_name(t);
    const Tensor a = random_input(Shape{4, 1, 33}, 11, -2, 2, t), b = random_input(Shape{5, 33}, 12, -2, 2, t);
    const Tensor pos = random_input(Shape{4, 1, 33}, 13, 0.2, 2, t), away = random_input(Shape{5, 33}, 14, 0.5, 2, t);
    check_parity("add " + d, [](const Inputs& v) { return add(v[0], v[1]); }, {a, b});
    check_parity("sub " + d, [](const Inputs& v) { return sub(v[0], v[1]); }, {a, b});
    check_parity("mul " + d, [](const Inputs& v) { return mul(v[0], v[1]); }, {a, b});
    check_parity("div " + d, [](const Inputs& v) { return div(v[0], v[1]); }, {a, away});
    check_parity("pow " + d, [](const Inputs& v) { return pow(v[0], v[1]); }, {pos, b});
    check_parity("maximum " + d, [](const Inputs& v) { return maximum(v[0], v[1]); }, {a, b});
    check_parity("minimum " + d, [](const Inputs& v) { return minimum(v[0], v[1]); }, {a, b});
    check_parity("equal " + d, [](const Inputs& v) { return equal(v[0], clamp(v[0], -0.5, 0.5)); }, {a});
    check_parity("greater " + d, [](const Inputs& v) { return greater(v[0], v[1]); }, {a, b});
    // [N, C, H, W] + a per-channel column, a transposed operand, a sliced operand
    check_parity("add channel " + d, [](const Inputs& v) { return add(v[0], reshape(v[1], Shape{1, 3, 1, 1})); },
                 {random_input(Shape{2, 3, 5, 7}, 15, -1, 1, t), random_input(Shape{3}, 16, -1, 1, t)});
    check_parity("mul transposed " + d, [](const Inputs& v) { return mul(transpose(v[0], 0, 1), v[1]); },
                 {random_input(Shape{33, 65}, 17, -1, 1, t), random_input(Shape{65, 33}, 18, -1, 1, t)});
    check_parity("sub sliced " + d, [](const Inputs& v) { return sub(slice(v[0], 1, 1, 30, 3), v[1]); },
                 {random_input(Shape{7, 31}, 19, -1, 1, t), random_input(Shape{7, 10}, 20, -1, 1, t)});
    check_parity("scalars " + d, [](const Inputs& v) { return neg(add(mul(v[0], -1.5), 2.5)) / 3.0; }, {a});
    check_parity("in place " + d, [](const Inputs& v) {
      Tensor c = v[0].detach().clone();
      add_(c, v[1].detach(), -0.5);  // broadcast [5, 33] into [4, 5, 33], scaled
      mul_(c, 3.0);
      add_(c, v[1].detach());
      return c;
    }, {expand(a, Shape{4, 5, 33}).contiguous(), b});
  }
}

TEST_CASE("cuda: the gemm kernel with alpha, beta, transposes, a shared operand and an empty inner dimension") {
  if (!cuda_ready()) return;
  for (DType t : kFloatTypes)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (int64_t K : {int64_t(0), int64_t(1), int64_t(37)}) {
          const int64_t batch = 3, M = 5, N = 9;
          const Tensor a = random_input(ta ? Shape{1, K, M} : Shape{1, M, K}, 141, -1, 1, t);  // shared over the batch
          const Tensor b = random_input(tb ? Shape{batch, N, K} : Shape{batch, K, N}, 142, -1, 1, t);
          const Tensor c = random_input(Shape{batch, M, N}, 143, -1, 1, t);
          Tensor c_cpu = c.clone(), c_gpu = c.to(kGpu);
          backend(Device::cpu).gemm(ta, tb, 0.5, a, b, 2.0, c_cpu);
          backend(kGpu).gemm(ta, tb, 0.5, a.to(kGpu), b.to(kGpu), 2.0, c_gpu);
          check_close(std::string("gemm ") + (ta ? "aᵀ" : "a") + (tb ? " bᵀ" : " b") + " K " + std::to_string(K) + " " +
                          dtype_name(t),
                      c_gpu, c_cpu, default_rtol(t));
        }
}

// ---- reductions ----------------------------------------------------------------------------------------

TEST_CASE("cuda: sum, mean, max and logsumexp over axis sets, short and long reductions, strided inputs") {
  if (!cuda_ready()) return;
  for (DType t : kFloatTypes) {
    const std::string d = dtype_name(t);
    const Tensor small = random_input(Shape{7, 33}, 21, -1, 1, t);
    const Tensor big = random_input(Shape{3, 300, 5}, 22, -1, 1, t);   // 900 reduced elements: the block kernel
    const Tensor flat = random_input(Shape{70001}, 23, -1, 1, t);      // many rounds per thread
    const std::vector<std::vector<int>> axis_sets = {{}, {0}, {1}, {-1}, {0, 1}};
    for (const auto& axes : axis_sets)
      for (bool keep : {false, true}) {
        std::string where = " axes";
        for (int a : axes) where.append(1, ' ').append(std::to_string(a));
        where += keep ? " keepdim " : " ";
        check_parity("sum" + where + d, [&](const Inputs& v) { return sum(v[0], axes, keep); }, {small});
        check_parity("mean" + where + d, [&](const Inputs& v) { return mean(v[0], axes, keep); }, {big});
        check_parity("max" + where + d, [&](const Inputs& v) { return max(v[0], axes, keep); }, {small});
        check_parity("logsumexp" + where + d, [&](const Inputs& v) { return logsumexp(v[0], axes, keep); }, {big});
      }
    check_parity("sum axes 0 2 " + d, [](const Inputs& v) { return sum(v[0], {0, 2}, false); }, {big});
    check_parity("max axis 1 of 300 " + d, [](const Inputs& v) { return max(v[0], {1}, true); }, {big});
    check_parity("sum of 70001 " + d, [](const Inputs& v) { return sum(v[0]); }, {flat});
    check_parity("max of 70001 " + d, [](const Inputs& v) { return max(v[0]); }, {flat});
    check_parity("sum of a transpose " + d, [](const Inputs& v) { return sum(transpose(v[0], 0, 2), {1}, false); }, {big});
    check_parity("conv bias gradient shape " + d, [](const Inputs& v) { return sum(v[0], {0, 2, 3}, false); },
                 {random_input(Shape{4, 3, 17, 9}, 24, -1, 1, t)});
    check_parity("sum_to " + d, [](const Inputs& v) { return sum_to(v[0], Shape{1, 300, 1}); }, {big});
  }
}

TEST_CASE("cuda: a reduction over an empty axis gives the identity") {
  if (!cuda_ready()) return;
  Tensor e = empty(Shape{3, 0}, DType::f32, kGpu);
  CHECK(sum(e, {1}, false).to_vector() == std::vector<double>{0, 0, 0});
}

// ---- shapes and copies ------------------------------------------------------------------------------------

TEST_CASE("cuda: views, copies, concatenation, padding, upsampling and pooling") {
  if (!cuda_ready()) return;
  for (DType t : kFloatTypes) {
    const std::string d = dtype_name(t);
    const Tensor x = random_input(Shape{2, 3, 6, 10}, 31, -1, 1, t);
    check_parity("reshape of a permute " + d, [](const Inputs& v) { return reshape(permute(v[0], {3, 1, 0, 2}), Shape{-1, 12}); }, {x});
    check_parity("expand " + d, [](const Inputs& v) { return contiguous(expand(v[0], Shape{4, 3, 5})); },
                 {random_input(Shape{1, 3, 1}, 32, -1, 1, t)});
    check_parity("slice with step " + d, [](const Inputs& v) { return contiguous(slice(v[0], 3, 1, 10, 4)); }, {x});
    check_parity("concat " + d, [](const Inputs& v) { return concat({v[0], v[1], v[0]}, 1); },
                 {random_input(Shape{2, 3, 5}, 33, -1, 1, t), random_input(Shape{2, 1, 5}, 34, -1, 1, t)});
    check_parity("split " + d, [](const Inputs& v) {
      std::vector<Tensor> parts = split(v[0], {1, 4, 5}, 3);
      return concat({parts[2], parts[0]}, 3);
    }, {x});
    check_parity("chunk " + d, [](const Inputs& v) { return mul(chunk(v[0], 3, 1)[1], chunk(v[0], 3, 1)[2]); }, {x});
    check_parity("pad2d " + d, [](const Inputs& v) { return pad2d(v[0], 1, 2, 0, 3, -0.5); }, {x});
    check_parity("upsample_nearest2d " + d, [](const Inputs& v) { return upsample_nearest2d(v[0], 3); }, {x});
    check_parity("avg_pool2d " + d, [](const Inputs& v) { return avg_pool2d(v[0], 2); }, {x});
    check_parity("global_avg_pool2d " + d, [](const Inputs& v) { return global_avg_pool2d(v[0]); }, {x});
    check_parity("flatten " + d, [](const Inputs& v) { return flatten(transpose(v[0], 1, 2)); }, {x});
    check_parity("to_dtype " + d, [](const Inputs& v) { return to_dtype(transpose(v[0], 0, 3), DType::f64); }, {x});
  }
}

TEST_CASE("cuda: copies between the devices keep values through strides, broadcasts and dtypes") {
  if (!cuda_ready()) return;
  using testing::same_bytes;
  const Tensor x = random_input(Shape{6, 9, 5}, 41);
  const Tensor view = slice(transpose(x, 0, 2), 1, 1, 9, 2);  // strided host view [5, 4, 6]
  // host → device → host, exactly
  CHECK(same_bytes(view.to(kGpu).to(Device::cpu), contiguous(view)));
  CHECK(same_bytes(x.to(kGpu).to(Device::cpu), x));
  // a strided device view back to the host, and a broadcast host view to the device
  const Tensor on_gpu = x.to(kGpu);
  CHECK(same_bytes(slice(transpose(on_gpu, 0, 2), 1, 1, 9, 2).to(Device::cpu), contiguous(view)));
  const Tensor row = random_input(Shape{1, 5}, 42);
  CHECK(same_bytes(expand(row, Shape{4, 5}).to(kGpu).to(Device::cpu), contiguous(expand(row, Shape{4, 5}))));
  // copy_ into strided destinations across devices, with dtype conversion
  Tensor host_dst = zeros(Shape{4, 12}, DType::f64);
  Tensor dev_src = random_input(Shape{4, 4}, 43).to(kGpu);
  copy_(slice(host_dst, 1, 2, 12, 3), dev_src);  // device f32 → strided host f64
  Tensor want = zeros(Shape{4, 12}, DType::f64);
  copy_(slice(want, 1, 2, 12, 3), dev_src.to(Device::cpu));
  CHECK(same_bytes(host_dst, want));
  Tensor dev_dst = zeros(Shape{4, 12}, DType::f64, kGpu);
  copy_(slice(dev_dst, 1, 2, 12, 3), random_input(Shape{4, 1}, 44));  // broadcast host f32 → strided device f64
  Tensor want2 = zeros(Shape{4, 12}, DType::f64);
  copy_(slice(want2, 1, 2, 12, 3), random_input(Shape{4, 1}, 44));
  CHECK(same_bytes(dev_dst.to(Device::cpu), want2));
  // dtype conversions on the device
  const Tensor ints = from_values(Shape{2, 3}, {-7, 0, 3, 250, 12, 1}, DType::i64);
  for (DType from : {DType::i32, DType::i64, DType::u8, DType::f64}) {
    const Tensor h = to_dtype(abs(to_dtype(ints, DType::f64)), from);
    CHECK_MESSAGE(same_bytes(to_dtype(h.to(kGpu), DType::f32).to(Device::cpu), to_dtype(h, DType::f32)),
                  "conversion from " << dtype_name(from));
  }
  // fill of a strided device view
  Tensor filled = zeros(Shape{5, 8}, DType::f32, kGpu);
  fill_(slice(filled, 1, 1, 8, 3), 2.5);
  Tensor filled_cpu = zeros(Shape{5, 8});
  fill_(slice(filled_cpu, 1, 1, 8, 3), 2.5);
  CHECK(same_bytes(filled.to(Device::cpu), filled_cpu));
  // values made on the device, host reads of device tensors
  Tensor made = from_vector(Shape{2, 2}, {1.5, -2, 3.25, 4}, DType::f64, kGpu);
  CHECK(made.device() == kGpu);
  CHECK(made.to_vector() == std::vector<double>{1.5, -2, 3.25, 4});
  CHECK(slice(made, 1, 1, 2).to_vector() == std::vector<double>{-2, 4});
  CHECK(made.to(Device::cpu).to_vector() == std::vector<double>{1.5, -2, 3.25, 4});
  CHECK(slice(reshape(made, Shape{4}), 0, 2, 3).item() == 3.25);
  CHECK(full(Shape{}, 7.0, DType::f32, kGpu).item() == 7.0);
  CHECK(empty(Shape{0, 3}, DType::f32, kGpu).to_vector().empty());
  // gradients flow back across the devices
  Tensor leaf = random_input(Shape{3, 4}, 45).requires_grad_();
  sum(mul(leaf.to(kGpu), 3.0)).backward();
  REQUIRE(leaf.grad().defined());
  CHECK(leaf.grad().device() == Device::cpu);
  CHECK(leaf.grad().to_vector() == std::vector<double>(12, 3.0));
}

// ---- matrix products and convolutions -----------------------------------------------------------------------

TEST_CASE("cuda: matmul and linear: odd sizes, single rows and columns, batches, broadcasts, transposed operands") {
  if (!cuda_ready()) return;
  for (DType t : kFloatTypes) {
    const std::string d = dtype_name(t);
    auto mm = [](const Inputs& v) { return matmul(v[0], v[1]); };
    check_parity("matmul 7x33 33x5 " + d, mm, {random_input(Shape{7, 33}, 51, -1, 1, t), random_input(Shape{33, 5}, 52, -1, 1, t)});
    check_parity("matmul 1x1 " + d, mm, {random_input(Shape{1, 1}, 53, -1, 1, t), random_input(Shape{1, 1}, 54, -1, 1, t)});
    check_parity("matmul 65x1 1x3 " + d, mm, {random_input(Shape{65, 1}, 55, -1, 1, t), random_input(Shape{1, 3}, 56, -1, 1, t)});
    check_parity("matmul 1x129 129x1 " + d, mm, {random_input(Shape{1, 129}, 57, -1, 1, t), random_input(Shape{129, 1}, 58, -1, 1, t)});
    check_parity("matmul batched with a 2-D operand " + d, mm,
                 {random_input(Shape{3, 7, 33}, 59, -1, 1, t), random_input(Shape{33, 5}, 60, -1, 1, t)});
    check_parity("matmul batched " + d, mm, {random_input(Shape{3, 7, 33}, 61, -1, 1, t), random_input(Shape{3, 33, 5}, 62, -1, 1, t)});
    check_parity("matmul broadcast batches " + d, mm,
                 {random_input(Shape{2, 1, 4, 6}, 63, -1, 1, t), random_input(Shape{3, 6, 5}, 64, -1, 1, t)});
    check_parity("matmul transposed operands " + d,
                 [](const Inputs& v) { return matmul(transpose(v[0], 0, 1), transpose(v[1], 0, 1)); },
                 {random_input(Shape{33, 7}, 65, -1, 1, t), random_input(Shape{5, 33}, 66, -1, 1, t)});
    check_parity("matmul sliced rows " + d, [](const Inputs& v) { return matmul(slice(v[0], 0, 0, 9, 2), v[1]); },
                 {random_input(Shape{9, 40}, 67, -1, 1, t), random_input(Shape{40, 17}, 68, -1, 1, t)});
    auto lin = [](const Inputs& v) { return linear(v[0], v[1], v[2]); };
    check_parity("linear batch 1 " + d, lin,
                 {random_input(Shape{1, 33}, 69, -1, 1, t), random_input(Shape{17, 33}, 70, -1, 1, t), random_input(Shape{17}, 71, -1, 1, t)});
    check_parity("linear " + d, lin,
                 {random_input(Shape{9, 129}, 72, -1, 1, t), random_input(Shape{65, 129}, 73, -1, 1, t), random_input(Shape{65}, 74, -1, 1, t)});
    check_parity("linear without bias " + d, [](const Inputs& v) { return linear(v[0], v[1], Tensor()); },
                 {random_input(Shape{64, 300}, 75, -1, 1, t), random_input(Shape{257, 300}, 76, -1, 1, t)});
    check_parity("linear+relu of 3 stacked layers " + d,
                 [](const Inputs& v) { return linear(v[0], v[1], v[2], FusedActivation::relu); },
                 {random_input(Shape{3, 9, 33}, 77, -1, 1, t), random_input(Shape{3, 17, 33}, 78, -1, 1, t),
                  random_input(Shape{3, 17}, 79, -1, 1, t)});
  }
}

TEST_CASE("cuda: conv2d and conv_transpose2d: strides, padding, dilation, groups, depthwise, batch 1") {
  if (!cuda_ready()) return;
  struct Case {
    int64_t N, C_in, H, W, C_out, K;
    Conv2dOptions o;
    bool bias;
  };
  const Case cases[] = {
      {1, 1, 5, 5, 1, 3, {}, false},
      {2, 3, 9, 7, 4, 3, {.stride = 2, .padding = 1}, true},
      {3, 4, 8, 8, 6, 3, {.padding = 2, .dilation = 2, .groups = 2}, true},
      {2, 6, 11, 6, 6, 3, {.padding = 1, .groups = 6}, true},  // depthwise
      {1, 2, 16, 16, 8, 4, {.stride = 2, .padding = 1}, true},  // the VAE's layer shape
      {2, 5, 7, 9, 3, 1, {}, true},                             // 1×1
      {4, 8, 6, 6, 8, 4, {.stride = 3, .padding = 1, .groups = 4}, false},
      {2, 3, 13, 10, 5, 5, {.stride = 2, .padding = 2, .dilation = 2}, true},
  };
  for (DType t : kFloatTypes)
    for (const Case& c : cases) {
      const std::string d = std::string(dtype_name(t)) + " N" + std::to_string(c.N) + " C" + std::to_string(c.C_in) + "→" +
                            std::to_string(c.C_out) + " K" + std::to_string(c.K) + " s" + std::to_string(c.o.stride) +
                            " p" + std::to_string(c.o.padding) + " d" + std::to_string(c.o.dilation) + " g" +
                            std::to_string(c.o.groups);
      const Tensor x = random_input(Shape{c.N, c.C_in, c.H, c.W}, 81, -1, 1, t);
      const Tensor w = random_input(Shape{c.C_out, c.C_in / c.o.groups, c.K, c.K}, 82, -0.5, 0.5, t);
      const Tensor b = random_input(Shape{c.C_out}, 83, -0.5, 0.5, t);
      const Conv2dOptions o = c.o;
      const bool with_bias = c.bias;
      check_parity("conv2d " + d, [o, with_bias](const Inputs& v) { return conv2d(v[0], v[1], with_bias ? v[2] : Tensor(), o); },
                   {x, w, b});
      // The transposed convolution of the same geometry maps [N, C_out, OH, OW] back to C_in
      // channels; output_padding 1 where the stride allows it.
      Conv2dOptions ot = o;
      ot.output_padding = o.stride > 1 ? 1 : 0;
      const Tensor y = conv2d(x, w, Tensor(), o);
      const Tensor wt = random_input(Shape{c.C_out, c.C_in / c.o.groups, c.K, c.K}, 84, -0.5, 0.5, t);
      const Tensor bt = random_input(Shape{c.C_in}, 85, -0.5, 0.5, t);
      check_parity("conv_transpose2d " + d,
                   [ot, with_bias](const Inputs& v) { return conv_transpose2d(v[0], v[1], with_bias ? v[2] : Tensor(), ot); },
                   {random_input(y.shape(), 86, -1, 1, t), wt, bt});
    }
  // samples whose column matrices exceed the kernels' buffer: processed 2, 2 and 1 at a time, the
  // weight gradient summed over the chunks. In f64: each weight's gradient sums 5·300·300 = 450,000
  // products, whose f32 sums in two orders differ by about √450,000 · 2⁻²⁴ ≈ 4e-5 relative, more
  // than f32's tolerance; f64 checks the chunking to 1e-11.
  check_parity("conv2d in chunks of samples", [](const Inputs& v) { return conv2d(v[0], v[1], v[2], {.padding = 1}); },
               {random_input(Shape{5, 16, 300, 300}, 90, -1, 1, DType::f64),
                random_input(Shape{4, 16, 3, 3}, 91, -0.2, 0.2, DType::f64), random_input(Shape{4}, 92, -1, 1, DType::f64)});
  // a strided input (the op makes it contiguous first)
  check_parity("conv2d of a transposed input",
               [](const Inputs& v) { return conv2d(transpose(v[0], 2, 3), v[1], v[2], {.padding = 1}); },
               {random_input(Shape{2, 3, 7, 5}, 87), random_input(Shape{4, 3, 3, 3}, 88), random_input(Shape{4}, 89)});
}

// ---- softmax, normalisation, losses ----------------------------------------------------------------------------

TEST_CASE("cuda: softmax and log_softmax over short and long rows and any axis") {
  if (!cuda_ready()) return;
  for (DType t : kFloatTypes) {
    const std::string d = dtype_name(t);
    for (const Shape& s : {Shape{5, 7}, Shape{3, 300}, Shape{2, 1}, Shape{4, 129}, Shape{1, 2000}}) {
      const Tensor x = random_input(s, 91, -6, 6, t);
      check_parity("softmax " + s.str() + " " + d, [](const Inputs& v) { return softmax(v[0]); }, {x});
      check_parity("log_softmax " + s.str() + " " + d, [](const Inputs& v) { return log_softmax(v[0]); }, {x});
    }
    const Tensor x = random_input(Shape{3, 40, 6}, 92, -6, 6, t);
    check_parity("softmax axis 1 " + d, [](const Inputs& v) { return softmax(v[0], 1); }, {x});
    check_parity("log_softmax axis 0 " + d, [](const Inputs& v) { return log_softmax(v[0], 0); }, {x});
  }
}

TEST_CASE("cuda: batch_norm in training and evaluation, and the VAE losses") {
  if (!cuda_ready()) return;
  for (DType t : kFloatTypes) {
    const std::string d = dtype_name(t);
    const Tensor x = random_input(Shape{6, 5, 3, 3}, 101, -2, 3, t);
    const Tensor gamma = random_input(Shape{5}, 102, 0.5, 1.5, t), beta = random_input(Shape{5}, 103, -0.5, 0.5, t);
    for (bool training : {true, false}) {
      check_parity(std::string("batch_norm ") + (training ? "training " : "evaluation ") + d,
                   [training](const Inputs& v) {
                     Tensor running_mean = full(Shape{5}, 0.25, v[0].dtype(), v[0].device());
                     Tensor running_var = full(Shape{5}, 1.5, v[0].dtype(), v[0].device());
                     Tensor y = batch_norm(v[0], v[1], v[2], running_mean, running_var, training, 0.1, 1e-5);
                     // the running statistics join the output, so that they are compared too
                     return add(y, sum(add(running_mean, running_var)));
                   },
                   {x, gamma, beta});
    }
    const Tensor a = random_input(Shape{7, 33}, 104, -3, 3, t), p = random_input(Shape{7, 33}, 105, 0.01, 0.99, t);
    const Tensor mu = random_input(Shape{7, 6}, 106, -1, 1, t), lv = random_input(Shape{7, 6}, 107, -2, 1, t);
    check_parity("bce_with_logits " + d, [](const Inputs& v) { return bce_with_logits(v[0], v[1]); }, {a, p});
    check_parity("gaussian_nll " + d, [](const Inputs& v) { return gaussian_nll(v[0], v[1], v[2]); },
                 {a, random_input(Shape{7, 33}, 108, -1, 1, t), random_input(Shape{7, 33}, 109, -1, 1, t)});
    check_parity("mse " + d, [](const Inputs& v) { return mse(v[0], v[1]); }, {a, p});
    check_parity("kl_standard_normal " + d, [](const Inputs& v) { return kl_standard_normal(v[0], v[1]); }, {mu, lv});
    check_parity("kl_diag_gaussians " + d, [](const Inputs& v) { return kl_diag_gaussians(v[0], v[1], v[2], v[3]); },
                 {mu, lv, random_input(Shape{7, 6}, 110, -1, 1, t), random_input(Shape{7, 6}, 111, -1, 1, t)});
    check_parity("reparameterize " + d, [](const Inputs& v) { return reparameterize(v[0], v[1], 9, 4, 13); }, {mu, lv});
    check_parity("reparameterize_with " + d,
                 [](const Inputs& v) { return reparameterize_with(v[0], v[1], v[2]); },
                 {mu, lv, random_input(Shape{7, 6}, 112, -2, 2, t)});
  }
}

// ---- random numbers -----------------------------------------------------------------------------------------

TEST_CASE("cuda: Philox draws are the CPU's, bit for bit") {
  if (!cuda_ready()) return;
  using testing::same_bytes;
  const uint64_t counters[] = {0, 5, (uint64_t(1) << 40) + 3};
  for (const Shape& s : {Shape{1}, Shape{7}, Shape{1023, 3}})
    for (uint64_t counter : counters)
      for (DType t : kFloatTypes) {
        const std::string what = s.str() + " counter " + std::to_string(counter) + " " + dtype_name(t);
        CHECK_MESSAGE(same_bytes(uniform(s, 77, 5, counter, t, kGpu).to(Device::cpu), uniform(s, 77, 5, counter, t)),
                      "uniform " << what);
        const Tensor gpu = normal(s, 77, 6, counter, t, kGpu).to(Device::cpu), cpu = normal(s, 77, 6, counter, t);
        if (t == DType::f32) {
          CHECK_MESSAGE(same_bytes(gpu, cpu), "normal " << what);
        } else {
          // Box–Muller in double uses the C library's log and cos on the host and CUDA's on the
          // device; both are within 1–2 ulp of the exact value, so f64 normals may differ there.
          check_close("normal " + what, normal(s, 77, 6, counter, t, kGpu), cpu, 1e-14);
        }
      }
}

// ---- optimisers ---------------------------------------------------------------------------------------------

TEST_CASE("cuda: SGD, Adam, AdamW and Adamax updates match the CPU over several steps") {
  if (!cuda_ready()) return;
  using MakeOptimizer = std::function<nn::Optimizer(std::vector<Tensor>)>;
  const std::pair<const char*, MakeOptimizer> optimizers[] = {
      {"sgd", [](std::vector<Tensor> p) { return nn::sgd(std::move(p), 0.1); }},
      {"sgd momentum nesterov decay", [](std::vector<Tensor> p) { return nn::sgd(std::move(p), 0.05, 0.9, 0.0, true, 0.01); }},
      {"sgd momentum dampening", [](std::vector<Tensor> p) { return nn::sgd(std::move(p), 0.05, 0.8, 0.3, false, 0.0); }},
      {"adam", [](std::vector<Tensor> p) { return nn::adam(std::move(p), 1e-2, 0.9, 0.999, 1e-8, 0.01); }},
      {"adamw", [](std::vector<Tensor> p) { return nn::adamw(std::move(p), 1e-2); }},
      {"adamax", [](std::vector<Tensor> p) { return nn::adamax(std::move(p), 2e-2, 0.9, 0.999, 1e-8, 0.01); }},
  };
  for (DType t : kFloatTypes)
    for (const auto& [name, make] : optimizers) {
      const Tensor start = random_input(Shape{37, 5}, 121, -1, 1, t);
      Tensor p_cpu = start.clone().requires_grad_(), p_gpu = start.to(kGpu).requires_grad_();
      nn::Optimizer opt_cpu = make({p_cpu}), opt_gpu = make({p_gpu});
      for (uint64_t step = 0; step < 4; ++step) {
        const Tensor g = random_input(Shape{37, 5}, 122 + step, -1, 1, t);
        p_cpu.set_grad(g.clone());
        p_gpu.set_grad(g.to(kGpu));
        opt_cpu.step();
        opt_gpu.step();
      }
      check_close(std::string(name) + " " + dtype_name(t), p_gpu.detach(), p_cpu.detach(), default_rtol(t));
    }
}

// ---- errors and memory -----------------------------------------------------------------------------------------

TEST_CASE("cuda: kernels reject operands on the other device, naming the op") {
  if (!cuda_ready()) return;
  const Tensor host = random_input(Shape{3, 4}, 131);
  const Tensor dev = empty(Shape{3, 4}, DType::f32, kGpu);
  CHECK_THROWS_WITH_AS(backend(kGpu).unary(UnaryOp::exp, 0, 0, host, dev), doctest::Contains("not on the cuda device"),
                       Error);
  CHECK_THROWS_WITH_AS(backend(kGpu).reduce(ReduceOp::sum, host, empty(Shape{1, 1}, DType::f32, kGpu)),
                       doctest::Contains("sum"), Error);
  CHECK_THROWS_AS(matmul(host, reshape(dev, Shape{4, 3})), Error);
}

TEST_CASE("cuda: without a visible device, a cuda tensor is refused with a message saying why") {
  if (device_available(kGpu)) return;  // the other tests cover the device
  CHECK_FALSE(device_available(kGpu));
  CHECK(device_available(Device::cpu));
#if defined(ELBO_WITH_CUDA)
  CHECK_THROWS_WITH_AS(empty(Shape{2}, DType::f32, kGpu), doctest::Contains("no CUDA device is visible"), Error);
#else
  CHECK_THROWS_WITH_AS(empty(Shape{2}, DType::f32, kGpu), doctest::Contains("reconfigure with -DELBO_CUDA=ON"), Error);
#endif
  CHECK_THROWS_AS(random_input(Shape{3}, 1).to(kGpu), Error);
}

TEST_CASE("cuda: a training step in steady state takes no new device memory") {
  if (!cuda_ready()) return;
  nn::Init init{.seed = 3, .device = kGpu};
  models::Vae model(init, models::Architecture::mlp784, 4);
  nn::Optimizer opt = nn::adam(model.parameters(), 1e-3);
  const Tensor x = uniform(Shape{16, 784}, 1, 2, 0, DType::f32, kGpu);
  for (uint64_t step = 0; step < 3; ++step) models::train_step(model, opt, x, 1.0, 7, step);
  const int64_t before = allocator_for(kGpu).stats().system_allocations;
  for (uint64_t step = 3; step < 6; ++step) models::train_step(model, opt, x, 1.0, 7, step);
  CHECK(allocator_for(kGpu).stats().system_allocations == before);
  CHECK(allocator_for(kGpu).stats().requests > 0);
}

// ---- a whole training run ------------------------------------------------------------------------------------

// How close two devices' loss curves can stay. Rounding differs from the first step (other
// summation orders, other math routines), and training amplifies it: in f32 a difference of
// 1e-7 can become 1e-4 after some 60 steps, when a ReLU changes side or an Adam update of a
// near-zero gradient changes sign. (Emulating the GPU kernels on the CPU with only the summation
// orders changed gave relative loss differences below 2e-7 up to step 60, then up to 2e-4 by
// step 85.) f64 leaves no room for that: its curves agree to 1e-14 over the 100 steps. So
// f64 checks the whole training pipeline tightly, and f32 checks it within what f32 allows.
TEST_CASE("cuda: the conv beta-VAE trains 100 steps in f64 with the CPU's loss curve") {
  if (!cuda_ready()) return;
  const int steps = 100;
  const TrainRun cpu = train_conv_vae(Device::cpu, DType::f64, steps);
  const TrainRun gpu = train_conv_vae(kGpu, DType::f64, steps);
  REQUIRE(gpu.losses.size() == cpu.losses.size());
  for (int s = 0; s < steps; ++s)
    CHECK_MESSAGE(std::abs(gpu.losses[s] - cpu.losses[s]) <= 1e-8 * std::abs(cpu.losses[s]),
                  "step " << s << ": cuda loss " << gpu.losses[s] << " vs cpu " << cpu.losses[s]);
  CHECK(cpu.losses.back() < 0.8 * cpu.losses.front());  // it trains
}

TEST_CASE("cuda: the conv beta-VAE in f32 follows the CPU's loss curve, and two GPU runs are bit-identical") {
  if (!cuda_ready()) return;
  const int steps = 100;
  const TrainRun cpu = train_conv_vae(Device::cpu, DType::f32, steps);
  const TrainRun gpu = train_conv_vae(kGpu, DType::f32, steps);
  const TrainRun again = train_conv_vae(kGpu, DType::f32, steps);
  REQUIRE(gpu.losses.size() == cpu.losses.size());
  double worst = 0.0;
  for (int s = 0; s < steps; ++s) {
    const double rel = std::abs(gpu.losses[s] - cpu.losses[s]) / std::abs(cpu.losses[s]);
    worst = std::max(worst, rel);
    const double bound = s < 50 ? 1e-4 : 1e-3;  // see above
    CHECK_MESSAGE(rel <= bound, "step " << s << ": cuda loss " << gpu.losses[s] << " vs cpu " << cpu.losses[s]);
  }
  MESSAGE("cuda: largest relative difference of the f32 loss over " << steps << " steps: " << worst);
  CHECK(gpu.losses == again.losses);
  REQUIRE(gpu.parameter_bytes.size() == again.parameter_bytes.size());
  CHECK(std::memcmp(gpu.parameter_bytes.data(), again.parameter_bytes.data(), gpu.parameter_bytes.size()) == 0);
}

TEST_CASE("cuda: an ensemble in one pass trains on the GPU as on the CPU, f64, and two GPU runs are bit-identical") {
  if (!cuda_ready()) return;
  // Three conv β-VAE members with their own seeds and β, 20 steps in one pass on each device.
  auto train = [](Device device) {
    std::vector<std::unique_ptr<models::Model>> models;
    std::vector<models::Model*> members;
    for (uint64_t k = 0; k < 3; ++k) {
      models::ModelConfig c;
      c.vae = {.architecture = "conv64", .latents = 3, .channels = 1, .image_size = 16};
      c.objective = models::objective_defaults(models::ObjectiveKind::beta_vae);
      c.objective.beta = 1.0 + static_cast<double>(k);
      c.optimizer.lr = 1e-3;
      c.seed = k;
      c.dtype = DType::f64;
      c.device = device;
      models.push_back(std::make_unique<models::Model>(c));
      members.push_back(models.back().get());
    }
    models::OnePassEnsemble ensemble(members);
    std::vector<double> losses;
    for (uint64_t t = 0; t < 20; ++t) {
      std::vector<Tensor> xs;
      for (uint64_t k = 0; k < 3; ++k) xs.push_back(to_dtype(toy_shapes(8, 16, 5, 100 * k + 8 * t), DType::f64).to(device));
      for (const models::StepReport& r : ensemble.step(xs, t)) losses.push_back(r.get("loss"));
    }
    return losses;
  };
  const std::vector<double> cpu = train(Device::cpu), gpu = train(kGpu), again = train(kGpu);
  REQUIRE(gpu.size() == cpu.size());
  for (size_t i = 0; i < cpu.size(); ++i)
    CHECK_MESSAGE(std::abs(gpu[i] - cpu[i]) <= 1e-8 * std::abs(cpu[i]),
                  "step " << i / 3 << ", member " << i % 3 << ": cuda loss " << gpu[i] << " vs cpu " << cpu[i]);
  CHECK(gpu == again);
}
