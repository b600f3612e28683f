// Elementwise kernels: unary functions and their derivatives, and broadcasting binary ops.
// The formulas are listed with UnaryOp and BinaryOp in include/elbo/ops/backend.hpp, and each
// line below is the same expression as the CPU's (src/ops/cpu/elementwise.cpp), evaluated in the
// tensor's type with CUDA's math library (expf, logf, tanhf, ... for f32; exp, log, ... for f64;
// at most 2 ulp from the correctly rounded value, where the CPU's f32 routines are within 2.5).
//
// One thread per element (grid-stride): element i of the output, in row-major order, reads each
// operand through its strides; a broadcast operand has stride 0 on its broadcast axes. The op is
// a switch inside the kernel, the same branch for every thread of a launch.
#include <cmath>

#include "ops/cuda/cuda_kernels.cuh"

namespace elbo::cuda {

namespace {

// The math functions of CUDA, overloaded on float and double.
namespace dm {
__device__ inline float exp(float x) { return ::expf(x); }
__device__ inline double exp(double x) { return ::exp(x); }
__device__ inline float expm1(float x) { return ::expm1f(x); }
__device__ inline double expm1(double x) { return ::expm1(x); }
__device__ inline float log(float x) { return ::logf(x); }
__device__ inline double log(double x) { return ::log(x); }
__device__ inline float log1p(float x) { return ::log1pf(x); }
__device__ inline double log1p(double x) { return ::log1p(x); }
__device__ inline float sqrt(float x) { return ::sqrtf(x); }
__device__ inline double sqrt(double x) { return ::sqrt(x); }
__device__ inline float abs(float x) { return ::fabsf(x); }
__device__ inline double abs(double x) { return ::fabs(x); }
__device__ inline float tanh(float x) { return ::tanhf(x); }
__device__ inline double tanh(double x) { return ::tanh(x); }
__device__ inline float pow(float x, float y) { return ::powf(x, y); }
__device__ inline double pow(double x, double y) { return ::pow(x, y); }
__device__ inline float fma(float a, float b, float c) { return ::fmaf(a, b, c); }
__device__ inline double fma(double a, double b, double c) { return ::fma(a, b, c); }
// max and min as the CPU's scalar vm::max / vm::min: a > b ? a : b (b when either is NaN).
template <class T> __device__ inline T max(T a, T b) { return a > b ? a : b; }
template <class T> __device__ inline T min(T a, T b) { return a < b ? a : b; }
// σ(x) = 1/(1 + e^−x), with e = e^−|x| so that exp never overflows (as vecmath.hpp).
template <class T> __device__ inline T sigmoid(T x) {
  const T e = exp(-abs(x));
  return (x >= T(0) ? T(1) : e) / (T(1) + e);
}
// softplus(x) = max(x, 0) + ln(1 + e^−|x|).
template <class T> __device__ inline T softplus(T x) { return max(T(0), x) + log1p(exp(-abs(x))); }
}  // namespace dm

// y = f(x).
template <class T>
__device__ T unary_value(UnaryOp op, T a, T b, T x) {
  switch (op) {
    case UnaryOp::neg: return -x;
    case UnaryOp::exp: return dm::exp(x);
    case UnaryOp::log: return dm::log(x);
    case UnaryOp::log1p: return dm::log1p(x);
    case UnaryOp::sqrt: return dm::sqrt(x);
    case UnaryOp::abs: return dm::abs(x);
    case UnaryOp::square: return x * x;
    case UnaryOp::relu: return dm::max(T(0), x);
    case UnaryOp::leaky_relu: return x > T(0) ? x : a * x;
    case UnaryOp::elu: return x > T(0) ? x : a * dm::expm1(x);
    case UnaryOp::sigmoid: return dm::sigmoid(x);
    case UnaryOp::tanh: return dm::tanh(x);
    case UnaryOp::softplus: return dm::softplus(x);
    case UnaryOp::silu: return x * dm::sigmoid(x);
    case UnaryOp::pow_scalar: return dm::pow(x, a);
    case UnaryOp::soft_clamp: return a * dm::tanh(x / a);
    case UnaryOp::clamp: return dm::min(b, dm::max(a, x));
    case UnaryOp::scale: return a * x;
    case UnaryOp::add_scalar: return x + a;
  }
  return T(0);
}

// gx = gy · f'(x), from x or y = f(x), whichever the derivative is cheaper from.
template <class T>
__device__ T unary_gradient(UnaryOp op, T a, T b, T x, T y, T g) {
  switch (op) {
    case UnaryOp::neg: return -g;
    case UnaryOp::exp: return g * y;
    case UnaryOp::log: return g / x;
    case UnaryOp::log1p: return g / (x + T(1));
    case UnaryOp::sqrt: return g / (T(2) * y);
    case UnaryOp::abs: return x > T(0) ? g : (x < T(0) ? -g : T(0));
    case UnaryOp::square: return (T(2) * x) * g;
    case UnaryOp::relu: return x > T(0) ? g : T(0);
    case UnaryOp::leaky_relu: return x > T(0) ? g : a * g;
    // y = a·(e^x − 1) for x ≤ 0, so f'(x) = a·e^x = y + a
    case UnaryOp::elu: return x > T(0) ? g : g * (y + a);
    case UnaryOp::sigmoid: return (g * y) * (T(1) - y);
    case UnaryOp::tanh: return g * dm::fma(-y, y, T(1));
    case UnaryOp::softplus: return g * dm::sigmoid(x);
    // silu' = σ + x·σ·(1 − σ) = σ·(1 + x·(1 − σ))
    case UnaryOp::silu: {
      const T s = dm::sigmoid(x);
      return (g * s) * dm::fma(x, T(1) - s, T(1));
    }
    case UnaryOp::pow_scalar: return (g * a) * dm::pow(x, a - T(1));
    // y = a·tanh(x/a), so f'(x) = 1 − (y/a)²
    case UnaryOp::soft_clamp: {
      const T t = y / a;
      return g * dm::fma(-t, t, T(1));
    }
    case UnaryOp::clamp: return (x >= a && x <= b) ? g : T(0);
    case UnaryOp::scale: return a * g;
    case UnaryOp::add_scalar: return g;
  }
  return T(0);
}

template <class T>
__device__ T binary_value(BinaryOp op, T u, T v) {
  switch (op) {
    case BinaryOp::add: return u + v;
    case BinaryOp::sub: return u - v;
    case BinaryOp::mul: return u * v;
    case BinaryOp::div: return u / v;
    case BinaryOp::pow: return dm::pow(u, v);
    case BinaryOp::maximum: return u >= v ? u : v;
    case BinaryOp::minimum: return u <= v ? u : v;
    case BinaryOp::equal: return u == v ? T(1) : T(0);
    case BinaryOp::greater: return u > v ? T(1) : T(0);
  }
  return T(0);
}

// Tensors: 0 = y, 1 = x.
template <class T>
__global__ void unary_kernel(UnaryOp op, T a, T b, Strided<2> s, int64_t n, const T* x, T* y) {
  for (int64_t i = first_index(); i < n; i += grid_step()) {
    int64_t offset[2];
    offsets_of(s, i, offset);
    y[offset[0]] = unary_value(op, a, b, x[offset[1]]);
  }
}

// Tensors: 0 = gx, 1 = x, 2 = y, 3 = gy.
template <class T>
__global__ void unary_backward_kernel(UnaryOp op, T a, T b, Strided<4> s, int64_t n, const T* x, const T* y,
                                      const T* gy, T* gx) {
  for (int64_t i = first_index(); i < n; i += grid_step()) {
    int64_t offset[4];
    offsets_of(s, i, offset);
    gx[offset[0]] = unary_gradient(op, a, b, x[offset[1]], y[offset[2]], gy[offset[3]]);
  }
}

// Tensors: 0 = out, 1 = a, 2 = b.
template <class T>
__global__ void binary_kernel(BinaryOp op, Strided<3> s, int64_t n, const T* a, const T* b, T* out) {
  for (int64_t i = first_index(); i < n; i += grid_step()) {
    int64_t offset[3];
    offsets_of(s, i, offset);
    out[offset[0]] = binary_value(op, a[offset[1]], b[offset[2]]);
  }
}

// Every operand on the device, of the output's shape and dtype (broadcast operands are views).
template <int K>
void check_operands(const char* name, const Tensor* const (&tensors)[K]) {
  for (int k = 0; k < K; ++k) {
    check_on_device(name, *tensors[k]);
    ELBO_CHECK(tensors[k]->shape() == tensors[0]->shape(), name, ": operand shape ", tensors[k]->shape().str(),
               " differs from the output's ", tensors[0]->shape().str());
    ELBO_CHECK(tensors[k]->dtype() == tensors[0]->dtype(), name, ": operand dtype ", dtype_name(tensors[k]->dtype()),
               " differs from the output's ", dtype_name(tensors[0]->dtype()));
  }
}

template <class T>
const T* in(const Tensor& t) { return static_cast<const T*>(t.raw_data()); }
template <class T>
T* out(const Tensor& t) { return static_cast<T*>(t.raw_data()); }

}  // namespace

void unary(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y) {
  const char* name = unary_op_name(op);
  const Tensor* tensors[2] = {&y, &x};
  check_operands(name, tensors);
  const int64_t n = y.numel();
  if (n == 0) return;
  const Strided<2> s = merge_axes(tensors);
  dispatch_floating(y.dtype(), name, [&](auto zero) {
    using T = decltype(zero);
    unary_kernel<T><<<blocks_for(n), kThreads, 0, stream()>>>(op, T(a), T(b), s, n, in<T>(x), out<T>(y));
    ELBO_CUDA_LAUNCHED("unary_kernel");
  });
}

void unary_backward(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y, const Tensor& gy,
                    const Tensor& gx) {
  const char* name = unary_op_name(op);
  const Tensor* tensors[4] = {&gx, &x, &y, &gy};
  check_operands(name, tensors);
  const int64_t n = gx.numel();
  if (n == 0) return;
  const Strided<4> s = merge_axes(tensors);
  dispatch_floating(gx.dtype(), name, [&](auto zero) {
    using T = decltype(zero);
    unary_backward_kernel<T><<<blocks_for(n), kThreads, 0, stream()>>>(op, T(a), T(b), s, n, in<T>(x), in<T>(y),
                                                                       in<T>(gy), out<T>(gx));
    ELBO_CUDA_LAUNCHED("unary_backward_kernel");
  });
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& result) {
  const char* name = binary_op_name(op);
  const Tensor* tensors[3] = {&result, &a, &b};
  check_operands(name, tensors);
  const int64_t n = result.numel();
  if (n == 0) return;
  const Strided<3> s = merge_axes(tensors);
  dispatch_floating(result.dtype(), name, [&](auto zero) {
    using T = decltype(zero);
    binary_kernel<T><<<blocks_for(n), kThreads, 0, stream()>>>(op, s, n, in<T>(a), in<T>(b), out<T>(result));
    ELBO_CUDA_LAUNCHED("binary_kernel");
  });
}

}  // namespace elbo::cuda
