// Random tensors and the reparameterised sample (ops/random.hpp): moments of the draws, f32 and
// f64 draws that agree to f32 rounding, independent streams, and the gradient of
// z = μ + exp(½·logvar) ⊙ ε with respect to μ and logvar.
#include <doctest/doctest.h>

#include <cmath>

#include "gradcheck.hpp"

using namespace elbo;
using elbo::testing::check_gradients;
using elbo::testing::random_f64;

namespace {

struct Moments {
  double mean = 0, variance = 0, skewness = 0, kurtosis = 0;
};

Moments moments(const std::vector<double>& v) {
  Moments m;
  double n = static_cast<double>(v.size());
  for (double x : v) m.mean += x;
  m.mean /= n;
  double m2 = 0, m3 = 0, m4 = 0;
  for (double x : v) {
    double d = x - m.mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  m.variance = m2;
  m.skewness = m3 / std::pow(m2, 1.5);
  m.kurtosis = m4 / (m2 * m2);
  return m;
}

}  // namespace

TEST_CASE("uniform: range and moments") {
  // n = 200,000 draws: the tolerances are about five standard errors.
  std::vector<double> u = uniform(Shape{400, 500}, 2024, 5, 0, DType::f64).to_vector();
  int outside = 0;
  for (double x : u) outside += !(x > 0.0 && x < 1.0);
  CHECK(outside == 0);
  Moments m = moments(u);
  CHECK(std::abs(m.mean - 0.5) < 0.004);             // σ/√n = 0.00065
  CHECK(std::abs(m.variance - 1.0 / 12.0) < 0.001);  // 1/12 = 0.0833
  CHECK(std::abs(m.skewness) < 0.03);
  CHECK(std::abs(m.kurtosis - 1.8) < 0.02);  // 9/5 for a uniform
  // Each tenth of (0, 1) receives about a tenth of the draws.
  int bins[10] = {};
  for (double x : u) ++bins[static_cast<int>(x * 10)];
  for (int b : bins) CHECK(std::abs(b - 20000) < 700);  // √(n·0.1·0.9) = 134
}

TEST_CASE("normal: moments") {
  std::vector<double> z = normal(Shape{200000}, 2024, 6, 0, DType::f64).to_vector();
  Moments m = moments(z);
  CHECK(std::abs(m.mean) < 0.012);            // 1/√n = 0.0022
  CHECK(std::abs(m.variance - 1.0) < 0.016);  // √(2/n) = 0.0032
  CHECK(std::abs(m.skewness) < 0.03);         // √(6/n) = 0.0055
  CHECK(std::abs(m.kurtosis - 3.0) < 0.06);   // √(24/n) = 0.011
  // P(|z| < 1) = 0.6827, P(|z| < 2) = 0.9545.
  double within1 = 0, within2 = 0;
  for (double x : z) {
    within1 += std::abs(x) < 1.0;
    within2 += std::abs(x) < 2.0;
  }
  CHECK(std::abs(within1 / 200000 - 0.6827) < 0.006);
  CHECK(std::abs(within2 / 200000 - 0.9545) < 0.003);
}

TEST_CASE("random: f32 draws are the f64 draws rounded to f32") {
  for (bool gaussian : {false, true}) {
    Shape s{1000};
    Tensor d = gaussian ? normal(s, 9, 4, 123, DType::f64) : uniform(s, 9, 4, 123, DType::f64);
    Tensor f = gaussian ? normal(s, 9, 4, 123, DType::f32) : uniform(s, 9, 4, 123, DType::f32);
    CHECK(f.dtype() == DType::f32);
    std::vector<double> dv = d.to_vector(), fv = f.to_vector();
    int mismatches = 0;
    for (size_t i = 0; i < dv.size(); ++i) mismatches += fv[i] != static_cast<double>(static_cast<float>(dv[i]));
    CHECK_MESSAGE(mismatches == 0, (gaussian ? "normal" : "uniform") << ": " << mismatches << " draws differ");
  }
}

TEST_CASE("random: streams, seeds and counters give different numbers") {
  std::vector<double> base = normal(Shape{256}, 1, 0, 0, DType::f64).to_vector();
  auto same_count = [&](const Tensor& t) {
    std::vector<double> v = t.to_vector();
    int same = 0;
    for (size_t i = 0; i < v.size(); ++i) same += v[i] == base[i];
    return same;
  };
  CHECK(same_count(normal(Shape{256}, 1, 0, 0, DType::f64)) == 256);  // a pure function of its arguments
  CHECK(same_count(normal(Shape{256}, 1, 1, 0, DType::f64)) == 0);    // another stream
  CHECK(same_count(normal(Shape{256}, 2, 0, 0, DType::f64)) == 0);    // another seed
  CHECK(same_count(normal(Shape{256}, 1, 0, 256, DType::f64)) == 0);  // the next 256 draws
  // Streams are uncorrelated: the sample correlation of two streams is within a few 1/√n.
  std::vector<double> a = normal(Shape{100000}, 5, 0, 0, DType::f64).to_vector();
  std::vector<double> b = normal(Shape{100000}, 5, 1, 0, DType::f64).to_vector();
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += a[i] * b[i];
  CHECK(std::abs(dot / 100000) < 0.016);  // 1/√n = 0.0032
}

TEST_CASE("reparameterize: values, the draw it uses, and the gradient") {
  Tensor mu = from_values(Shape{2, 2}, {0.0, 1.0, -2.0, 0.5}, DType::f64);
  Tensor logvar = from_values(Shape{2, 2}, {0.0, std::log(4.0), -2.0, 1.0}, DType::f64);
  Tensor eps = from_values(Shape{2, 2}, {1.0, -0.5, 2.0, 0.0}, DType::f64);
  // z = μ + σ·ε with σ = 1, 2, e^−1, e^½.
  std::vector<double> z = reparameterize_with(mu, logvar, eps).to_vector();
  CHECK(z[0] == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(z[1] == doctest::Approx(0.0).epsilon(1e-15));
  CHECK(z[2] == doctest::Approx(-2.0 + 2.0 * std::exp(-1.0)).epsilon(1e-15));
  CHECK(z[3] == doctest::Approx(0.5).epsilon(1e-15));

  // reparameterize draws ε = normal(shape, seed, stream, counter) in mu's dtype.
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor m = to_dtype(random_f64(Shape{3, 4}, 1), dt), lv = to_dtype(random_f64(Shape{3, 4}, 2), dt);
    Tensor drawn = reparameterize(m, lv, 77, 3, 40);
    CHECK(drawn.dtype() == dt);
    CHECK(drawn.to_vector() == reparameterize_with(m, lv, normal(Shape{3, 4}, 77, 3, 40, dt)).to_vector());
    CHECK(drawn.to_vector() != reparameterize(m, lv, 77, 3, 52).to_vector());
  }

  Tensor fixed_eps = normal(Shape{3, 4}, 8, 2, 0, DType::f64);
  check_gradients("reparameterize_with",
                  [&](const std::vector<Tensor>& in) { return reparameterize_with(in[0], in[1], fixed_eps); },
                  {random_f64(Shape{3, 4}, 3), random_f64(Shape{3, 4}, 4, -2.0, 2.0)});
  check_gradients("reparameterize", [](const std::vector<Tensor>& in) { return reparameterize(in[0], in[1], 8, 2, 0); },
                  {random_f64(Shape{3, 4}, 5), random_f64(Shape{3, 4}, 6, -2.0, 2.0)});
  // dz/dμ = 1 and dz/dlogvar = ½·σ·ε, exactly.
  Tensor m = mu.detach().clone().requires_grad_(), lv = logvar.detach().clone().requires_grad_();
  sum(reparameterize_with(m, lv, eps)).backward();
  CHECK(m.grad().to_vector() == std::vector<double>{1, 1, 1, 1});
  std::vector<double> g = lv.grad().to_vector();
  CHECK(g[0] == doctest::Approx(0.5).epsilon(1e-15));
  CHECK(g[1] == doctest::Approx(-0.5).epsilon(1e-15));
  CHECK(g[2] == doctest::Approx(std::exp(-1.0)).epsilon(1e-15));
  CHECK(g[3] == 0.0);

  CHECK_THROWS_WITH_AS(reparameterize_with(mu, zeros(Shape{4}, DType::f64), eps),
                       doctest::Contains("reparameterize: mu f64[2, 2] cpu, logvar f64[4] cpu"), Error);
}
