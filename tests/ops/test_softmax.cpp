// Softmax and log-softmax: hand-computed values, stability at large and infinite inputs,
// gradients over every axis (f64 finite differences), f32 against f64, bit-identity at 1 and 2
// threads, and errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
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

void check_close(const std::string& what, const std::vector<double>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i)
    CHECK_MESSAGE(std::abs(got[i] - want[i]) <= tol * std::max(1.0, std::abs(want[i])),
                  what << "[" << i << "]: " << got[i] << " vs " << want[i]);
}

}  // namespace

TEST_CASE("softmax: values against hand-computed numbers") {
  for (DType dt : {DType::f32, DType::f64}) {
    const double tol = dt == DType::f32 ? 3e-7 : 1e-15;
    // e^x = 1, 2, 3: softmax = 1/6, 2/6, 3/6.
    Tensor x = from_values(Shape{1, 3}, {0, std::log(2.0), std::log(3.0)}, dt);
    check_close("softmax", softmax(x).to_vector(), {1.0 / 6, 2.0 / 6, 3.0 / 6}, tol);
    check_close("log_softmax", log_softmax(x).to_vector(), {-std::log(6.0), std::log(2.0 / 6), std::log(0.5)}, tol);
    // Shift invariance, and no overflow at large inputs.
    const double e = std::exp(1.0);
    Tensor big = from_values(Shape{2}, {1000, 1001}, dt);
    check_close("softmax large", softmax(big).to_vector(), {1 / (1 + e), e / (1 + e)}, tol);
    check_close("log_softmax large", log_softmax(big).to_vector(), {-std::log1p(e), 1 - std::log1p(e)}, tol);
    // −inf entries (masked logits) get probability 0.
    Tensor masked = from_values(Shape{3}, {-INFINITY, 0, 0}, dt);
    check_close("softmax masked", softmax(masked).to_vector(), {0, 0.5, 0.5}, tol);
    CHECK(log_softmax(masked).to_vector()[0] == -INFINITY);
    // Over axis 0 of [[0, 1], [ln 3, 1]]: columns (1/4, 3/4) and (1/2, 1/2).
    Tensor m = from_values(Shape{2, 2}, {0, 1, std::log(3.0), 1}, dt);
    check_close("softmax axis 0", softmax(m, 0).to_vector(), {0.25, 0.5, 0.75, 0.5}, tol);
  }
}

TEST_CASE("softmax: gradients over every axis") {
  uint64_t seed = 800;
  for (int axis : {-1, 0, 1, 2}) {
    Tensor x = random_f64(Shape{2, 3, 4}, seed++, -2, 2);
    std::string where = " axis " + std::to_string(axis);
    check_gradients("softmax" + where, [&](const std::vector<Tensor>& in) { return softmax(in[0], axis); }, {x});
    check_gradients("log_softmax" + where, [&](const std::vector<Tensor>& in) { return log_softmax(in[0], axis); },
                    {x});
  }
  // Inside a larger expression: cross-entropy against fixed targets.
  Tensor logits = random_f64(Shape{5, 7}, seed++, -3, 3), target = softmax(random_f64(Shape{5, 7}, seed++));
  check_gradients("cross-entropy",
                  [&](const std::vector<Tensor>& in) { return neg(sum(mul(log_softmax(in[0]), target))); }, {logits});
}

TEST_CASE("softmax: identities, f32 against f64, and bit-identity at 1 and 2 threads") {
  // Rows of 203: whole vectors and a partial one.
  Tensor x = mul(normal(Shape{517, 203}, 9, 1), 4.0);
  Tensor x64 = to_dtype(x, DType::f64);
  Tensor p = softmax(x), lp = log_softmax(x);
  check_close("rows sum to 1", sum(p, {1}).to_vector(), std::vector<double>(517, 1.0), 1e-6);
  check_close("log_softmax = log softmax", lp.to_vector(), log(softmax(x64)).to_vector(), 1e-5);
  check_close("softmax f32 vs f64", p.to_vector(), softmax(x64).to_vector(), 1e-6);
  check_close("log_softmax f32 vs f64", lp.to_vector(), log_softmax(x64).to_vector(), 1e-6);
  // Over axis 0 equals the transpose of the last-axis softmax of the transpose.
  CHECK(same_bytes(softmax(x, 0), transpose(softmax(contiguous(transpose(x, 0, 1))), 0, 1)));

  Tensor w = normal(Shape{517, 203}, 10, 1);
  auto grads = [&](bool log, DType dt) {
    Tensor a = to_dtype(x, dt).detach().requires_grad_();
    sum(mul(log ? log_softmax(a) : softmax(a), to_dtype(w, dt))).backward();
    return a.grad();
  };
  for (bool log : {false, true}) {
    check_close(log ? "log_softmax backward f32 vs f64" : "softmax backward f32 vs f64", grads(log, DType::f32).to_vector(),
                grads(log, DType::f64).to_vector(), 1e-5);
    int before = num_threads();
    for (DType dt : {DType::f32, DType::f64}) {
      set_num_threads(1);
      Tensor y1 = log ? log_softmax(to_dtype(x, dt)) : softmax(to_dtype(x, dt)), g1 = grads(log, dt);
      set_num_threads(2);
      Tensor y2 = log ? log_softmax(to_dtype(x, dt)) : softmax(to_dtype(x, dt)), g2 = grads(log, dt);
      CHECK_MESSAGE(same_bytes(y1, y2), "forward differs between 1 and 2 threads, log = " << log);
      CHECK_MESSAGE(same_bytes(g1, g2), "backward differs between 1 and 2 threads, log = " << log);
    }
    set_num_threads(before);
  }
}

TEST_CASE("softmax: errors name the op and the input") {
  CHECK_THROWS_WITH_AS(softmax(zeros(Shape{2, 3}), 2),
                       doctest::Contains("softmax: axis 2 is out of range for a tensor of rank 2"), Error);
  CHECK_THROWS_WITH_AS(log_softmax(zeros(Shape{2}, DType::i32)), doctest::Contains("log_softmax: needs an f32 or f64 input"),
                       Error);
  CHECK_THROWS_WITH_AS(softmax(scalar(1.0)), doctest::Contains("softmax: axis -1 is out of range for a tensor of rank 0"),
                       Error);
  Tensor t = transpose(zeros(Shape{2, 3}), 0, 1);
  CHECK_THROWS_WITH_AS(backend(Device::cpu).softmax(false, t, zeros(Shape{3, 2})),
                       doctest::Contains("softmax: kernel needs contiguous tensors"), Error);
}
