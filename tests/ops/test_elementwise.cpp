// Elementwise ops: gradients of every unary and binary op (f64 finite differences), forward
// values against hand-computed numbers, the f32 SIMD paths against f64, broadcasting patterns,
// bit-identity across thread counts and positions, and errors.
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

using UnaryFn = std::function<Tensor(const Tensor&)>;

struct NamedUnary {
  const char* name;
  UnaryFn f;
  double lo, hi;  // an input range away from kinks and outside the domain's edges
};

// Every differentiable unary op, on inputs where it is smooth.
std::vector<NamedUnary> unary_ops() {
  return {
      {"exp", [](const Tensor& x) { return exp(x); }, -2, 2},
      {"log", [](const Tensor& x) { return log(x); }, 0.2, 3},
      {"log1p", [](const Tensor& x) { return log1p(x); }, -0.7, 3},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, 0.2, 3},
      {"abs", [](const Tensor& x) { return abs(x); }, 0.1, 2},
      {"abs (negative)", [](const Tensor& x) { return abs(x); }, -2, -0.1},
      {"square", [](const Tensor& x) { return square(x); }, -2, 2},
      {"pow 2.5", [](const Tensor& x) { return pow(x, 2.5); }, 0.2, 2},
      {"pow -1.5", [](const Tensor& x) { return pow(x, -1.5); }, 0.5, 2},
      {"clamp", [](const Tensor& x) { return clamp(x, -0.5, 0.5); }, -0.45, 0.45},
      {"soft_clamp", [](const Tensor& x) { return soft_clamp(x, 1.5); }, -3, 3},
      {"relu", [](const Tensor& x) { return relu(x); }, 0.1, 2},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }, -2, -0.1},
      {"elu", [](const Tensor& x) { return elu(x, 0.7); }, -3, -0.1},
      {"elu (positive)", [](const Tensor& x) { return elu(x, 0.7); }, 0.1, 2},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, -4, 4},
      {"tanh", [](const Tensor& x) { return tanh(x); }, -3, 3},
      {"softplus", [](const Tensor& x) { return softplus(x); }, -5, 5},
      {"silu", [](const Tensor& x) { return silu(x); }, -4, 4},
      {"neg", [](const Tensor& x) { return neg(x); }, -2, 2},
      {"mul scalar", [](const Tensor& x) { return mul(x, -1.75); }, -2, 2},
      {"add scalar", [](const Tensor& x) { return add(x, 0.25); }, -2, 2},
  };
}

// The unary ops of the f32 comparisons, on wide ranges (both sides of kinks, large |x|).
std::vector<NamedUnary> unary_ops_wide() {
  return {
      {"exp", [](const Tensor& x) { return exp(x); }, -80, 80},
      {"log", [](const Tensor& x) { return log(x); }, 1e-6, 1e6},
      {"log1p", [](const Tensor& x) { return log1p(x); }, -0.999, 50},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, 0, 100},
      {"abs", [](const Tensor& x) { return abs(x); }, -5, 5},
      {"square", [](const Tensor& x) { return square(x); }, -5, 5},
      {"pow", [](const Tensor& x) { return pow(x, 1.7); }, 0, 5},
      {"clamp", [](const Tensor& x) { return clamp(x, -1, 2); }, -5, 5},
      {"soft_clamp", [](const Tensor& x) { return soft_clamp(x, 3); }, -20, 20},
      {"relu", [](const Tensor& x) { return relu(x); }, -5, 5},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.1); }, -5, 5},
      {"elu", [](const Tensor& x) { return elu(x, 1.3); }, -20, 5},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, -30, 30},
      {"tanh", [](const Tensor& x) { return tanh(x); }, -12, 12},
      {"softplus", [](const Tensor& x) { return softplus(x); }, -30, 30},
      {"silu", [](const Tensor& x) { return silu(x); }, -30, 30},
  };
}

Tensor uniform_f32(const Shape& shape, uint64_t seed, double lo, double hi) {
  return add(mul(uniform(shape, seed, 3), hi - lo), lo);
}

// |a − b| ≤ rtol·|b| + atol elementwise, reporting the first mismatch.
void check_close(const std::string& what, const Tensor& a, const Tensor& b, double rtol, double atol = 0.0) {
  std::vector<double> u = a.to_vector(), v = b.to_vector();
  REQUIRE(u.size() == v.size());
  int bad = 0;
  for (size_t i = 0; i < u.size(); ++i) {
    if (std::isnan(u[i]) && std::isnan(v[i])) continue;
    if (!(std::abs(u[i] - v[i]) <= rtol * std::abs(v[i]) + atol) && bad++ == 0)
      FAIL_CHECK(what << ": element " << i << ": " << u[i] << " vs " << v[i]);
  }
  CHECK_MESSAGE(bad == 0, what << ": " << bad << " mismatches");
}

}  // namespace

TEST_CASE("elementwise: gradients of every unary op") {
  uint64_t seed = 100;
  for (const NamedUnary& op : unary_ops()) {
    Tensor x = random_f64(Shape{3, 5}, seed++, op.lo, op.hi);
    check_gradients(op.name, [&](const std::vector<Tensor>& in) { return op.f(in[0]); }, {x});
  }
}

TEST_CASE("elementwise: gradients of every binary op with broadcasting") {
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&, const Tensor&)> f;
    double lo, hi;
  };
  std::vector<Case> cases = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }, -2, 2},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }, -2, 2},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }, -2, 2},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }, 0.5, 2},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, 0.5, 2},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, -2, 2},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, -2, 2},
  };
  // Same shapes, a row vector, a bias over channels, a scalar, and both sides broadcast.
  std::vector<std::pair<Shape, Shape>> shapes = {
      {Shape{2, 3}, Shape{2, 3}}, {Shape{4, 3}, Shape{1, 3}},       {Shape{2, 3, 2, 2}, Shape{1, 3, 1, 1}},
      {Shape{2, 3}, Shape{1}},    {Shape{3, 1}, Shape{1, 4}},
  };
  uint64_t seed = 200;
  for (const Case& c : cases) {
    for (auto& [sa, sb] : shapes) {
      Tensor a = random_f64(sa, seed++, c.lo, c.hi), b = random_f64(sb, seed++, c.lo, c.hi);
      check_gradients(std::string(c.name) + " " + sa.str() + " with " + sb.str(),
                      [&](const std::vector<Tensor>& in) { return c.f(in[0], in[1]); }, {a, b});
    }
  }
}

TEST_CASE("elementwise: forward values against hand-computed numbers") {
  for (DType dt : {DType::f32, DType::f64}) {
    const double tol = dt == DType::f32 ? 2e-7 : 1e-15;
    auto v = [&](std::initializer_list<double> values) {
      return from_values(Shape{static_cast<int64_t>(values.size())}, values, dt);
    };
    auto expect = [&](const char* what, const Tensor& got, std::vector<double> want) {
      std::vector<double> g = got.to_vector();
      REQUIRE(g.size() == want.size());
      for (size_t i = 0; i < g.size(); ++i)
        CHECK_MESSAGE(std::abs(g[i] - want[i]) <= tol * std::max(1.0, std::abs(want[i])),
                      what << " " << dtype_name(dt) << "[" << i << "]: " << g[i] << " vs " << want[i]);
    };
    const double e = std::exp(1.0);
    expect("exp", exp(v({0, 1, -1})), {1, e, 1 / e});
    expect("log", log(v({1, e, 0.5})), {0, 1, -std::log(2.0)});
    expect("log1p", log1p(v({0, e - 1, -0.5})), {0, 1, -std::log(2.0)});
    expect("sqrt", sqrt(v({4, 2.25, 0})), {2, 1.5, 0});
    expect("abs", abs(v({-3, 0, 2})), {3, 0, 2});
    expect("square", square(v({-3, 0.5})), {9, 0.25});
    expect("pow", pow(v({4, 9}), 1.5), {8, 27});
    expect("clamp", clamp(v({-2, 0.3, 5}), -1, 2), {-1, 0.3, 2});
    expect("soft_clamp", soft_clamp(v({1, -2}), 2), {2 * std::tanh(0.5), -2 * std::tanh(1.0)});
    expect("relu", relu(v({-1, 0, 2})), {0, 0, 2});
    expect("leaky_relu", leaky_relu(v({-2, 3}), 0.1), {-0.2, 3});
    expect("elu", elu(v({-1, 2}), 0.5), {0.5 * (1 / e - 1), 2});
    expect("sigmoid", sigmoid(v({0, 2, -2})), {0.5, 1 / (1 + std::exp(-2.0)), 1 / (1 + std::exp(2.0))});
    expect("tanh", tanh(v({0, 1, -0.5})), {0, std::tanh(1.0), std::tanh(-0.5)});
    expect("softplus", softplus(v({0, 1, -30})), {std::log(2.0), std::log(1 + e), std::exp(-30.0)});
    expect("silu", silu(v({1, -1})), {1 / (1 + 1 / e), -1 / (1 + e)});
    expect("add", add(v({1, 2}), v({0.5, -3})), {1.5, -1});
    expect("sub", sub(v({1, 2}), v({0.5, -3})), {0.5, 5});
    expect("mul", mul(v({1.5, 2}), v({2, -3})), {3, -6});
    expect("div", div(v({3, 2}), v({4, -8})), {0.75, -0.25});
    expect("pow", pow(v({2, 9}), v({3, 0.5})), {8, 3});
    expect("maximum", maximum(v({1, -2}), v({0, 5})), {1, 5});
    expect("minimum", minimum(v({1, -2}), v({0, 5})), {0, -2});
    expect("equal", equal(v({1, 2}), v({1, 3})), {1, 0});
    expect("greater", greater(v({1, 4}), v({1, 3})), {0, 1});
    // Broadcasting: a [2, 2] matrix plus a column and a row.
    Tensor m = from_values(Shape{2, 2}, {1, 2, 3, 4}, dt);
    expect("add column", add(m, from_values(Shape{2, 1}, {10, 20}, dt)), {11, 12, 23, 24});
    expect("mul row", mul(m, from_values(Shape{1, 2}, {10, 100}, dt)), {10, 200, 30, 400});
  }
}

TEST_CASE("elementwise: NaN propagates through the activations") {
  Tensor x = from_values(Shape{1}, {NAN});
  for (const NamedUnary& op : unary_ops_wide()) CHECK_MESSAGE(std::isnan(op.f(x).item()), op.name);
}

TEST_CASE("elementwise: f32 SIMD paths agree with f64") {
  // 1037 elements: whole vectors and a partial one.
  uint64_t seed = 300;
  for (const NamedUnary& op : unary_ops_wide()) {
    Tensor x32 = uniform_f32(Shape{1037}, seed++, op.lo, op.hi);
    Tensor x64 = to_dtype(x32, DType::f64);
    check_close(std::string(op.name) + " forward", op.f(x32), op.f(x64), 5e-7, 1e-37);
    // Backward: the gradient of Σ w·f(x). Derivatives taken from y (σ' = y(1 − y), tanh' = 1 − y²)
    // lose relative accuracy where y ≈ ±1, hence the absolute tolerance.
    Tensor w32 = uniform_f32(Shape{1037}, seed++, -1, 1);
    Tensor a = x32.detach().requires_grad_(), b = x64.detach().requires_grad_();
    sum(mul(op.f(a), w32)).backward();
    sum(mul(op.f(b), to_dtype(w32, DType::f64))).backward();
    check_close(std::string(op.name) + " backward", a.grad(), b.grad(), 2e-5, 2e-6);
  }
  // Binary ops in the broadcasting patterns of the fast paths.
  std::vector<std::pair<Shape, Shape>> shapes = {
      {Shape{1037}, Shape{1037}},           // contiguous
      {Shape{6, 7, 5, 5}, Shape{1, 7, 1, 1}},  // bias over channels
      {Shape{33, 65}, Shape{1, 65}},        // bias over features
      {Shape{1037}, Shape{1}},              // scalar
      {Shape{33, 1}, Shape{1, 65}},         // outer product
  };
  for (auto& [sa, sb] : shapes) {
    Tensor a = uniform_f32(sa, seed++, 0.5, 2), b = uniform_f32(sb, seed++, 0.5, 2);
    Tensor a64 = to_dtype(a, DType::f64), b64 = to_dtype(b, DType::f64);
    std::string where = sa.str() + " with " + sb.str();
    check_close("add " + where, add(a, b), add(a64, b64), 1e-7);
    check_close("sub " + where, sub(b, a), sub(b64, a64), 1e-7, 1e-7);
    check_close("mul " + where, mul(a, b), mul(a64, b64), 1e-7);
    check_close("div " + where, div(a, b), div(a64, b64), 1e-7);
    check_close("pow " + where, pow(a, b), pow(a64, b64), 3e-7);
    check_close("maximum " + where, maximum(a, b), maximum(a64, b64), 0);
    check_close("minimum " + where, minimum(b, a), minimum(b64, a64), 0);
  }
}

TEST_CASE("elementwise: an element's value does not depend on its position, stride or thread count") {
  // 100003 elements: more than one parallel block, and a partial vector at the end.
  const int64_t n = 100003;
  uint64_t seed = 400;
  for (const NamedUnary& op : unary_ops_wide()) {
    Tensor x = uniform_f32(Shape{n}, seed++, op.lo, op.hi);
    Tensor y = op.f(x);
    // Shifted by one: elements move between whole vectors and the masked last one.
    CHECK_MESSAGE(same_bytes(op.f(slice(x, 0, 1, n)), slice(y, 0, 1, n)), op.name << ": shifted");
    // Every other element: the strided (scalar) path.
    CHECK_MESSAGE(same_bytes(op.f(slice(x, 0, 0, n, 2)), slice(y, 0, 0, n, 2)), op.name << ": strided");
    // The backward kernels too: the gradient at a strided x equals the contiguous one there.
    Tensor w = uniform_f32(Shape{n}, seed++, -1, 1);
    Tensor full = x.detach().requires_grad_(), every_other = slice(x, 0, 0, n, 2).detach().requires_grad_();
    sum(mul(op.f(full), w)).backward();
    sum(mul(op.f(every_other), slice(w, 0, 0, n, 2))).backward();
    REQUIRE_FALSE(every_other.is_contiguous());
    CHECK_MESSAGE(same_bytes(every_other.grad(), slice(full.grad(), 0, 0, n, 2)), op.name << ": strided backward");
    check_thread_invariant(std::string(op.name) + " forward", [&] { return op.f(x); });
    check_thread_invariant(std::string(op.name) + " backward", [&] {
      Tensor a = x.detach().requires_grad_();
      sum(mul(op.f(a), y)).backward();
      return a.grad();
    });
  }
  Tensor a = uniform_f32(Shape{61, 3, 23, 29}, seed++, -1, 1), bias = uniform_f32(Shape{1, 3, 1, 1}, seed++, -1, 1);
  check_thread_invariant("bias add", [&] { return add(a, bias); });
  check_thread_invariant("scalar mul", [&] { return mul(a, from_values(Shape{1}, {1.5})); });
  check_thread_invariant("row div", [&] { return div(a, slice(a, 0, 0, 1)); });
  // The broadcast fast path against the same sum computed from a materialised bias.
  CHECK(same_bytes(add(a, bias), add(a, contiguous(expand(bias, a.shape())))));
  CHECK(same_bytes(mul(a, bias), mul(a, contiguous(expand(bias, a.shape())))));
}

TEST_CASE("elementwise: in-place updates and zero-size tensors") {
  Tensor a = from_values(Shape{3}, {1, 2, 3});
  add_(a, from_values(Shape{1}, {0.5}), 2.0);
  CHECK(a.to_vector() == std::vector<double>{2, 3, 4});
  mul_(a, -0.5);
  CHECK(a.to_vector() == std::vector<double>{-1, -1.5, -2});
  Tensor empty_x = zeros(Shape{0, 4});
  CHECK(exp(empty_x).shape() == Shape{0, 4});
  CHECK(add(empty_x, zeros(Shape{1, 4})).numel() == 0);
}

TEST_CASE("elementwise: errors name the op and the operands") {
  Tensor i = zeros(Shape{3}, DType::i32);
  CHECK_THROWS_WITH_AS(exp(i), doctest::Contains("exp: needs an f32 or f64 input"), Error);
  Tensor a = zeros(Shape{2, 3}), b = zeros(Shape{3, 2});
  CHECK_THROWS_WITH_AS(mul(a, b), doctest::Contains("mul: shapes [2, 3] and [3, 2] do not broadcast"), Error);
  Backend& cpu = backend(Device::cpu);
  CHECK_THROWS_WITH_AS(cpu.binary(BinaryOp::add, a, b, zeros(Shape{2, 3})),
                       doctest::Contains("add: operand shape [3, 2] differs from the output's [2, 3]"), Error);
  CHECK_THROWS_WITH_AS(cpu.unary(UnaryOp::tanh, 0, 0, zeros(Shape{2, 3}, DType::f64), a),
                       doctest::Contains("tanh: operand dtype f64 differs from the output's f32"), Error);
}
