// Reductions: gradients of sum, mean, max and logsumexp over several axis sets (f64 finite
// differences), hand-computed values, every path of the kernel (rows, columns, both orders,
// long rows, many column blocks, the copied fallback, strided inputs and outputs) against a
// reference, precision, NaN, bit-identity at 1 and 2 threads, and errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "elbo/context.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::testing;
using elbo::testing::check_gradients;
using elbo::testing::random_f64;

namespace {

// Σ or max of x over `axes` (keepdim shape), naively in long double, for comparison.
std::vector<double> reference(const Tensor& x, const std::vector<int>& axes, bool is_max) {
  Shape s = x.shape(), out_shape = s;
  for (int a : axes) out_shape[a] = 1;
  std::vector<double> values = x.to_vector();
  std::vector<long double> acc(static_cast<size_t>(out_shape.numel()), is_max ? -INFINITY : 0.0L);
  for (int64_t i = 0; i < s.numel(); ++i) {
    int64_t rem = i, o = 0, stride = 1;
    for (int d = s.ndim - 1; d >= 0; --d) {
      int64_t idx = rem % s.dims[d];
      rem /= s.dims[d];
      if (out_shape.dims[d] != 1) o += idx * stride;
      stride *= out_shape.dims[d];
    }
    long double v = values[static_cast<size_t>(i)];
    long double& a = acc[static_cast<size_t>(o)];
    a = is_max ? std::max(a, v) : a + v;
  }
  return std::vector<double>(acc.begin(), acc.end());
}

struct Pattern {
  const char* what;
  Shape shape;
  std::vector<int> axes;
};

// One case per path of the kernel (see src/ops/cpu/reduce.cpp).
std::vector<Pattern> patterns() {
  return {
      {"everything (a loss)", Shape{100003}, {0}},
      {"everything, rank 3", Shape{37, 29, 41}, {0, 1, 2}},
      {"last axis (per row)", Shape{129, 517}, {1}},
      {"long rows (several segments)", Shape{3, 20011}, {1}},
      {"linear bias gradient [N,D] -> [1,D]", Shape{517, 67}, {0}},
      {"conv bias gradient [N,C,H,W] -> [1,C,1,1]", Shape{9, 5, 17, 19}, {0, 2, 3}},
      {"middle axis kept, short rows (columns first)", Shape{300, 8, 5}, {0, 2}},
      {"middle axis reduced", Shape{7, 300, 9}, {1}},
      {"alternating axes (copied first)", Shape{5, 7, 3, 4, 6}, {0, 2, 4}},
      {"nothing reduced but extent-1 axes", Shape{4, 1, 6}, {1}},
  };
}

}  // namespace

TEST_CASE("reduce: gradients of sum, mean, max and logsumexp over axis sets") {
  struct Axes {
    std::vector<int> axes;
    bool keepdim;
  };
  std::vector<Axes> sets = {{{}, false}, {{0}, false}, {{1}, true}, {{0, 2}, false}, {{-1}, true}, {{0, 1, 2}, true}};
  uint64_t seed = 500;
  for (const Axes& s : sets) {
    std::string where = " axes " + std::to_string(s.axes.size()) + (s.keepdim ? " keepdim" : "");
    Tensor x = random_f64(Shape{2, 3, 4}, seed++);
    check_gradients("sum" + where, [&](const std::vector<Tensor>& in) { return sum(in[0], s.axes, s.keepdim); }, {x});
    check_gradients("mean" + where, [&](const std::vector<Tensor>& in) { return mean(in[0], s.axes, s.keepdim); }, {x});
    check_gradients("max" + where, [&](const std::vector<Tensor>& in) { return max(in[0], s.axes, s.keepdim); }, {x});
    check_gradients("logsumexp" + where,
                    [&](const std::vector<Tensor>& in) { return logsumexp(in[0], s.axes, s.keepdim); }, {x});
  }
  // A bias-gradient shape through sum_to, the backward of every broadcast.
  Tensor g = random_f64(Shape{2, 3, 2, 2}, seed++), b = random_f64(Shape{1, 3, 1, 1}, seed++);
  check_gradients("add bias", [](const std::vector<Tensor>& in) { return mul(add(in[0], in[1]), in[0]); }, {g, b});
}

TEST_CASE("reduce: values against hand-computed numbers") {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor x = from_values(Shape{2, 3}, {1, 2, 3, 4, 5, 6}, dt);
    CHECK(sum(x).item() == 21);
    CHECK(sum(x, {0}).to_vector() == std::vector<double>{5, 7, 9});
    CHECK(sum(x, {1}).to_vector() == std::vector<double>{6, 15});
    CHECK(sum(x, {1}, true).shape() == Shape{2, 1});
    CHECK(sum(x, {0}).shape() == Shape{3});
    CHECK(mean(x, {0}).to_vector() == std::vector<double>{2.5, 3.5, 4.5});
    CHECK(mean(x).item() == 3.5);
    CHECK(max(x, {1}).to_vector() == std::vector<double>{3, 6});
    CHECK(max(x, {0}).to_vector() == std::vector<double>{4, 5, 6});
    CHECK(max(from_values(Shape{3}, {-5, -2, -7}, dt)).item() == -2);
    // logsumexp([0, ln 3]) = ln 4; with a large shift it must not overflow.
    Tensor l = from_values(Shape{2}, {0, std::log(3.0)}, dt);
    CHECK(logsumexp(l).item() == doctest::Approx(std::log(4.0)).epsilon(1e-6));
    CHECK(logsumexp(add(l, 1000.0)).item() == doctest::Approx(1000 + std::log(4.0)).epsilon(1e-6));
    // The bias-gradient pattern on a tiny tensor: [2, 2, 1, 2] → [1, 2, 1, 1].
    Tensor g = from_values(Shape{2, 2, 1, 2}, {1, 2, 10, 20, 3, 4, 30, 40}, dt);
    CHECK(sum(g, {0, 2, 3}, true).to_vector() == std::vector<double>{10, 100});
  }
}

TEST_CASE("reduce: every kernel path agrees with a long-double reference") {
  uint64_t seed = 600;
  for (const Pattern& p : patterns()) {
    for (DType dt : {DType::f32, DType::f64}) {
      Tensor x = to_dtype(normal(p.shape, seed++, 5), dt);
      std::vector<double> want_sum = reference(x, p.axes, false), want_max = reference(x, p.axes, true);
      std::vector<double> abs_sum = reference(abs(x), p.axes, false);
      std::vector<double> got_sum = sum(x, p.axes, true).to_vector(), got_max = max(x, p.axes, true).to_vector();
      REQUIRE(got_sum.size() == want_sum.size());
      // Accumulated in double, then rounded once: within an ulp of the result type, plus the
      // bound n·2^−53·Σ|x| on the double accumulation's own error (it matters for f64 only).
      const double rtol = dt == DType::f32 ? 0x1p-23 : 0x1p-52;
      const double n = static_cast<double>(x.numel() / static_cast<int64_t>(got_sum.size()));
      auto close = [&](double got, size_t i) {
        return std::abs(got - want_sum[i]) <= rtol * std::abs(want_sum[i]) + n * 0x1p-53 * abs_sum[i];
      };
      for (size_t i = 0; i < got_sum.size(); ++i) {
        CHECK_MESSAGE(close(got_sum[i], i),
                      p.what << " " << dtype_name(dt) << " sum[" << i << "]: " << got_sum[i] << " vs " << want_sum[i]);
        CHECK_MESSAGE(got_max[i] == want_max[i], p.what << " max[" << i << "]");
      }
      // A strided view of the same values (first and last axes transposed in memory) goes
      // through the copied layout and gives the same sums.
      if (x.ndim() >= 2) {
        Tensor t = transpose(contiguous(transpose(x, 0, -1)), 0, -1);
        REQUIRE_FALSE(t.is_contiguous());
        std::vector<double> strided = sum(t, p.axes, true).to_vector(), strided_max = max(t, p.axes, true).to_vector();
        for (size_t i = 0; i < strided.size(); ++i) {
          CHECK_MESSAGE(close(strided[i], i), p.what << " strided sum[" << i << "]");
          CHECK_MESSAGE(strided_max[i] == want_max[i], p.what << " strided max[" << i << "]");
        }
      }
    }
  }
}

TEST_CASE("reduce: results are bit-identical at 1 and 2 threads") {
  // f64 as well as f32: a change of order that the rounding to f32 hides shows in f64.
  uint64_t seed = 700;
  for (DType dt : {DType::f32, DType::f64}) {
    for (const Pattern& p : patterns()) {
      Tensor x = normal(p.shape, seed++, 5, 0, dt);
      check_thread_invariant(std::string("sum ") + p.what, [&] { return sum(x, p.axes, true); });
      check_thread_invariant(std::string("max ") + p.what, [&] { return max(x, p.axes, true); });
    }
    // Large enough that every stage runs in parallel.
    Tensor g = normal(Shape{64, 32, 16, 16}, 1, 5, 0, dt);
    check_thread_invariant("conv bias gradient", [&] { return sum(g, {0, 2, 3}, true); });
    Tensor h = normal(Shape{4096, 96}, 2, 5, 0, dt);
    check_thread_invariant("linear bias gradient", [&] { return sum(h, {0}, true); });
    check_thread_invariant("logsumexp rows", [&] { return logsumexp(h, {1}); });
  }
}

TEST_CASE("reduce: sums of f32 keep the digits an f32 accumulator would lose") {
  // 1 + 2^20 · 2^−25: an f32 running sum stays at 1, the double accumulation gives 1.03125.
  Tensor x = full(Shape{(1 << 20) + 1}, std::ldexp(1.0, -25));
  Tensor head = slice(x, 0, 0, 1);
  fill_(head, 1.0);
  CHECK(sum(x).item() == 1.03125);
  // The same down the columns of [n, 2].
  Tensor c = full(Shape{(1 << 20) + 1, 2}, std::ldexp(1.0, -25));
  fill_(slice(c, 0, 0, 1), 1.0);
  CHECK(sum(c, {0}).to_vector() == std::vector<double>{1.03125, 1.03125});
}

TEST_CASE("reduce: NaN, infinities and zero-size inputs") {
  Tensor x = from_values(Shape{2, 3}, {1, NAN, 3, -INFINITY, -INFINITY, -INFINITY});
  std::vector<double> m = max(x, {1}).to_vector();
  CHECK(std::isnan(m[0]));
  CHECK(m[1] == -INFINITY);
  CHECK(std::isnan(sum(x, {1}).to_vector()[0]));
  Tensor big = normal(Shape{300, 40}, 3, 5);
  fill_(slice(slice(big, 0, 250, 251), 1, 7, 8), NAN);
  std::vector<double> cols = max(big, {0}).to_vector();
  CHECK(std::isnan(cols[7]));
  CHECK_FALSE(std::isnan(cols[6]));
  Tensor empty_x = zeros(Shape{0, 3});
  CHECK(sum(empty_x, {0}).to_vector() == std::vector<double>{0, 0, 0});
  CHECK(sum(empty_x).item() == 0);
}

TEST_CASE("reduce: the kernel writes through a strided output") {
  Tensor x = normal(Shape{6, 4, 5}, 4, 5);
  Tensor buffer = zeros(Shape{4, 1, 1});
  Tensor out = permute(buffer, {1, 0, 2});  // [1, 4, 1] with strides that are not row-major
  backend(Device::cpu).reduce(ReduceOp::sum, x, out);
  std::vector<double> want = reference(x, {0, 2}, false), got = buffer.to_vector();
  for (size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));
}

TEST_CASE("reduce: errors name the op and the shapes") {
  Tensor x = zeros(Shape{2, 3});
  CHECK_THROWS_WITH_AS(sum(x, {2}), doctest::Contains("sum: axis 2 is out of range for a tensor of rank 2"), Error);
  CHECK_THROWS_WITH_AS(max(zeros(Shape{0})), doctest::Contains("max: reducing an empty tensor"), Error);
  CHECK_THROWS_WITH_AS(sum(zeros(Shape{2}, DType::i64)), doctest::Contains("sum: needs an f32 or f64 input"), Error);
  Backend& cpu = backend(Device::cpu);
  CHECK_THROWS_WITH_AS(cpu.reduce(ReduceOp::sum, x, zeros(Shape{2, 2})),
                       doctest::Contains("sum: output [2, 2] is not input [2, 3] with reduced axes of extent 1"), Error);
  CHECK_THROWS_WITH_AS(cpu.reduce(ReduceOp::max, x, zeros(Shape{2})),
                       doctest::Contains("max: output rank 1 differs from input rank 2"), Error);
}
