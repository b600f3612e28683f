#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <numbers>

#include "elbo/context.hpp"
#include "elbo/nn.hpp"
#include "elbo/ops.hpp"

using namespace elbo;
using namespace elbo::nn;

namespace {

// One parameter p₀ = [1, −2, 0.5] and three fixed gradients, one per step.
const std::vector<double> kStart = {1.0, -2.0, 0.5};
const std::vector<std::vector<double>> kGrads = {{0.1, -0.2, 0.3}, {-0.4, 0.5, 0.0}, {0.2, 0.2, -0.1}};

using Trajectory = std::vector<std::vector<double>>;

// Runs three steps of `make(params)` on p₀ with the gradients above, in `dtype`; returns p after each.
template <class Make>
Trajectory run(Make make, DType dtype = DType::f64) {
  Tensor p = from_vector(Shape{3}, kStart, dtype).requires_grad_();
  Optimizer opt = make(std::vector<Tensor>{p});
  Trajectory out;
  for (const auto& g : kGrads) {
    p.set_grad(from_vector(Shape{3}, g, dtype));
    opt.step();
    out.push_back(p.to_vector());
  }
  return out;
}

void check_trajectory(const Trajectory& got, const Trajectory& expected, double tol = 1e-13) {
  for (size_t t = 0; t < expected.size(); ++t)
    for (size_t i = 0; i < expected[t].size(); ++i)
      CHECK_MESSAGE(got[t][i] == doctest::Approx(expected[t][i]).epsilon(tol), "step " << t + 1 << " element " << i);
}

}  // namespace

// The expected values below follow each optimiser's formula (nn/optim.hpp) step by step; the
// first step of each is worked out in the comment.

TEST_CASE("nn optim: SGD with momentum and dampening") {
  // lr 0.1, μ 0.9, τ 0.1. Step 1: b = g, p = p − 0.1·g = [0.99, −1.98, 0.47].
  // Step 2: b = 0.9·[0.1, −0.2, 0.3] + 0.9·[−0.4, 0.5, 0] = [−0.27, 0.27, 0.27], p = [1.017, −2.007, 0.443].
  check_trajectory(run([](auto ps) { return sgd(ps, 0.1, 0.9, 0.1); }),
                   {{0.99, -1.98, 0.47}, {1.017, -2.007, 0.443}, {1.0233, -2.0493, 0.4277}});
}

TEST_CASE("nn optim: SGD with Nesterov momentum and weight decay") {
  // lr 0.1, μ 0.9, λ 0.01. Step 1: d = g + 0.01·p = [0.11, −0.22, 0.305], b = d,
  // p = p − 0.1·(d + 0.9·b) = p − 0.19·d = [0.9791, −1.9582, 0.44205].
  check_trajectory(run([](auto ps) { return sgd(ps, 0.1, 0.9, 0.0, true, 0.01); }),
                   {{0.9791, -1.9582, 0.44205},
                    {1.04432971, -2.03165942, 0.416505105},
                    {1.027933412551, -2.088675125102, 0.4121211848005}});
}

TEST_CASE("nn optim: plain SGD with weight decay") {
  // Step 1: p = p − 0.1·(g + 0.1·p) = [0.98, −1.96, 0.465].
  check_trajectory(run([](auto ps) { return sgd(ps, 0.1, 0.0, 0.0, false, 0.1); }),
                   {{0.98, -1.96, 0.465}, {1.0102, -1.9904, 0.46035}, {0.980098, -1.990496, 0.4657465}});
}

TEST_CASE("nn optim: Adam") {
  // lr 0.1. Step 1: m̂ = g, √v̂ = |g|, p = p − 0.1·g/(|g| + 10⁻⁸) ≈ p − 0.1·sign(g) = [0.9, −1.9, 0.4].
  check_trajectory(run([](auto ps) { return adam(ps, 0.1); }),
                   {{0.900000009999999, -1.9000000049999997, 0.4000000033333332},
                    {0.9559503574851284, -1.9442215302172328, 0.33299418107915446},
                    {0.9669677234642676, -1.9985158281281918, 0.304080646349274}});
  // With L2 weight decay 0.1 the gradient becomes g + 0.1·p (step 1 still moves by ≈ 0.1).
  check_trajectory(run([](auto ps) { return adam(ps, 0.1, 0.9, 0.999, 1e-8, 0.1); }),
                   {{0.9000000049999998, -1.9000000025, 0.40000000285714277},
                    {0.9262259349749552, -1.892645493092959, 0.32497436528996426},
                    {0.9023908467617814, -1.888317670191558, 0.2800511707496173}});
}

TEST_CASE("nn optim: AdamW decouples the weight decay") {
  // lr 0.1, λ 0.1. Step 1: p ← p·(1 − 0.01) = [0.99, −1.98, 0.495], then the Adam step of ≈ 0.1.
  check_trajectory(run([](auto ps) { return adamw(ps, 0.1, 0.9, 0.999, 1e-8, 0.1); }),
                   {{0.890000009999999, -1.8800000049999996, 0.3950000033333332},
                    {0.9370503573851283, -1.9054215301672328, 0.3240441810458211},
                    {0.9386972197904163, -1.9406616127765195, 0.2918902045054824}});
}

TEST_CASE("nn optim: Adamax") {
  // lr 0.1. Step 1: m = 0.1·g, u = |g| + 10⁻⁸, p = p − (0.1/0.1)·m/u ≈ p − 0.1·sign(g).
  // Step 2, element 2 (g = 0): m = 0.9·0.03 = 0.027, u = 0.999·(0.3 + 10⁻⁸), p ← p − (0.1/0.19)·m/u.
  Trajectory adamax_plain = run([](auto ps) { return adamax(ps, 0.1); });
  CHECK(adamax_plain[1][2] == doctest::Approx(0.4000000033333332 - (0.1 / 0.19) * 0.027 / (0.999 * (0.3 + 1e-8))).epsilon(1e-9));
  check_trajectory(adamax_plain, {{0.900000009999999, -1.9000000049999997, 0.4000000033333332},
                                  {0.9407894826644727, -1.9336842148526312, 0.3525841680243399},
                                  {0.9480846004783198, -1.969735025090175, 0.33495976153030527}});
  check_trajectory(run([](auto ps) { return adamax(ps, 0.1, 0.9, 0.999, 1e-8, 0.1); }),
                   {{0.9000000049999998, -1.9000000025, 0.40000000285714277},
                    {0.9220713115392407, -1.893414469730388, 0.3465631087987449},
                    {0.901194926734644, -1.8902400940482793, 0.3197138331034398}});
}

TEST_CASE("nn optim: f32 follows the f64 trajectory to f32 precision") {
  auto make = [](auto ps) { return adam(ps, 0.1); };
  check_trajectory(run(make, DType::f32), run(make, DType::f64), 1e-6);
  auto make_sgd = [](auto ps) { return sgd(ps, 0.1, 0.9, 0.0, true); };
  check_trajectory(run(make_sgd, DType::f32), run(make_sgd, DType::f64), 1e-6);
}

TEST_CASE("nn optim: state, skipped parameters, learning rate") {
  Tensor a = from_values(Shape{2}, {1, 1}, DType::f64).requires_grad_();
  Tensor b = from_values(Shape{2}, {5, 5}, DType::f64).requires_grad_();
  Optimizer opt = adam({a, b}, 0.1);
  a.set_grad(from_values(Shape{2}, {0.5, -0.5}, DType::f64));
  opt.step();  // b has no gradient: untouched, its step count stays 0
  CHECK(b.to_vector() == std::vector<double>{5, 5});
  CHECK(opt.state()[1].step == 0);
  CHECK(opt.state()[0].step == 1);
  CHECK(opt.state()[0].m.to_vector()[0] == doctest::Approx(0.05).epsilon(1e-15));          // (1 − β1)·g
  CHECK(opt.state()[0].v.to_vector()[1] == doctest::Approx(0.001 * 0.25).epsilon(1e-12));  // (1 − β2)·g²
  opt.set_lr(0.0);
  opt.step();
  CHECK(a.to_vector()[0] == doctest::Approx(0.9).epsilon(1e-7));  // lr 0: a does not move
  CHECK(opt.state()[0].step == 2);
  opt.zero_grad();
  CHECK_FALSE(a.grad().defined());
  // SGD without momentum keeps no state tensors.
  Optimizer plain = sgd({a}, 0.1);
  CHECK_FALSE(plain.state()[0].m.defined());
  CHECK_FALSE(plain.state()[0].v.defined());
}

TEST_CASE("nn optim: misuse fails with a message") {
  Tensor a = ones(Shape{2}).requires_grad_();
  CHECK_THROWS_WITH_AS(sgd({a}, 0.1, 0.9, 0.5, true), doctest::Contains("Nesterov momentum needs"), Error);
  CHECK_THROWS_WITH_AS(adam({a, a}), doctest::Contains("parameter 1 is the same tensor as parameter 0"), Error);
  CHECK_THROWS_WITH_AS(adam({ones(Shape{2})}), doctest::Contains("leaf tensor with requires_grad"), Error);
  CHECK_THROWS_WITH_AS(adam({a}, 1e-3, 1.0), doctest::Contains("needs 0 ≤ beta1, beta2 < 1"), Error);
}

TEST_CASE("nn optim: a large parameter updates identically on 1 and 2 threads") {
  // 100000 elements: above the parallel grain, so the loop is split across threads.
  auto run_threads = [](int threads, OptimizerStep::Kind kind) {
    int previous = num_threads();
    set_num_threads(threads);
    Tensor p = normal(Shape{100000}, 1, 0).requires_grad_();
    OptimizerStep s;
    s.kind = kind;
    s.beta1 = 0.9;
    s.weight_decay = 0.01;
    Optimizer opt(std::vector<Tensor>{p}, s);
    for (uint64_t t = 0; t < 3; ++t) {
      p.set_grad(normal(Shape{100000}, 2, t));
      opt.step();
    }
    set_num_threads(previous);
    return p;
  };
  for (auto kind : {OptimizerStep::sgd, OptimizerStep::adam, OptimizerStep::adamw, OptimizerStep::adamax}) {
    Tensor one = run_threads(1, kind), two = run_threads(2, kind);
    CHECK(std::memcmp(one.raw_data(), two.raw_data(), 100000 * sizeof(float)) == 0);
  }
}

TEST_CASE("nn clip_grad_norm: global norm over every parameter") {
  Tensor a = zeros(Shape{2}).requires_grad_(), b = zeros(Shape{1}).requires_grad_(),
         none = zeros(Shape{3}).requires_grad_();
  auto set = [&] {
    a.set_grad(from_values(Shape{2}, {3, 4}));
    b.set_grad(from_values(Shape{1}, {12}));
  };
  set();
  // n = √(9 + 16 + 144) = 13; below max_norm nothing changes
  CHECK(clip_grad_norm({a, b, none}, 26.0) == doctest::Approx(13).epsilon(1e-12));
  CHECK(a.grad().to_vector() == std::vector<double>{3, 4});
  CHECK_FALSE(none.grad().defined());
  // above: g ← g·6.5/(13 + 10⁻⁶)
  CHECK(clip_grad_norm({a, b, none}, 6.5) == doctest::Approx(13).epsilon(1e-12));
  double scale = 6.5 / (13 + 1e-6);
  std::vector<double> ga = a.grad().to_vector();
  CHECK(ga[0] == doctest::Approx(3 * scale).epsilon(1e-7));
  CHECK(ga[1] == doctest::Approx(4 * scale).epsilon(1e-7));
  CHECK(b.grad().to_vector()[0] == doctest::Approx(12 * scale).epsilon(1e-7));
  CHECK(clip_grad_norm({a, b}, 100.0) == doctest::Approx(6.5).epsilon(1e-6));
  CHECK(clip_grad_norm({none}, 1.0) == 0.0);
}

TEST_CASE("nn schedule: constant, linear warm-up, cosine decay") {
  Schedule c = Schedule::constant(0.01);
  CHECK(c.lr(0) == 0.01);
  CHECK(c.lr(1000000) == 0.01);

  Schedule w = Schedule::warmup(1.0, 4);  // (step + 1)/4, then 1
  std::vector<double> got;
  for (int64_t s = 0; s < 6; ++s) got.push_back(w.lr(s));
  CHECK(got == std::vector<double>{0.25, 0.5, 0.75, 1.0, 1.0, 1.0});

  Schedule cos = Schedule::cosine(1.0, 10);  // ½(1 + cos(π·step/10))
  CHECK(cos.lr(0) == 1.0);
  CHECK(cos.lr(5) == doctest::Approx(0.5).epsilon(1e-15));
  CHECK(cos.lr(2) == doctest::Approx(0.5 * (1 + std::cos(std::numbers::pi * 0.2))).epsilon(1e-15));
  CHECK(cos.lr(10) == doctest::Approx(0.0));
  CHECK(cos.lr(25) == doctest::Approx(0.0));

  // Warm-up over 2 steps, then cosine from 1 to 0.1 between steps 2 and 6.
  Schedule wc = Schedule::cosine(1.0, 6, 2, 0.1);
  CHECK(wc.lr(0) == 0.5);
  CHECK(wc.lr(1) == 1.0);
  CHECK(wc.lr(2) == 1.0);
  CHECK(wc.lr(4) == doctest::Approx(0.55).epsilon(1e-15));  // p = ½: 0.1 + 0.9·½
  CHECK(wc.lr(6) == doctest::Approx(0.1).epsilon(1e-15));
  CHECK(wc.lr(100) == doctest::Approx(0.1).epsilon(1e-15));
  CHECK_THROWS_WITH_AS(Schedule::cosine(1.0, 5, 5), doctest::Contains("0 ≤ warmup_steps < decay_steps"), Error);
}
