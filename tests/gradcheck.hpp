// The shared finite-difference gradient check used by every op's test.
//
// For a function f of tensors, the check draws fixed random weights w of f's output shape and
// compares the autodiff gradient of L = Σ w ⊙ f(inputs) with central differences
//     ∂L/∂x_k ≈ (L(x + ε e_k) − L(x − ε e_k)) / 2ε
// in double precision. It also fails when the autodiff gradients are all zero: a check that
// compares two zero vectors would pass for any broken backward.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "elbo/context.hpp"
#include "elbo/ops.hpp"

namespace elbo::testing {

struct GradcheckOptions {
  double eps = 1e-6;
  double rtol = 1e-5;
  double atol = 1e-8;
  bool allow_zero = false;  // permit an input whose gradient is identically zero
};

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

// A contiguous f64 tensor of uniform draws in [lo, hi).
inline Tensor random_f64(const Shape& shape, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  Tensor u = uniform(shape, seed, 7, 0, DType::f64);
  return add(mul(u, hi - lo), lo);
}

inline void check_gradients(const std::string& name, const TensorFn& f, std::vector<Tensor> inputs,
                            GradcheckOptions opt = {}) {
  for (Tensor& x : inputs) {
    REQUIRE_MESSAGE(x.dtype() == DType::f64, name << ": gradcheck inputs must be f64");
    x = x.detach().contiguous();
    x.requires_grad_(true);
  }
  Tensor out = f(inputs);
  Tensor w = normal(out.shape(), 12345, 99, 0, DType::f64);
  Tensor loss = sum(mul(out, w));
  loss.backward();

  auto objective = [&]() {
    NoGradGuard no_grad;
    return sum(mul(f(inputs), w)).item();
  };
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    Tensor g = x.grad();
    std::vector<double> analytic = g.defined() ? g.to_vector() : std::vector<double>(x.numel(), 0.0);
    double largest = 0.0;
    for (double v : analytic) largest = std::max(largest, std::abs(v));
    if (!opt.allow_zero)
      CHECK_MESSAGE(largest > 1e-10, name << ": the gradient of input " << k << " is all zero");
    double* p = x.data<double>();
    int failures = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      double saved = p[i];
      p[i] = saved + opt.eps;
      double up = objective();
      p[i] = saved - opt.eps;
      double down = objective();
      p[i] = saved;
      double numeric = (up - down) / (2 * opt.eps);
      double a = analytic[static_cast<size_t>(i)];
      double tol = opt.atol + opt.rtol * std::max(std::abs(a), std::abs(numeric));
      if (std::abs(a - numeric) > tol && failures++ < 5) {
        FAIL_CHECK(name << ": input " << k << " element " << i << ": autodiff " << a << " vs finite difference "
                        << numeric);
      }
    }
    CHECK_MESSAGE(failures == 0, name << ": " << failures << " mismatched elements in input " << k);
  }
}


// ---- helpers shared by the test suites -------------------------------------------------------

// An f64 tensor holding `values` (row-major).
inline Tensor f64(const Shape& shape, std::initializer_list<double> values) {
  return from_values(shape, values, DType::f64);
}

// Every element of `got` within `tol` of `want`.
inline void check_values(const Tensor& got, const std::vector<double>& want, double tol) {
  std::vector<double> v = got.to_vector();
  REQUIRE(v.size() == want.size());
  for (size_t i = 0; i < v.size(); ++i)
    CHECK_MESSAGE(std::abs(v[i] - want[i]) <= tol, "element " << i << ": " << v[i] << " vs " << want[i]);
}

// Same shape, dtype and bytes.
inline bool same_bytes(const Tensor& a, const Tensor& b) {
  Tensor u = contiguous(a), v = contiguous(b);
  return u.shape() == v.shape() && u.dtype() == v.dtype() &&
         std::memcmp(u.raw_data(), v.raw_data(), static_cast<size_t>(u.numel()) * dtype_size(u.dtype())) == 0;
}

// Sets the thread count for a scope and restores it after. Tests that make many passes of tiny
// ops (finite differences) run them on one thread, so that a busy machine does not make them
// wait for each other's threads; results do not depend on the thread count.
class ThreadCount {
 public:
  explicit ThreadCount(int threads) { set_num_threads(threads); }
  ~ThreadCount() { set_num_threads(before_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;

 private:
  int before_ = num_threads();
};

// f() computed at 1 and at 2 threads gives the same bytes.
inline void check_thread_invariant(const std::string& what, const std::function<Tensor()>& f) {
  int before = num_threads();
  set_num_threads(1);
  Tensor one = f();
  set_num_threads(2);
  Tensor two = f();
  set_num_threads(before);
  CHECK_MESSAGE(same_bytes(one, two), what << ": results differ between 1 and 2 threads");
}

}  // namespace elbo::testing
