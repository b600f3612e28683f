// Elementwise kernels: unary functions and their derivatives, and broadcasting binary ops.
// The formulas are listed with UnaryOp and BinaryOp in include/elbo/ops/backend.hpp.
#include <cmath>

#include "ops/cpu/cpu_kernels.hpp"

namespace elbo::cpu {

namespace {

// out = f(in_0, ..., in_{K-2}) elementwise, where ops[K-1] is the output and the inputs are
// views of the output's shape (broadcast inputs carry zero strides).
template <class T, int K, class F>
void map_elements(const Tensor* const (&ops)[K], F f) {
  T* base[K];
  bool contiguous = true;
  for (int k = 0; k < K; ++k) {
    base[k] = static_cast<T*>(ops[k]->raw_data());
    contiguous = contiguous && ops[k]->is_contiguous() && ops[k]->shape() == ops[K - 1]->shape();
  }
  T* out = base[K - 1];
  if (contiguous) {
    int64_t n = ops[K - 1]->numel();
#pragma omp parallel for schedule(static) if (n > kParallelGrain)
    for (int64_t i = 0; i < n; ++i) {
      T in[K - 1];
      for (int k = 0; k < K - 1; ++k) in[k] = base[k][i];
      out[i] = f(in);
    }
    return;
  }
  const Shape* strides[K];
  int64_t step[K];
  int last = ops[K - 1]->ndim() - 1;
  for (int k = 0; k < K; ++k) {
    strides[k] = &ops[k]->strides();
    step[k] = last >= 0 ? ops[k]->strides()[last] : 0;
  }
  for_each_row<K>(ops[K - 1]->shape(), strides, [&](const int64_t* off, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      T in[K - 1];
      for (int k = 0; k < K - 1; ++k) in[k] = base[k][off[k] + i * step[k]];
      out[off[K - 1] + i * step[K - 1]] = f(in);
    }
  });
}

template <class T>
T sigmoid_of(T x) {
  // Two branches keep exp's argument ≤ 0, so neither overflows.
  if (x >= 0) return T(1) / (T(1) + std::exp(-x));
  T e = std::exp(x);
  return e / (T(1) + e);
}

template <class T>
T softplus_of(T x) {
  return (x > 0 ? x : T(0)) + std::log1p(std::exp(-std::abs(x)));
}

template <class T>
void unary_typed(UnaryOp op, T a, T b, const Tensor& x, const Tensor& y) {
  const Tensor* ops[2] = {&x, &y};
  switch (op) {
    case UnaryOp::neg: return map_elements<T>(ops, [](const T* v) { return -v[0]; });
    case UnaryOp::exp: return map_elements<T>(ops, [](const T* v) { return std::exp(v[0]); });
    case UnaryOp::log: return map_elements<T>(ops, [](const T* v) { return std::log(v[0]); });
    case UnaryOp::log1p: return map_elements<T>(ops, [](const T* v) { return std::log1p(v[0]); });
    case UnaryOp::sqrt: return map_elements<T>(ops, [](const T* v) { return std::sqrt(v[0]); });
    case UnaryOp::abs: return map_elements<T>(ops, [](const T* v) { return std::abs(v[0]); });
    case UnaryOp::square: return map_elements<T>(ops, [](const T* v) { return v[0] * v[0]; });
    case UnaryOp::relu: return map_elements<T>(ops, [](const T* v) { return v[0] > 0 ? v[0] : T(0); });
    case UnaryOp::leaky_relu: return map_elements<T>(ops, [a](const T* v) { return v[0] > 0 ? v[0] : a * v[0]; });
    case UnaryOp::elu:
      return map_elements<T>(ops, [a](const T* v) { return v[0] > 0 ? v[0] : a * std::expm1(v[0]); });
    case UnaryOp::sigmoid: return map_elements<T>(ops, [](const T* v) { return sigmoid_of(v[0]); });
    case UnaryOp::tanh: return map_elements<T>(ops, [](const T* v) { return std::tanh(v[0]); });
    case UnaryOp::softplus: return map_elements<T>(ops, [](const T* v) { return softplus_of(v[0]); });
    case UnaryOp::silu: return map_elements<T>(ops, [](const T* v) { return v[0] * sigmoid_of(v[0]); });
    case UnaryOp::pow_scalar: return map_elements<T>(ops, [a](const T* v) { return std::pow(v[0], a); });
    case UnaryOp::soft_clamp: return map_elements<T>(ops, [a](const T* v) { return a * std::tanh(v[0] / a); });
    case UnaryOp::clamp:
      return map_elements<T>(ops, [a, b](const T* v) { return v[0] < a ? a : (v[0] > b ? b : v[0]); });
    case UnaryOp::scale: return map_elements<T>(ops, [a](const T* v) { return a * v[0]; });
    case UnaryOp::add_scalar: return map_elements<T>(ops, [a](const T* v) { return v[0] + a; });
  }
}

// gx = gy · f'(x), with v = {x, y, gy}.
template <class T>
void unary_backward_typed(UnaryOp op, T a, T b, const Tensor& x, const Tensor& y, const Tensor& gy,
                          const Tensor& gx) {
  const Tensor* ops[4] = {&x, &y, &gy, &gx};
  switch (op) {
    case UnaryOp::neg: return map_elements<T>(ops, [](const T* v) { return -v[2]; });
    case UnaryOp::exp: return map_elements<T>(ops, [](const T* v) { return v[2] * v[1]; });
    case UnaryOp::log: return map_elements<T>(ops, [](const T* v) { return v[2] / v[0]; });
    case UnaryOp::log1p: return map_elements<T>(ops, [](const T* v) { return v[2] / (T(1) + v[0]); });
    case UnaryOp::sqrt: return map_elements<T>(ops, [](const T* v) { return v[2] / (T(2) * v[1]); });
    case UnaryOp::abs:
      return map_elements<T>(ops, [](const T* v) { return v[0] > 0 ? v[2] : (v[0] < 0 ? -v[2] : T(0)); });
    case UnaryOp::square: return map_elements<T>(ops, [](const T* v) { return T(2) * v[0] * v[2]; });
    case UnaryOp::relu: return map_elements<T>(ops, [](const T* v) { return v[0] > 0 ? v[2] : T(0); });
    case UnaryOp::leaky_relu: return map_elements<T>(ops, [a](const T* v) { return v[0] > 0 ? v[2] : a * v[2]; });
    case UnaryOp::elu: return map_elements<T>(ops, [a](const T* v) { return v[0] > 0 ? v[2] : v[2] * (v[1] + a); });
    case UnaryOp::sigmoid: return map_elements<T>(ops, [](const T* v) { return v[2] * v[1] * (T(1) - v[1]); });
    case UnaryOp::tanh: return map_elements<T>(ops, [](const T* v) { return v[2] * (T(1) - v[1] * v[1]); });
    case UnaryOp::softplus: return map_elements<T>(ops, [](const T* v) { return v[2] * sigmoid_of(v[0]); });
    case UnaryOp::silu:
      return map_elements<T>(ops, [](const T* v) {
        T s = sigmoid_of(v[0]);
        return v[2] * s * (T(1) + v[0] * (T(1) - s));
      });
    case UnaryOp::pow_scalar:
      return map_elements<T>(ops, [a](const T* v) { return v[2] * a * std::pow(v[0], a - T(1)); });
    case UnaryOp::soft_clamp:
      return map_elements<T>(ops, [a](const T* v) {
        T t = v[1] / a;
        return v[2] * (T(1) - t * t);
      });
    case UnaryOp::clamp:
      return map_elements<T>(ops, [a, b](const T* v) { return (v[0] >= a && v[0] <= b) ? v[2] : T(0); });
    case UnaryOp::scale: return map_elements<T>(ops, [a](const T* v) { return a * v[2]; });
    case UnaryOp::add_scalar: return map_elements<T>(ops, [](const T* v) { return v[2]; });
  }
}

template <class T>
void binary_typed(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const Tensor* ops[3] = {&a, &b, &out};
  switch (op) {
    case BinaryOp::add: return map_elements<T>(ops, [](const T* v) { return v[0] + v[1]; });
    case BinaryOp::sub: return map_elements<T>(ops, [](const T* v) { return v[0] - v[1]; });
    case BinaryOp::mul: return map_elements<T>(ops, [](const T* v) { return v[0] * v[1]; });
    case BinaryOp::div: return map_elements<T>(ops, [](const T* v) { return v[0] / v[1]; });
    case BinaryOp::pow: return map_elements<T>(ops, [](const T* v) { return std::pow(v[0], v[1]); });
    case BinaryOp::maximum: return map_elements<T>(ops, [](const T* v) { return v[0] >= v[1] ? v[0] : v[1]; });
    case BinaryOp::minimum: return map_elements<T>(ops, [](const T* v) { return v[0] <= v[1] ? v[0] : v[1]; });
    case BinaryOp::equal: return map_elements<T>(ops, [](const T* v) { return v[0] == v[1] ? T(1) : T(0); });
    case BinaryOp::greater: return map_elements<T>(ops, [](const T* v) { return v[0] > v[1] ? T(1) : T(0); });
  }
}

}  // namespace

void unary(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y) {
  dispatch_floating(x.dtype(), unary_op_name(op), [&](auto zero) {
    using T = decltype(zero);
    unary_typed<T>(op, static_cast<T>(a), static_cast<T>(b), x, y);
  });
}

void unary_backward(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y, const Tensor& gy,
                    const Tensor& gx) {
  dispatch_floating(gy.dtype(), unary_op_name(op), [&](auto zero) {
    using T = decltype(zero);
    unary_backward_typed<T>(op, static_cast<T>(a), static_cast<T>(b), x, y, gy, gx);
  });
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  dispatch_floating(out.dtype(), binary_op_name(op), [&](auto zero) {
    binary_typed<decltype(zero)>(op, a, b, out);
  });
}

}  // namespace elbo::cpu
