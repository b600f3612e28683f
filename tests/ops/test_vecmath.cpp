// The vectorised f32 math routines (src/ops/cpu/vecmath.hpp): accuracy in ulp against <cmath>
// evaluated in double, over a sweep of the whole f32 range (every 4099th bit pattern: all
// binades, both signs, denormals, infinities, NaNs); special values; and identical bits from
// every lane type the build has (scalar float, AVX2, AVX-512).
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ops/cpu/vecmath.hpp"

using namespace elbo;

namespace {

// f applied to every element of x with lane type V: whole vectors, then one masked partial one.
template <class V, class F>
std::vector<float> apply(F f, const std::vector<float>& x) {
  std::vector<float> y(x.size());
  const int64_t n = static_cast<int64_t>(x.size());
  int64_t i = 0;
  for (; i + vm::width<V> <= n; i += vm::width<V>) vm::store(y.data() + i, f(vm::load<V>(x.data() + i)));
  if (i < n) vm::store(y.data() + i, f(vm::load<V>(x.data() + i, n - i)), n - i);
  return y;
}

// Every 4099th f32 bit pattern, plus the values where the functions change behaviour.
std::vector<float> sweep() {
  std::vector<float> x;
  for (uint64_t bits = 0; bits < (uint64_t(1) << 32); bits += 4099) x.push_back(std::bit_cast<float>(uint32_t(bits)));
  const float inf = std::numeric_limits<float>::infinity();
  for (float v : {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::min(),
                  std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(), 1.0f, -1.0f,
                  88.72283f, 88.7229f, -87.33654f, -103.97f, -104.0f, 87.0f, 87.5f, 88.0f, 88.5f, 9.0f, 10.0f,
                  -0.99999994f, 1e-30f, -1e-30f, 0.70710677f, 0.7071068f, 1.4142135f, 1.4142137f})
    x.push_back(v);
  // Dense near 0 and 1, where expm1, log1p, tanh and log are most delicate.
  for (int i = -100000; i <= 100000; ++i) x.push_back(static_cast<float>(i) * 1e-5f);
  return x;
}

// The distance from got to the exact value `want`, in units of the f32 spacing at `want`.
// Values that round to ±inf or NaN must match exactly (0 or infinity ulp).
double ulp_error(float got, double want) {
  if (std::isnan(want)) return std::isnan(got) ? 0.0 : INFINITY;
  float rounded = static_cast<float>(want);
  if (std::isinf(rounded)) return got == rounded ? 0.0 : INFINITY;
  if (std::isnan(got) || std::isinf(got)) return INFINITY;
  int exponent = want == 0.0 ? -126 : std::max(std::ilogb(want), -126);
  double spacing = std::ldexp(1.0, exponent - 23);
  return std::abs(static_cast<double>(got) - want) / spacing;
}

struct Routine {
  const char* name;
  double max_ulp;
  double (*reference)(double);
};

template <class F>
void check_routine(const Routine& r, F f) {
  std::vector<float> x = sweep();
  std::vector<float> y = apply<vm::VecF32>(f, x);
  double worst = 0.0;
  float worst_x = 0.0f;
  for (size_t i = 0; i < x.size(); ++i) {
    double e = ulp_error(y[i], r.reference(static_cast<double>(x[i])));
    if (e > worst) {
      worst = e;
      worst_x = x[i];
    }
  }
  INFO(std::string(r.name), ": worst error ", worst, " ulp at x = ", worst_x);
  CHECK(worst <= r.max_ulp);

  // The same bits from each lane type (NaNs compared as NaNs).
  auto same = [&](const std::vector<float>& other) {
    for (size_t i = 0; i < x.size(); ++i) {
      bool equal = std::bit_cast<uint32_t>(other[i]) == std::bit_cast<uint32_t>(y[i]) ||
                   (std::isnan(other[i]) && std::isnan(y[i]));
      if (!equal) {
        INFO(std::string(r.name), " differs at x = ", x[i], ": ", other[i], " vs ", y[i]);
        return false;
      }
    }
    return true;
  };
  CHECK(same(apply<float>(f, x)));
#if defined(__AVX2__) && defined(__FMA__)
  CHECK(same(apply<vm::F32x8>(f, x)));
#endif
}

double sigmoid_exact(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
double softplus_exact(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

}  // namespace

TEST_CASE("vecmath: exp is within 1.1 ulp over the f32 range, denormal results included") {
  check_routine({"exp", 1.1, [](double x) { return std::exp(x); }}, [](auto x) { return vm::exp(x); });
}

TEST_CASE("vecmath: expm1 is within 1.5 ulp over the f32 range") {
  check_routine({"expm1", 1.5, [](double x) { return std::expm1(x); }}, [](auto x) { return vm::expm1(x); });
}

TEST_CASE("vecmath: log is within 1 ulp over the f32 range, denormal inputs included") {
  check_routine({"log", 1.0, [](double x) { return std::log(x); }}, [](auto x) { return vm::log(x); });
}

TEST_CASE("vecmath: log1p is within 1.5 ulp over the f32 range") {
  check_routine({"log1p", 1.5, [](double x) { return std::log1p(x); }}, [](auto x) { return vm::log1p(x); });
}

TEST_CASE("vecmath: tanh is within 2.5 ulp over the f32 range") {
  check_routine({"tanh", 2.5, [](double x) { return std::tanh(x); }}, [](auto x) { return vm::tanh(x); });
}

TEST_CASE("vecmath: sigmoid is within 2.5 ulp over the f32 range, deep negative tail included") {
  check_routine({"sigmoid", 2.5, sigmoid_exact}, [](auto x) { return vm::sigmoid(x); });
}

TEST_CASE("vecmath: softplus is within 2 ulp over the f32 range") {
  check_routine({"softplus", 2.0, softplus_exact}, [](auto x) { return vm::softplus(x); });
}

TEST_CASE("vecmath: special values") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const float tiny = std::numeric_limits<float>::denorm_min();
  auto one = [](auto f, float x) { return apply<vm::VecF32>(f, std::vector<float>{x})[0]; };
  auto exp = [](auto x) { return vm::exp(x); };
  auto expm1 = [](auto x) { return vm::expm1(x); };
  auto log = [](auto x) { return vm::log(x); };
  auto log1p = [](auto x) { return vm::log1p(x); };
  auto tanh = [](auto x) { return vm::tanh(x); };
  auto sigmoid = [](auto x) { return vm::sigmoid(x); };
  auto softplus = [](auto x) { return vm::softplus(x); };

  CHECK(one(exp, 0.0f) == 1.0f);
  CHECK(one(exp, inf) == inf);
  CHECK(one(exp, -inf) == 0.0f);
  CHECK(one(exp, 89.0f) == inf);
  CHECK(one(exp, -103.5f) > 0.0f);  // a denormal result, not flushed to zero
  CHECK(one(expm1, -inf) == -1.0f);
  CHECK(one(expm1, inf) == inf);
  CHECK(one(expm1, tiny) == tiny);
  CHECK(one(log, 1.0f) == 0.0f);
  CHECK(one(log, 0.0f) == -inf);
  CHECK(one(log, -0.0f) == -inf);
  CHECK(one(log, inf) == inf);
  CHECK(std::isnan(one(log, -1.0f)));
  CHECK(one(log, tiny) == doctest::Approx(std::log(double(tiny))));
  CHECK(one(log1p, -1.0f) == -inf);
  CHECK(one(log1p, inf) == inf);
  CHECK(one(log1p, tiny) == tiny);
  CHECK(std::isnan(one(log1p, -2.0f)));
  CHECK(one(tanh, inf) == 1.0f);
  CHECK(one(tanh, -inf) == -1.0f);
  CHECK(std::signbit(one(tanh, -0.0f)));
  CHECK(one(tanh, tiny) == tiny);
  CHECK(one(sigmoid, inf) == 1.0f);
  CHECK(one(sigmoid, -inf) == 0.0f);
  CHECK(one(sigmoid, 0.0f) == 0.5f);
  CHECK(one(sigmoid, -100.0f) > 0.0f);  // e^−100, a denormal
  CHECK(one(softplus, inf) == inf);
  CHECK(one(softplus, -inf) == 0.0f);
  CHECK(one(softplus, 100.0f) == 100.0f);
  // NaN propagates through every routine.
  CHECK(std::isnan(one(exp, nan)));
  CHECK(std::isnan(one(expm1, nan)));
  CHECK(std::isnan(one(log, nan)));
  CHECK(std::isnan(one(log1p, nan)));
  CHECK(std::isnan(one(tanh, nan)));
  CHECK(std::isnan(one(sigmoid, nan)));
  CHECK(std::isnan(one(softplus, nan)));
}

TEST_CASE("vecmath: sum_lanes and dot_lanes add in double in a fixed order") {
  // 1 + 1e-8·k cannot be summed in f32 without losing the small parts; in double it can.
  std::vector<float> x(1000, 1e-8f);
  x[0] = 1.0f;
  CHECK(vm::sum_lanes(x.data(), 1000) == doctest::Approx(1.0 + 999 * double(1e-8f)).epsilon(1e-15));
  std::vector<float> y(1000, 2.0f);
  CHECK(vm::dot_lanes(x.data(), y.data(), 1000) == doctest::Approx(2.0 + 1998 * double(1e-8f)).epsilon(1e-15));
  // The order is element i into partial sum i mod 32, then a pairwise tree: with these values a
  // left-to-right sum gives a different double, so the test can tell the orders apart.
  std::vector<double> v(64);
  for (int i = 0; i < 64; ++i) v[static_cast<size_t>(i)] = (i % 2 ? 1e16 : 1.0) * (i % 3 ? 1 : -1);
  double p[32] = {};
  for (int i = 0; i < 64; ++i) p[i % 32] += v[static_cast<size_t>(i)];
  for (int w = 16; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) p[j] += p[j + w];
  double left_to_right = 0.0;
  for (double e : v) left_to_right += e;
  REQUIRE(left_to_right != p[0]);
  CHECK(vm::sum_lanes(v.data(), 64) == p[0]);
  CHECK(vm::max_lanes(x.data(), 1000) == 1.0f);
  x[500] = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::isnan(vm::max_lanes(x.data(), 1000)));
}
