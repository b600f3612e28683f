// Bias and activation in one pass (ops/backend.hpp, FusedActivation and Epilogue):
//
//   epilogue             y[n, c, k] ← f(y[n, c, k] + bias[c])          over y seen as [N, C, inner]
//   activation_backward  gz[n, c, k] = gy[n, c, k] · f'(z), from y;    gb[c] = Σ_{n,k} gz[n, c, k]
//
// Lane by lane with the expressions of elementwise.cpp (binary add; unary and unary_backward of
// relu, tanh, sigmoid), whose vecmath routines give the same bits in every lane type, so the
// values are those of the separate passes, bit for bit. The bias gradient is summed while gz is
// still in the cache, in the order reduce(sum) uses (channel_sums_by_rows, reduce.cpp).
#include <algorithm>

#include "ops/cpu/cpu_kernels.hpp"
#include "ops/cpu/parallel.hpp"
#include "ops/cpu/vecmath.hpp"

namespace elbo::cpu {

namespace {

template <FusedActivation F, class T, class V>
V activate(V z) {
  if constexpr (F == FusedActivation::relu) return vm::max(T(0), z);
  else if constexpr (F == FusedActivation::tanh) return vm::tanh(z);
  else if constexpr (F == FusedActivation::sigmoid) return vm::sigmoid(z);
  else return z;
}

// gy · f'(z) from y = f(z).
template <FusedActivation F, class T, class V>
V derivative_times(V y, V gy) {
  if constexpr (F == FusedActivation::relu) return vm::select(y > T(0), gy, T(0));  // y > 0 exactly when z > 0
  else if constexpr (F == FusedActivation::tanh) return gy * vm::fma(-y, y, T(1));
  else return (gy * y) * (T(1) - y);  // sigmoid
}

// y[i] ← f(y[i] + b[i]) for i < n, where b is one value repeated (b_varies false), n values, or
// nothing (null): whole vectors, then one masked partial vector.
template <FusedActivation F, class T>
void epilogue_run(T* y, int64_t n, const T* b, bool b_varies) {
  using V = vm::Vec<T>;
  constexpr int W = vm::width<V>;
  const V fixed(b && !b_varies ? *b : T(0));
  auto one = [&](V z, int64_t i, int64_t count) {
    if (b) z = z + (b_varies ? (count == W ? vm::load<V>(b + i) : vm::load<V>(b + i, count)) : fixed);
    return activate<F, T>(z);
  };
  int64_t i = 0;
  for (; i + W <= n; i += W) vm::store(y + i, one(vm::load<V>(y + i), i, W));
  if (i < n) vm::store(y + i, one(vm::load<V>(y + i, n - i), i, n - i), n - i);
}

template <FusedActivation F, class T>
void epilogue_samples_typed(const T* bias, T* y, int64_t samples, int64_t channels, int64_t inner) {
  if (inner == 1) {  // [N, C]: a row of C values per sample, the bias along it
    for (int64_t s = 0; s < samples; ++s) epilogue_run<F>(y + s * channels, channels, bias, true);
    return;
  }
  for (int64_t r = 0; r < samples * channels; ++r)
    epilogue_run<F>(y + r * inner, inner, bias ? bias + r % channels : nullptr, false);
}

template <class T>
void epilogue_dispatch(const Epilogue& e, T* y, int64_t samples, int64_t channels, int64_t inner) {
  const T* bias = e.bias.defined() ? e.bias.data<T>() : nullptr;
  switch (e.activation) {
    case FusedActivation::none: return epilogue_samples_typed<FusedActivation::none>(bias, y, samples, channels, inner);
    case FusedActivation::relu: return epilogue_samples_typed<FusedActivation::relu>(bias, y, samples, channels, inner);
    case FusedActivation::tanh: return epilogue_samples_typed<FusedActivation::tanh>(bias, y, samples, channels, inner);
    case FusedActivation::sigmoid: return epilogue_samples_typed<FusedActivation::sigmoid>(bias, y, samples, channels, inner);
  }
}

// gz[i] = gy[i] · f'(z[i]) for i < n, from y.
template <FusedActivation F, class T>
void backward_run(const T* y, const T* gy, T* gz, int64_t n) {
  using V = vm::Vec<T>;
  constexpr int W = vm::width<V>;
  int64_t i = 0;
  for (; i + W <= n; i += W) vm::store(gz + i, derivative_times<F, T>(vm::load<V>(y + i), vm::load<V>(gy + i)));
  if (i < n) vm::store(gz + i, derivative_times<F, T>(vm::load<V>(y + i, n - i), vm::load<V>(gy + i, n - i)), n - i);
}

template <FusedActivation F, class T>
void activation_backward_typed(const Tensor& y, const Tensor& gy, const Tensor& gz, const Tensor& gb) {
  const int64_t N = y.size(0), C = y.size(1), inner = y.numel() / std::max<int64_t>(N * C, 1);
  const T *yp = y.data<T>(), *gp = gy.data<T>();
  T* out = gz.data<T>();
  const int64_t rows = N * C;
  const bool share = y.numel() > kParallelGrain;
  if (!gb.defined() || !channel_sums_by_rows(C, inner)) {
    // Elementwise over the whole tensor, a block at a time; then the bias sums, as reduce does.
    constexpr int64_t kBlock = 1 << 14;
    const int64_t n = y.numel();
    parallel_for((n + kBlock - 1) / kBlock, share, [&](int64_t first, int64_t last, int) {
      for (int64_t i = first * kBlock; i < std::min(n, last * kBlock); i += kBlock)
        backward_run<F>(yp + i, gp + i, out + i, std::min(kBlock, n - i));
    });
    if (gb.defined()) {  // reduce's own order for these shapes
      Shape shape{1, C}, strides{0, gb.strides()[0]};
      for (int i = 2; i < y.ndim(); ++i) {
        shape.push_back(1);
        strides.push_back(0);
      }
      reduce(ReduceOp::sum, gz, make_view(gb, shape, strides, gb.offset()));
    }
    return;
  }
  // Each row's gradient, then its sum while it is in the L1 cache; then the sums over n.
  Tensor row_sums = empty(Shape{N, C}, DType::f64);
  double* sums = row_sums.data<double>();
  parallel_for(rows, share, [&](int64_t first, int64_t last, int) {
    for (int64_t r = first; r < last; ++r) {
      backward_run<F>(yp + r * inner, gp + r * inner, out + r * inner, inner);
      sums[r] = sum_row(out + r * inner, inner);
    }
  });
  Tensor totals = empty(Shape{1, C}, DType::f64);
  reduce(ReduceOp::sum, row_sums, totals);
  const double* t = totals.data<double>();
  T* b = gb.data<T>();
  for (int64_t c = 0; c < C; ++c) b[c * gb.strides()[0]] = static_cast<T>(t[c]);
}

void check_channels(const char* op, const Tensor& y, const Tensor& bias) {
  ELBO_CHECK(y.ndim() >= 2 && y.is_contiguous(), op, ": needs a contiguous output [N, C, ...], got ", y.str());
  ELBO_CHECK(!bias.defined() || (bias.ndim() == 1 && bias.size(0) == y.size(1) && bias.dtype() == y.dtype() &&
                                 bias.is_contiguous()),
             op, ": bias ", bias.defined() ? bias.str() : "", " does not match the output ", y.str(),
             " (expects a contiguous [", y.size(1), "] of its dtype)");
}

}  // namespace

void epilogue_samples(const Epilogue& e, float* y, int64_t samples, int64_t channels, int64_t inner) {
  epilogue_dispatch(e, y, samples, channels, inner);
}
void epilogue_samples(const Epilogue& e, double* y, int64_t samples, int64_t channels, int64_t inner) {
  epilogue_dispatch(e, y, samples, channels, inner);
}

void apply_epilogue(const Epilogue& e, const Tensor& y) {
  check_channels("epilogue", y, e.bias);
  const int64_t N = y.size(0), C = y.size(1), inner = y.numel() / std::max<int64_t>(N * C, 1);
  dispatch_floating(y.dtype(), "epilogue", [&](auto zero) {
    using T = decltype(zero);
    T* p = y.data<T>();
    parallel_for(N, y.numel() > kParallelGrain, [&](int64_t first, int64_t last, int) {
      epilogue_dispatch(e, p + first * C * inner, last - first, C, inner);
    });
  });
}

void activation_backward(FusedActivation f, const Tensor& y, const Tensor& gy, const Tensor& gz, const Tensor& gb) {
  check_channels("activation_backward", y, gb);
  ELBO_CHECK(f != FusedActivation::none, "activation_backward: needs an activation");
  ELBO_CHECK(gy.shape() == y.shape() && gz.shape() == y.shape() && gy.dtype() == y.dtype() &&
                 gz.dtype() == y.dtype() && gy.is_contiguous() && gz.is_contiguous(),
             "activation_backward: gradients ", gy.str(), " and ", gz.str(), " must be contiguous like ", y.str());
  dispatch_floating(y.dtype(), "activation_backward", [&](auto zero) {
    using T = decltype(zero);
    switch (f) {
      case FusedActivation::relu: return activation_backward_typed<FusedActivation::relu, T>(y, gy, gz, gb);
      case FusedActivation::tanh: return activation_backward_typed<FusedActivation::tanh, T>(y, gy, gz, gb);
      case FusedActivation::sigmoid: return activation_backward_typed<FusedActivation::sigmoid, T>(y, gy, gz, gb);
      case FusedActivation::none: break;
    }
  });
}

}  // namespace elbo::cpu
