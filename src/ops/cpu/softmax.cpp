// Softmax and log-softmax over the last axis of a contiguous tensor, and their backward passes.
// One row is one work item:
//   softmax       y_i = e_i / s            e_i = e^(x_i − m), m = max_j x_j, s = Σ_j e_j
//   log_softmax   y_i = (x_i − m) − ln s
//   backward      softmax       gx_i = y_i · (g_i − Σ_j g_j·y_j)
//                 log_softmax   gx_i = g_i − e^(y_i) · Σ_j g_j
// Subtracting m keeps every exponent ≤ 0 (no overflow) and the largest e_j = 1 (no underflow of
// s). The sums are taken in double by vm::sum_lanes / vm::dot_lanes, in an order fixed by the row
// length; rows are independent, so the thread count cannot change a bit.
#include <cmath>

#include "ops/cpu/cpu_kernels.hpp"
#include "ops/cpu/parallel.hpp"
#include "ops/cpu/vecmath.hpp"

namespace elbo::cpu {

namespace {

// out[i] = f(in[i]...) along a contiguous row: whole vectors, then one masked partial vector.
template <class V, class T, class F, class... In>
void map_row(T* out, int64_t n, F f, const In*... in) {
  constexpr int W = vm::width<V>;
  int64_t i = 0;
  for (; i + W <= n; i += W) vm::store(out + i, f(vm::load<V>(in + i)...));
  if (i < n) vm::store(out + i, f(vm::load<V>(in + i, n - i)...), n - i);
}

template <class T>
void softmax_rows(bool log, const T* x, T* y, int64_t rows, int64_t n) {
  using V = vm::Vec<T>;
  parallel_for(rows, rows * n > kParallelGrain, [&](int64_t first, int64_t last, int) {
    for (int64_t r = first; r < last; ++r) {
      const T* xr = x + r * n;
      T* yr = y + r * n;
      const T m = vm::max_lanes(xr, n);
      map_row<V>(yr, n, [m](auto v) { return vm::exp(v - m); }, xr);  // e_i, kept in y
      const double s = vm::sum_lanes(yr, n);
      if (log) {
        const T log_s = static_cast<T>(std::log(s));
        map_row<V>(yr, n, [m, log_s](auto v) { return (v - m) - log_s; }, xr);
      } else {
        const T s_t = static_cast<T>(s);
        map_row<V>(yr, n, [s_t](auto e) { return e / s_t; }, yr);
      }
    }
  });
}

template <class T>
void softmax_backward_rows(bool log, const T* y, const T* g, T* gx, int64_t rows, int64_t n) {
  using V = vm::Vec<T>;
  parallel_for(rows, rows * n > kParallelGrain, [&](int64_t first, int64_t last, int) {
    for (int64_t r = first; r < last; ++r) {
      const T *yr = y + r * n, *gr = g + r * n;
      T* out = gx + r * n;
      if (log) {
        const T total = static_cast<T>(vm::sum_lanes(gr, n));  // Σ_j g_j
        map_row<V>(out, n, [total](auto yv, auto gv) { return vm::fma(-vm::exp(yv), total, gv); }, yr, gr);
      } else {
        const T dot = static_cast<T>(vm::dot_lanes(gr, yr, n));  // Σ_j g_j·y_j
        map_row<V>(out, n, [dot](auto yv, auto gv) { return yv * (gv - dot); }, yr, gr);
      }
    }
  });
}

void check_rows(const char* name, const Tensor& a, const Tensor& b) {
  ELBO_CHECK(a.ndim() >= 1, name, ": needs at least one axis, got ", a.str());
  ELBO_CHECK(a.is_contiguous() && b.is_contiguous(), name, ": kernel needs contiguous tensors, got ", a.str(), " and ",
             b.str());
  ELBO_CHECK(a.shape() == b.shape() && a.dtype() == b.dtype(), name, ": tensors differ: ", a.str(), " and ", b.str());
}

}  // namespace

void softmax(bool log, const Tensor& x, const Tensor& y) {
  const char* name = log ? "log_softmax" : "softmax";
  check_rows(name, x, y);
  const int64_t n = x.shape()[-1], rows = n > 0 ? x.numel() / n : 0;
  dispatch_floating(x.dtype(), name, [&](auto zero) {
    using T = decltype(zero);
    softmax_rows<T>(log, x.data<T>(), y.data<T>(), rows, n);
  });
}

void softmax_backward(bool log, const Tensor& y, const Tensor& gy, const Tensor& gx) {
  const char* name = log ? "log_softmax" : "softmax";
  check_rows(name, y, gy);
  check_rows(name, y, gx);
  const int64_t n = y.shape()[-1], rows = n > 0 ? y.numel() / n : 0;
  dispatch_floating(y.dtype(), name, [&](auto zero) {
    using T = decltype(zero);
    softmax_backward_rows<T>(log, y.data<T>(), gy.data<T>(), gx.data<T>(), rows, n);
  });
}

}  // namespace elbo::cpu
