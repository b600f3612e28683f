// Batch normalisation (ops/norm.hpp): forward values in training and evaluation, the running
// statistics after one and two steps, input checks, and gradient checks in both modes.
#include <doctest/doctest.h>

#include <cmath>

#include "elbo/context.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::testing;
using elbo::testing::check_gradients;
using elbo::testing::random_f64;

namespace {

// x[4, 2]: channel 0 is {1, 2, 3, 4} (μ = 2.5, biased σ² = 1.25, unbiased 5/3),
//          channel 1 is {−1, 0, 0, 5} (μ = 1, biased σ² = 5.5, unbiased 22/3).
Tensor small_batch() { return f64(Shape{4, 2}, {1, -1, 2, 0, 3, 0, 4, 5}); }

}  // namespace

TEST_CASE("batch_norm: training forward on a hand-computed [N, C] case") {
  const double eps = 1e-5;
  Tensor x = small_batch();
  Tensor gamma = f64(Shape{2}, {2.0, 0.5}), beta = f64(Shape{2}, {1.0, -1.0});
  Tensor y = batch_norm(x, gamma, beta, Tensor(), Tensor(), true, 0.1, eps);
  CHECK(y.shape() == Shape{4, 2});
  const double mu[2] = {2.5, 1.0}, var[2] = {1.25, 5.5}, g[2] = {2.0, 0.5}, b[2] = {1.0, -1.0};
  std::vector<double> xv = x.to_vector(), want;
  for (size_t i = 0; i < xv.size(); ++i) {
    size_t c = i % 2;
    want.push_back(g[c] * (xv[i] - mu[c]) / std::sqrt(var[c] + eps) + b[c]);
  }
  check_values(y, want, 1e-13);
}

TEST_CASE("batch_norm: the normalised output has per-channel mean 0 and variance 1") {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor x = add(mul(uniform(Shape{8, 3, 5, 4}, 3, 1, 0, dt), 6.0), -1.0);  // mean 2, var 3
    Tensor ones_c = ones(Shape{3}, dt), zeros_c = zeros(Shape{3}, dt);
    for (Tensor y : {batch_norm(x, ones_c, zeros_c, Tensor(), Tensor(), true),
                     batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true)}) {
      Tensor m = mean(y, {0, 2, 3}, true);
      Tensor v = mean(square(sub(y, m)), {0, 2, 3}, false);
      double tol = dt == DType::f32 ? 1e-5 : 1e-12;
      for (double e : m.to_vector()) CHECK(std::abs(e) < tol);
      // σ²/(σ² + ε) with σ² ≈ 3: 1 − ε/3 to first order.
      for (double e : v.to_vector()) CHECK(std::abs(e - 1.0) < 1e-5);
    }
  }
}

TEST_CASE("batch_norm: running statistics after one and two steps, then evaluation") {
  const double momentum = 0.1, eps = 1e-5;
  Tensor running_mean = zeros(Shape{2}, DType::f64), running_var = ones(Shape{2}, DType::f64);
  Tensor x = small_batch().requires_grad_();
  Tensor gamma = f64(Shape{2}, {1.5, -1.0}).requires_grad_();
  Tensor beta = f64(Shape{2}, {0.0, 2.0}).requires_grad_();

  // Step 1: running ← 0.9·running + 0.1·batch, with the unbiased variance.
  batch_norm(x, gamma, beta, running_mean, running_var, true, momentum, eps);
  double rm[2] = {0.1 * 2.5, 0.1 * 1.0};
  double rv[2] = {0.9 + 0.1 * 5.0 / 3.0, 0.9 + 0.1 * 22.0 / 3.0};
  check_values(running_mean, {rm[0], rm[1]}, 1e-15);
  check_values(running_var, {rv[0], rv[1]}, 1e-15);
  CHECK_FALSE(running_mean.requires_grad());
  CHECK(running_mean.grad_fn() == nullptr);
  CHECK(running_var.grad_fn() == nullptr);

  // Step 2 with a second batch: channel 0 is {0, 0, 2, 6} (μ = 2, unbiased σ² = 8),
  // channel 1 is {1, 1, 1, 5} (μ = 2, unbiased σ² = 4).
  Tensor x2 = f64(Shape{4, 2}, {0, 1, 0, 1, 2, 1, 6, 5});
  batch_norm(x2, gamma, beta, running_mean, running_var, true, momentum, eps);
  rm[0] = 0.9 * rm[0] + 0.1 * 2.0;
  rm[1] = 0.9 * rm[1] + 0.1 * 2.0;
  rv[0] = 0.9 * rv[0] + 0.1 * 8.0;
  rv[1] = 0.9 * rv[1] + 0.1 * 4.0;
  check_values(running_mean, {rm[0], rm[1]}, 1e-15);
  check_values(running_var, {rv[0], rv[1]}, 1e-15);

  // Evaluation normalises with the running statistics and leaves them unchanged.
  Tensor y = batch_norm(x, gamma, beta, running_mean, running_var, false, momentum, eps);
  const double g[2] = {1.5, -1.0}, b[2] = {0.0, 2.0};
  std::vector<double> xv = x.to_vector(), want;
  for (size_t i = 0; i < xv.size(); ++i) {
    size_t c = i % 2;
    want.push_back(g[c] * (xv[i] - rm[c]) / std::sqrt(rv[c] + eps) + b[c]);
  }
  check_values(y, want, 1e-13);
  check_values(running_mean, {rm[0], rm[1]}, 0.0);
  check_values(running_var, {rv[0], rv[1]}, 0.0);
}

TEST_CASE("batch_norm: running statistics of [N, C, H, W] count N·H·W values per channel") {
  // One channel holding 0..7 over [2, 1, 2, 2]: μ = 3.5, unbiased σ² = 42/7 = 6.
  std::vector<double> v;
  for (int i = 0; i < 8; ++i) v.push_back(i);
  Tensor x = from_vector(Shape{2, 1, 2, 2}, v, DType::f32);
  Tensor rm = zeros(Shape{1}), rv = ones(Shape{1});
  batch_norm(x, Tensor(), Tensor(), rm, rv, true, 0.5);
  CHECK(rm.item() == doctest::Approx(1.75));
  CHECK(rv.item() == doctest::Approx(0.5 + 0.5 * 6.0));
}

TEST_CASE("batch_norm: input checks name the op and the shapes") {
  Tensor x = zeros(Shape{4, 3}), c3 = ones(Shape{3}), c2 = ones(Shape{2});
  CHECK_THROWS_WITH_AS(batch_norm(zeros(Shape{4, 3, 5}), c3, c3, Tensor(), Tensor(), true),
                       doctest::Contains("batch_norm: needs [N, C] or [N, C, H, W], got f32[4, 3, 5]"), Error);
  CHECK_THROWS_WITH_AS(batch_norm(x, c2, c3, Tensor(), Tensor(), true),
                       doctest::Contains("batch_norm: gamma f32[2] cpu must be [C] with C = 3"), Error);
  CHECK_THROWS_WITH_AS(batch_norm(x, c3, c2, Tensor(), Tensor(), true),
                       doctest::Contains("batch_norm: beta f32[2] cpu must be [C] with C = 3"), Error);
  CHECK_THROWS_WITH_AS(batch_norm(x, c3, c3, c2, c3, true),
                       doctest::Contains("batch_norm: running_mean f32[2] cpu must be [C] with C = 3"), Error);
  CHECK_THROWS_WITH_AS(batch_norm(x, ones(Shape{3}, DType::f64), c3, Tensor(), Tensor(), true),
                       doctest::Contains("batch_norm: gamma f64[3] cpu must have the dtype and device of input"),
                       Error);
  CHECK_THROWS_WITH_AS(batch_norm(x, c3, c3, Tensor(), Tensor(), false),
                       doctest::Contains("batch_norm: evaluation mode needs running_mean and running_var"), Error);
  CHECK_THROWS_WITH_AS(batch_norm(x, c3, c3, zeros(Shape{3}), Tensor(), true),
                       doctest::Contains("batch_norm: give both running_mean and running_var"), Error);
  CHECK_THROWS_WITH_AS(batch_norm(zeros(Shape{1, 3}), c3, c3, Tensor(), Tensor(), true),
                       doctest::Contains("batch_norm: training needs more than one value per channel"), Error);
  CHECK_THROWS_WITH_AS(batch_norm(zeros(Shape{4, 3}, DType::i32), Tensor(), Tensor(), Tensor(), Tensor(), true),
                       doctest::Contains("batch_norm: needs an f32 or f64 input"), Error);
}

TEST_CASE("batch_norm: gradient checks in training mode") {
  auto affine = [](const std::vector<Tensor>& in) { return batch_norm(in[0], in[1], in[2], Tensor(), Tensor(), true); };
  check_gradients("batch_norm [N, C] training", affine,
                  {random_f64(Shape{5, 3}, 1), random_f64(Shape{3}, 2, 0.5, 2.0), random_f64(Shape{3}, 3)});
  check_gradients("batch_norm [N, C, H, W] training", affine,
                  {random_f64(Shape{3, 2, 3, 2}, 4), random_f64(Shape{2}, 5, 0.5, 2.0), random_f64(Shape{2}, 6)});
  // Without the affine transform, with the running statistics tracked on the side.
  Tensor rm = zeros(Shape{2}, DType::f64), rv = ones(Shape{2}, DType::f64);
  check_gradients("batch_norm [N, C, H, W] training, not affine",
                  [&](const std::vector<Tensor>& in) { return batch_norm(in[0], Tensor(), Tensor(), rm, rv, true); },
                  {random_f64(Shape{2, 2, 2, 3}, 7)});
}

TEST_CASE("batch_norm: gradient checks in evaluation mode") {
  Tensor rm = f64(Shape{3}, {0.5, -1.0, 0.0}), rv = f64(Shape{3}, {2.0, 0.25, 1.0});
  auto eval = [&](const std::vector<Tensor>& in) { return batch_norm(in[0], in[1], in[2], rm, rv, false); };
  check_gradients("batch_norm [N, C] eval", eval,
                  {random_f64(Shape{4, 3}, 8), random_f64(Shape{3}, 9), random_f64(Shape{3}, 10)});
  check_gradients("batch_norm [N, C, H, W] eval", eval,
                  {random_f64(Shape{2, 3, 2, 2}, 11), random_f64(Shape{3}, 12), random_f64(Shape{3}, 13)});
}

TEST_CASE("batch_norm: output, gradients and running statistics are identical on 1 and 2 threads") {
  // Large enough that the reductions and elementwise kernels run in parallel.
  auto run = [](int threads) {
    set_num_threads(threads);
    Tensor x = normal(Shape{32, 8, 16, 16}, 5, 1).requires_grad_();
    Tensor gamma = uniform(Shape{8}, 5, 2).requires_grad_(), beta = normal(Shape{8}, 5, 3).requires_grad_();
    Tensor rm = zeros(Shape{8}), rv = ones(Shape{8});
    Tensor y = batch_norm(x, gamma, beta, rm, rv, true);
    sum(mul(y, normal(y.shape(), 5, 4))).backward();
    std::vector<std::vector<double>> out{y.to_vector(),           x.grad().to_vector(), gamma.grad().to_vector(),
                                         beta.grad().to_vector(), rm.to_vector(),       rv.to_vector()};
    return out;
  };
  const int saved = num_threads();
  auto one = run(1), two = run(2);
  set_num_threads(saved);
  for (size_t k = 0; k < one.size(); ++k) CHECK_MESSAGE(one[k] == two[k], "result " << k << " differs");
}
