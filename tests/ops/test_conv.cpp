// Convolutions: conv2d and conv_transpose2d against direct loops written from the definitions,
// hand-computed values, finite-difference gradients (f64) of x, weight and bias over a grid of
// geometries, the adjoint identity <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>, output
// shapes, errors, and bit-identical results at 1 and 2 threads on layers of the benchmark VAE.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "elbo/context.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using elbo::testing::check_gradients;
using elbo::testing::random_f64;

namespace {

// One test geometry. For conv2d, x is [N, C, H, W] and the weight [O, C/G, KH, KW]; for
// conv_transpose2d, x is [N, C, H, W] and the weight [C, O/G, KH, KW].
struct Case {
  int64_t N, C, O, H, W, KH, KW;
  Conv2dOptions opt;
  const char* name;
};

std::string describe(const Case& k) {
  return std::string(k.name) + " (N" + std::to_string(k.N) + " C" + std::to_string(k.C) + " O" +
         std::to_string(k.O) + " " + std::to_string(k.H) + "x" + std::to_string(k.W) + " k" + std::to_string(k.KH) +
         "x" + std::to_string(k.KW) + " s" + std::to_string(k.opt.stride) + " p" + std::to_string(k.opt.padding) +
         " d" + std::to_string(k.opt.dilation) + " g" + std::to_string(k.opt.groups) + " op" +
         std::to_string(k.opt.output_padding) + ")";
}

int64_t conv_out(int64_t in, int64_t k, const Conv2dOptions& o) {
  return (in + 2 * o.padding - o.dilation * (k - 1) - 1) / o.stride + 1;
}
int64_t transposed_out(int64_t in, int64_t k, const Conv2dOptions& o) {
  return (in - 1) * o.stride - 2 * o.padding + o.dilation * (k - 1) + o.output_padding + 1;
}

// y[n,o,i,j] = b[o] + Σ_{c ∈ group(o), p, q} w[o, c', p, q] · x[n, c, s·i − pad + d·p, s·j − pad + d·q]
std::vector<double> reference_conv2d(const Case& k, const std::vector<double>& x, const std::vector<double>& w,
                                     const std::vector<double>& b) {
  const auto& o = k.opt;
  const int64_t OH = conv_out(k.H, k.KH, o), OW = conv_out(k.W, k.KW, o), cg = k.C / o.groups, og = k.O / o.groups;
  std::vector<double> y(static_cast<size_t>(k.N * k.O * OH * OW));
  for (int64_t n = 0; n < k.N; ++n)
    for (int64_t oc = 0; oc < k.O; ++oc)
      for (int64_t i = 0; i < OH; ++i)
        for (int64_t j = 0; j < OW; ++j) {
          double s = b.empty() ? 0.0 : b[static_cast<size_t>(oc)];
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t p = 0; p < k.KH; ++p)
              for (int64_t q = 0; q < k.KW; ++q) {
                const int64_t h = i * o.stride - o.padding + p * o.dilation, v = j * o.stride - o.padding + q * o.dilation;
                if (h < 0 || h >= k.H || v < 0 || v >= k.W) continue;
                const int64_t ci = (oc / og) * cg + c;
                s += w[static_cast<size_t>(((oc * cg + c) * k.KH + p) * k.KW + q)] *
                     x[static_cast<size_t>(((n * k.C + ci) * k.H + h) * k.W + v)];
              }
          y[static_cast<size_t>(((n * k.O + oc) * OH + i) * OW + j)] = s;
        }
  return y;
}

// The transposed convolution as a scatter: every x[n, c, i, j] adds x · w[c, o', p, q] into
// y[n, o, s·i − pad + d·p, s·j − pad + d·q] for the outputs o of c's group.
std::vector<double> reference_conv_transpose2d(const Case& k, const std::vector<double>& x,
                                               const std::vector<double>& w, const std::vector<double>& b) {
  const auto& o = k.opt;
  const int64_t OH = transposed_out(k.H, k.KH, o), OW = transposed_out(k.W, k.KW, o);
  const int64_t cg = k.C / o.groups, og = k.O / o.groups;
  std::vector<double> y(static_cast<size_t>(k.N * k.O * OH * OW));
  for (int64_t n = 0; n < k.N; ++n)
    for (int64_t oc = 0; oc < k.O; ++oc)
      for (int64_t h = 0; h < OH * OW; ++h)
        y[static_cast<size_t>((n * k.O + oc) * OH * OW + h)] = b.empty() ? 0.0 : b[static_cast<size_t>(oc)];
  for (int64_t n = 0; n < k.N; ++n)
    for (int64_t c = 0; c < k.C; ++c)
      for (int64_t i = 0; i < k.H; ++i)
        for (int64_t j = 0; j < k.W; ++j)
          for (int64_t oo = 0; oo < og; ++oo)
            for (int64_t p = 0; p < k.KH; ++p)
              for (int64_t q = 0; q < k.KW; ++q) {
                const int64_t h = i * o.stride - o.padding + p * o.dilation, v = j * o.stride - o.padding + q * o.dilation;
                if (h < 0 || h >= OH || v < 0 || v >= OW) continue;
                const int64_t oc = (c / cg) * og + oo;
                y[static_cast<size_t>(((n * k.O + oc) * OH + h) * OW + v)] +=
                    x[static_cast<size_t>(((n * k.C + c) * k.H + i) * k.W + j)] *
                    w[static_cast<size_t>(((c * og + oo) * k.KH + p) * k.KW + q)];
              }
  return y;
}

Shape conv_weight_shape(const Case& k) { return Shape{k.O, k.C / k.opt.groups, k.KH, k.KW}; }
Shape transposed_weight_shape(const Case& k) { return Shape{k.C, k.O / k.opt.groups, k.KH, k.KW}; }

Conv2dOptions opts(int64_t stride, int64_t padding, int64_t dilation = 1, int64_t groups = 1, int64_t out_pad = 0) {
  return Conv2dOptions{.stride = stride, .padding = padding, .dilation = dilation, .groups = groups,
                       .output_padding = out_pad};
}

// Geometries for conv2d: stride 1/2, padding 0/1/2, dilation 1/2, groups 1/2/depthwise, odd
// sizes, batch 1, non-square kernels and inputs.
std::vector<Case> conv_cases() {
  return {
      {2, 3, 4, 7, 6, 3, 3, opts(1, 0), "plain 3x3"},
      {1, 2, 3, 8, 8, 4, 4, opts(2, 1), "stride 2 pad 1 (the VAE's layers)"},
      {2, 2, 2, 7, 9, 3, 3, opts(2, 1), "stride 2 odd sizes"},
      {1, 3, 2, 6, 7, 3, 3, opts(1, 2), "pad 2"},
      {1, 2, 3, 9, 8, 3, 3, opts(1, 1, 2), "dilation 2"},
      {2, 2, 2, 9, 9, 3, 2, opts(2, 2, 2), "stride 2 pad 2 dilation 2, 3x2 kernel"},
      {1, 4, 6, 6, 5, 3, 3, opts(1, 1, 1, 2), "groups 2"},
      {2, 4, 4, 7, 7, 3, 3, opts(2, 1, 1, 4), "depthwise"},
      {1, 3, 6, 5, 6, 3, 3, opts(1, 1, 1, 3), "depthwise x2"},
      // Depthwise with stride 1 runs in vectors along the rows (a whole one and a partial one here).
      {2, 5, 5, 9, 21, 5, 5, opts(1, 2, 1, 5), "depthwise 5x5 stride 1 (NVAE's), 21 columns"},
      {1, 3, 3, 8, 19, 3, 3, opts(1, 2, 2, 3), "depthwise stride 1 dilation 2 pad 2"},
      {1, 3, 3, 7, 6, 2, 3, opts(1, 0, 1, 3), "depthwise stride 1 no padding, 2x3 kernel"},
      {1, 2, 3, 5, 8, 2, 5, opts(1, 0), "2x5 kernel"},
      {1, 1, 2, 9, 7, 1, 1, opts(2, 0), "1x1 stride 2"},
      {1, 2, 2, 5, 5, 5, 5, opts(3, 2), "stride 3, kernel as large as the input"},
      {2, 9, 11, 5, 5, 3, 3, opts(1, 1), "9 to 11 channels (partial row tiles)"},
      // With 8 or more input channels per group the input gradient runs as tap tiles, with
      // fewer as columns (both forms of conv2d_backward_input).
      {1, 8, 3, 7, 7, 3, 3, opts(2, 2, 2), "8 channels, stride 2 pad 2 dilation 2"},
      {1, 16, 4, 6, 5, 3, 2, opts(2, 1, 1, 2), "16 channels in 2 groups, stride 2, 3x2 kernel"},
  };
}

// Geometries for conv_transpose2d (x is its input), output_padding included.
std::vector<Case> transposed_cases() {
  return {
      {2, 3, 2, 4, 5, 3, 3, opts(1, 0), "plain 3x3"},
      {1, 2, 3, 4, 4, 4, 4, opts(2, 1), "stride 2 pad 1 (the VAE's layers)"},
      {2, 2, 2, 3, 5, 3, 3, opts(2, 1, 1, 1, 1), "stride 2 output_padding 1"},
      {1, 3, 2, 4, 3, 3, 3, opts(1, 2), "pad 2"},
      {1, 2, 2, 3, 4, 3, 3, opts(2, 1, 2), "dilation 2"},
      {1, 2, 3, 3, 3, 3, 2, opts(2, 2, 2, 1, 1), "stride 2 pad 2 dilation 2 output_padding 1, 3x2 kernel"},
      {1, 4, 6, 4, 5, 3, 3, opts(1, 1, 1, 2), "groups 2"},
      {2, 4, 4, 4, 4, 3, 3, opts(2, 1, 1, 4, 1), "depthwise"},
      {1, 4, 4, 5, 18, 3, 3, opts(1, 1, 1, 4), "depthwise stride 1, 18 columns"},
      {1, 2, 3, 3, 4, 2, 5, opts(1, 0), "2x5 kernel"},
      {1, 2, 2, 3, 3, 2, 2, opts(3, 0, 1, 1, 2), "stride 3 > kernel 2 (output phases without taps)"},
      {2, 11, 9, 4, 3, 3, 3, opts(1, 1), "11 to 9 channels (partial row tiles)"},
      {1, 2, 8, 3, 4, 3, 2, opts(2, 1, 2, 1, 1), "to 8 channels, stride 2 dilation 2 output_padding 1"},
      {1, 4, 16, 3, 3, 3, 3, opts(2, 1, 1, 2, 1), "to 16 channels in 2 groups, stride 2 output_padding 1"},
  };
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol, const std::string& what) {
  REQUIRE(got.size() == want.size());
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (std::abs(got[i] - want[i]) > tol * (1.0 + std::abs(want[i])) && bad++ < 5)
      FAIL_CHECK(what << ": element " << i << " is " << got[i] << ", expected " << want[i]);
  CHECK_MESSAGE(bad == 0, what << ": " << bad << " elements differ");
}

std::vector<double> bytes_of(const Tensor& t) { return t.to_vector(); }

}  // namespace

TEST_CASE("conv2d: hand-computed values") {
  // w = [[1, 0], [0, −1]]: y[i, j] = x[i, j] − x[i + 1, j + 1] = −4 for x = 1..9 in a 3x3 grid.
  Tensor x = from_values(Shape{1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}, DType::f64);
  Tensor w = from_values(Shape{1, 1, 2, 2}, {1, 0, 0, -1}, DType::f64);
  CHECK(conv2d(x, w, Tensor()).to_vector() == std::vector<double>{-4, -4, -4, -4});
  // Stride 2, padding 1, all-ones 3x3 kernel, bias 0.5: sums of the in-bounds 3x3 windows.
  Tensor ones3 = ones(Shape{1, 1, 3, 3}, DType::f32);
  Tensor y = conv2d(x.to(DType::f32), ones3, from_values(Shape{1}, {0.5}), opts(2, 1));
  CHECK(y.shape() == Shape{1, 1, 2, 2});
  CHECK(y.to_vector() == std::vector<double>{12.5, 16.5, 24.5, 28.5});
}

TEST_CASE("conv_transpose2d: hand-computed values") {
  // Stride 2 with an all-ones 2x2 kernel copies each input into a 2x2 block.
  Tensor x = from_values(Shape{1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor w = ones(Shape{1, 1, 2, 2});
  Tensor y = conv_transpose2d(x, w, Tensor(), opts(2, 0));
  CHECK(y.shape() == Shape{1, 1, 4, 4});
  CHECK(y.to_vector() == std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  // Stride 1: the 2x2 kernel [[1, 2], [3, 4]] spread from a single 1.
  Tensor y1 = conv_transpose2d(from_values(Shape{1, 1, 1, 1}, {1}), from_values(Shape{1, 1, 2, 2}, {1, 2, 3, 4}),
                               from_values(Shape{1}, {-1}));
  CHECK(y1.to_vector() == std::vector<double>{0, 1, 2, 3});
}

TEST_CASE("conv2d: forward values match the direct loop (f64 and f32)") {
  std::vector<Case> cases = conv_cases();
  // Layers of the benchmark VAE, at a small batch: full register tiles and the 1-channel input.
  cases.push_back({2, 1, 32, 64, 64, 4, 4, opts(2, 1), "VAE conv1"});
  cases.push_back({3, 32, 32, 32, 32, 4, 4, opts(2, 1), "VAE conv2"});
  cases.push_back({5, 64, 64, 8, 8, 4, 4, opts(2, 1), "VAE conv4"});
  uint64_t seed = 100;
  for (const Case& k : cases) {
    CAPTURE(describe(k));
    Tensor x = random_f64(Shape{k.N, k.C, k.H, k.W}, ++seed);
    Tensor w = random_f64(conv_weight_shape(k), ++seed);
    Tensor b = random_f64(Shape{k.O}, ++seed);
    std::vector<double> want = reference_conv2d(k, x.to_vector(), w.to_vector(), b.to_vector());
    Tensor y = conv2d(x, w, b, k.opt);
    CHECK(y.shape() == Shape{k.N, k.O, conv_out(k.H, k.KH, k.opt), conv_out(k.W, k.KW, k.opt)});
    check_close(y.to_vector(), want, 1e-12, describe(k) + " f64");
    Tensor y32 = conv2d(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32), k.opt);
    check_close(y32.to_vector(), want, 2e-5 * std::sqrt(double(k.C * k.KH * k.KW)), describe(k) + " f32");
  }
}

TEST_CASE("conv_transpose2d: forward values match the direct loop (f64 and f32)") {
  std::vector<Case> cases = transposed_cases();
  cases.push_back({2, 32, 1, 32, 32, 4, 4, opts(2, 1), "VAE convT4"});
  cases.push_back({3, 32, 32, 16, 16, 4, 4, opts(2, 1), "VAE convT3"});
  cases.push_back({5, 64, 64, 4, 4, 4, 4, opts(2, 1), "VAE convT1"});
  uint64_t seed = 200;
  for (const Case& k : cases) {
    CAPTURE(describe(k));
    Tensor x = random_f64(Shape{k.N, k.C, k.H, k.W}, ++seed);
    Tensor w = random_f64(transposed_weight_shape(k), ++seed);
    Tensor b = random_f64(Shape{k.O}, ++seed);
    std::vector<double> want = reference_conv_transpose2d(k, x.to_vector(), w.to_vector(), b.to_vector());
    Tensor y = conv_transpose2d(x, w, b, k.opt);
    CHECK(y.shape() == Shape{k.N, k.O, transposed_out(k.H, k.KH, k.opt), transposed_out(k.W, k.KW, k.opt)});
    check_close(y.to_vector(), want, 1e-12, describe(k) + " f64");
    Tensor y32 = conv_transpose2d(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32), k.opt);
    check_close(y32.to_vector(), want, 2e-5 * std::sqrt(double(k.C * k.KH * k.KW)), describe(k) + " f32");
  }
}

TEST_CASE("conv2d: gradients of x, weight and bias (finite differences)") {
  uint64_t seed = 300;
  for (const Case& k : conv_cases()) {
    CAPTURE(describe(k));
    const Conv2dOptions o = k.opt;
    check_gradients(
        "conv2d " + describe(k), [o](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], in[2], o); },
        {random_f64(Shape{k.N, k.C, k.H, k.W}, ++seed), random_f64(conv_weight_shape(k), ++seed),
         random_f64(Shape{k.O}, ++seed)});
  }
}

TEST_CASE("conv_transpose2d: gradients of x, weight and bias (finite differences)") {
  uint64_t seed = 400;
  for (const Case& k : transposed_cases()) {
    CAPTURE(describe(k));
    const Conv2dOptions o = k.opt;
    check_gradients(
        "conv_transpose2d " + describe(k),
        [o](const std::vector<Tensor>& in) { return conv_transpose2d(in[0], in[1], in[2], o); },
        {random_f64(Shape{k.N, k.C, k.H, k.W}, ++seed), random_f64(transposed_weight_shape(k), ++seed),
         random_f64(Shape{k.O}, ++seed)});
  }
}

TEST_CASE("conv2d and conv_transpose2d: f32 gradients of x, weight and bias match f64") {
  // The f32 kernels (16-lane tiles, transposed gradient blocks, masked partial vectors) against
  // the f64 ones, which the finite-difference checks above hold to the definition. The VAE's
  // layers at a small batch add full 16 × 16 blocks, 32 and 64 output channels (one and two
  // tiles of output channels) and the 1-channel layers.
  std::vector<std::pair<Case, bool>> cases;  // (geometry, transposed)
  for (const Case& k : conv_cases()) cases.push_back({k, false});
  for (const Case& k : transposed_cases()) cases.push_back({k, true});
  cases.push_back({{2, 1, 32, 64, 64, 4, 4, opts(2, 1), "VAE conv1"}, false});
  cases.push_back({{3, 32, 64, 16, 16, 4, 4, opts(2, 1), "VAE conv3"}, false});
  cases.push_back({{2, 64, 64, 8, 8, 4, 4, opts(2, 1), "VAE conv4"}, false});
  cases.push_back({{2, 32, 1, 32, 32, 4, 4, opts(2, 1), "VAE convT4"}, true});
  cases.push_back({{3, 64, 32, 8, 8, 4, 4, opts(2, 1), "VAE convT2"}, true});
  cases.push_back({{2, 20, 40, 9, 9, 3, 3, opts(1, 1), "20 to 40 channels (partial vectors of output channels)"}, false});
  uint64_t seed = 600;
  for (const auto& [k, transposed] : cases) {
    CAPTURE(describe(k));
    CAPTURE(transposed);
    const Tensor x = random_f64(Shape{k.N, k.C, k.H, k.W}, ++seed);
    const Tensor w = random_f64(transposed ? transposed_weight_shape(k) : conv_weight_shape(k), ++seed);
    const Tensor b = random_f64(Shape{k.O}, ++seed);
    std::vector<double> grads[2];  // f64, f32: the input, weight and bias gradients, end to end
    int64_t positions = 0;         // output positions per output channel: the terms of a weight's gradient
    for (int f32 = 0; f32 <= 1; ++f32) {
      const DType t = f32 ? DType::f32 : DType::f64;
      Tensor xr = x.to(t).detach().requires_grad_(), wr = w.to(t).detach().requires_grad_();
      Tensor br = b.to(t).detach().requires_grad_();
      Tensor y = transposed ? conv_transpose2d(xr, wr, br, k.opt) : conv2d(xr, wr, br, k.opt);
      positions = y.size(0) * y.size(2) * y.size(3);
      sum(mul(y, random_f64(y.shape(), 7).to(t).detach())).backward();
      for (const Tensor& g : {xr.grad(), wr.grad(), br.grad()})
        for (double v : g.to_vector()) grads[f32].push_back(v);
    }
    check_close(grads[1], grads[0], 2e-5 * std::sqrt(double(positions * k.O * k.KH * k.KW)), describe(k) + " f32");
  }
}

TEST_CASE("conv2d and conv_transpose2d without bias, and through non-contiguous inputs") {
  const Conv2dOptions o = opts(2, 1);
  check_gradients("conv2d without bias", [o](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], Tensor(), o); },
                  {random_f64(Shape{2, 2, 6, 6}, 1), random_f64(Shape{3, 2, 3, 3}, 2)});
  check_gradients(
      "conv2d of a permuted input",
      [o](const std::vector<Tensor>& in) { return conv2d(permute(in[0], {0, 1, 3, 2}), in[1], in[2], o); },
      {random_f64(Shape{1, 2, 5, 6}, 3), random_f64(Shape{2, 2, 3, 3}, 4), random_f64(Shape{2}, 5)});
  check_gradients(
      "conv_transpose2d without bias",
      [o](const std::vector<Tensor>& in) { return conv_transpose2d(in[0], in[1], Tensor(), o); },
      {random_f64(Shape{2, 2, 3, 3}, 6), random_f64(Shape{2, 3, 3, 3}, 7)});
}

TEST_CASE("conv2d and conv_transpose2d are adjoint: <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>") {
  uint64_t seed = 500;
  for (const Case& k : conv_cases()) {
    CAPTURE(describe(k));
    Tensor x = random_f64(Shape{k.N, k.C, k.H, k.W}, ++seed);
    Tensor w = random_f64(conv_weight_shape(k), ++seed);
    Tensor cx = conv2d(x, w, Tensor(), k.opt);
    Tensor y = random_f64(cx.shape(), ++seed);
    // output_padding restores the rows the forward stride dropped, so the shapes round-trip.
    Conv2dOptions back = k.opt;
    back.output_padding = k.H - transposed_out(cx.size(2), k.KH, k.opt);
    REQUIRE(k.W - transposed_out(cx.size(3), k.KW, k.opt) == back.output_padding);
    Tensor ty = conv_transpose2d(y, w, Tensor(), back);
    REQUIRE(ty.shape() == x.shape());
    const double lhs = sum(mul(cx, y)).item(), rhs = sum(mul(x, ty)).item();
    CHECK(std::abs(lhs - rhs) <= 1e-12 * (1.0 + std::abs(lhs)));
    CHECK(std::abs(lhs) > 1e-3);  // not trivially 0 = 0
  }
}

TEST_CASE("conv2d and conv_transpose2d: output shapes") {
  Tensor x = zeros(Shape{2, 4, 17, 12});
  CHECK(conv2d(x, zeros(Shape{8, 4, 3, 3}), Tensor()).shape() == Shape{2, 8, 15, 10});
  CHECK(conv2d(x, zeros(Shape{8, 4, 3, 3}), Tensor(), opts(2, 1)).shape() == Shape{2, 8, 9, 6});
  CHECK(conv2d(x, zeros(Shape{8, 2, 3, 5}), Tensor(), opts(1, 2, 2, 2)).shape() == Shape{2, 8, 17, 8});
  CHECK(conv2d(zeros(Shape{64, 1, 64, 64}), zeros(Shape{32, 1, 4, 4}), zeros(Shape{32}), opts(2, 1)).shape() ==
        Shape{64, 32, 32, 32});
  CHECK(conv_transpose2d(x, zeros(Shape{4, 3, 4, 4}), Tensor(), opts(2, 1)).shape() == Shape{2, 3, 34, 24});
  CHECK(conv_transpose2d(x, zeros(Shape{4, 3, 3, 3}), Tensor(), opts(2, 1, 1, 1, 1)).shape() == Shape{2, 3, 34, 24});
  CHECK(conv_transpose2d(x, zeros(Shape{4, 1, 3, 3}), Tensor(), opts(1, 0, 1, 2)).shape() == Shape{2, 2, 19, 14});
  CHECK(conv_transpose2d(zeros(Shape{64, 32, 32, 32}), zeros(Shape{32, 1, 4, 4}), zeros(Shape{1}), opts(2, 1))
            .shape() == Shape{64, 1, 64, 64});
}

TEST_CASE("conv2d and conv_transpose2d: errors name the op and the shapes") {
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto has = [](const std::string& m, const char* part) {
    INFO(m);
    CHECK(m.find(part) != std::string::npos);
  };
  Tensor x = zeros(Shape{1, 3, 8, 8}), w = zeros(Shape{4, 3, 3, 3});
  std::string m = message([&] { conv2d(x, zeros(Shape{4, 2, 3, 3}), Tensor()); });
  has(m, "conv2d");
  has(m, "[1, 3, 8, 8]");
  has(m, "[4, 2, 3, 3]");
  has(message([&] { conv2d(zeros(Shape{3, 8, 8}), w, Tensor()); }), "conv2d: needs a 4-D input");
  m = message([&] { conv2d(x, w, zeros(Shape{3})); });
  has(m, "conv2d: bias");
  has(m, "[4]");
  has(message([&] { conv2d(x, w.to(DType::f64), Tensor()); }), "conv2d: needs an f32 or f64 input and weight");
  has(message([&] { conv2d(x, zeros(Shape{4, 3, 9, 9}), Tensor()); }), "smaller than the dilated kernel");
  has(message([&] { conv2d(x, w, Tensor(), opts(0, 1)); }), "conv2d: stride 0");
  has(message([&] { conv2d(x, zeros(Shape{4, 1, 3, 3}), Tensor(), opts(1, 1, 1, 2)); }), "conv2d: input [1, 3, 8, 8]");
  has(message([&] { conv2d(x, w, Tensor(), opts(2, 1, 1, 1, 1)); }), "applies only to conv_transpose2d");
  m = message([&] { conv_transpose2d(x, zeros(Shape{4, 3, 3, 3}), Tensor()); });
  has(m, "conv_transpose2d");
  has(m, "[1, 3, 8, 8]");
  has(m, "[4, 3, 3, 3]");
  has(message([&] { conv_transpose2d(x, zeros(Shape{3, 2, 3, 3}), Tensor(), opts(2, 1, 1, 1, 2)); }),
      "conv_transpose2d: output_padding 2 must be smaller");
  has(message([&] { conv_transpose2d(x, zeros(Shape{3, 2, 3, 3}), zeros(Shape{3})); }), "conv_transpose2d: bias");
}

TEST_CASE("conv2d and conv_transpose2d: bit-identical at 1 and 2 threads on the VAE's layers") {
  // conv2 (32→32, 32x32 → 16x16) and convT3 (32→32, 16x16 → 32x32) of the benchmark VAE, f32,
  // batch 64: the forward output and every gradient.
  struct Layer {
    bool transposed;
    Shape x, w;
  };
  const Layer layers[] = {{false, Shape{64, 32, 32, 32}, Shape{32, 32, 4, 4}},
                          {true, Shape{64, 32, 16, 16}, Shape{32, 32, 4, 4}}};
  const int before = num_threads();
  for (const Layer& layer : layers) {
    CAPTURE(layer.transposed);
    std::vector<std::vector<double>> results[2];
    for (int threads = 1; threads <= 2; ++threads) {
      set_num_threads(threads);
      Tensor x = normal(layer.x, 7, 1).requires_grad_();
      Tensor w = mul(normal(layer.w, 7, 2), 0.1).requires_grad_();
      Tensor b = normal(Shape{32}, 7, 3).requires_grad_();
      Tensor y = layer.transposed ? conv_transpose2d(x, w, b, opts(2, 1)) : conv2d(x, w, b, opts(2, 1));
      Tensor g = normal(y.shape(), 7, 4);
      sum(mul(y, g)).backward();
      results[threads - 1] = {bytes_of(y), bytes_of(x.grad()), bytes_of(w.grad()), bytes_of(b.grad())};
    }
    const char* names[] = {"output", "input gradient", "weight gradient", "bias gradient"};
    for (int i = 0; i < 4; ++i) {
      CAPTURE(names[i]);
      REQUIRE(results[0][i].size() == results[1][i].size());
      CHECK(std::memcmp(results[0][i].data(), results[1][i].data(), results[0][i].size() * sizeof(double)) == 0);
    }
  }
  set_num_threads(before);
}
