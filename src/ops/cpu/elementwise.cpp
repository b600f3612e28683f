// Elementwise kernels: unary functions and their derivatives, and broadcasting binary ops.
// The formulas are listed with UnaryOp and BinaryOp in include/elbo/ops/backend.hpp; the f32
// math routines (exp, log, tanh, ...) are in vecmath.hpp.
//
// One loop serves every op (map_elements). Each op is a generic lambda written once for any lane
// type: f32 runs call it on whole SIMD vectors, f64 and strided elements call it on one scalar.
// The vecmath routines give the same bits in every lane type, so an element's value does not
// depend on whether it falls in a vector, a masked partial vector or a scalar step, and therefore
// not on where OpenMP's chunks begin: results are bit-identical at any thread count.
#include <algorithm>
#include <utility>

#include "ops/cpu/cpu_kernels.hpp"
#include "ops/cpu/parallel.hpp"
#include "ops/cpu/vecmath.hpp"

namespace elbo::cpu {

namespace {

// Elements per parallel work item: a fixed multiple of every vector width.
constexpr int64_t kBlock = 1 << 14;

// The iteration space of an elementwise op over K operands (operand 0 is the output): the
// output's shape with extent-1 axes dropped, and adjacent axes i, i+1 merged into one wherever
// every operand steps through them as through a single axis, stride[i] = stride[i+1]·dims[i+1].
// A contiguous tensor becomes one axis; x[N,C,H,W] + b[1,C,1,1] becomes [N, C, H·W] with b's
// strides (0, 1, 0); x[N,D] + b[1,D] stays [N, D] with b's strides (0, 1).
template <int K>
struct Loop {
  int ndim = 0;
  int64_t dims[kMaxDims] = {};
  int64_t strides[K][kMaxDims] = {};
};

template <int K>
Loop<K> merge_axes(const Tensor* const (&operands)[K]) {
  Loop<K> loop;
  const Shape& shape = operands[0]->shape();
  for (int i = 0; i < shape.ndim; ++i) {
    int64_t d = shape.dims[i];
    if (d == 1) continue;
    int last = loop.ndim - 1;
    bool merge = last >= 0;
    for (int k = 0; k < K && merge; ++k) merge = loop.strides[k][last] == operands[k]->strides().dims[i] * d;
    if (!merge) {
      last = loop.ndim++;
      loop.dims[last] = 1;
    }
    loop.dims[last] *= d;
    for (int k = 0; k < K; ++k) loop.strides[k][last] = operands[k]->strides().dims[i];
  }
  if (loop.ndim == 0) {  // one element
    loop.ndim = 1;
    loop.dims[0] = 1;
    for (int k = 0; k < K; ++k) loop.strides[k][0] = 1;
  }
  return loop;
}

// out[i] = f(in_0[i], ...) over a run of n elements where out is contiguous and each input is
// contiguous or, where `constant[k]`, one value repeated (a broadcast operand): whole vectors of
// lane type V, then one masked partial vector.
template <class V, class T, class F, size_t... I>
void vector_run(F& f, T* out, const T* const* in, const bool* constant, int64_t n, std::index_sequence<I...>) {
  constexpr int W = vm::width<V>;
  V fixed[sizeof...(I)];
  for (size_t k = 0; k < sizeof...(I); ++k) fixed[k] = V(constant[k] ? in[k][0] : T(0));
  int64_t i = 0;
  for (; i + W <= n; i += W)
    vm::store(out + i, f((constant[I] ? fixed[I] : vm::load<V>(in[I] + i))...));
  if (i < n) {
    int64_t rest = n - i;
    vm::store(out + i, f((constant[I] ? fixed[I] : vm::load<V>(in[I] + i, rest))...), rest);
  }
}

// The same for any strides, one scalar element at a time.
template <class T, class F, size_t... I>
void strided_run(F& f, T* out, int64_t out_step, const T* const* in, const int64_t* step, int64_t n,
                 std::index_sequence<I...>) {
  for (int64_t i = 0; i < n; ++i) out[i * out_step] = f(in[I][i * step[I]]...);
}

// operands[0] = f(operands[1], ...) elementwise; the inputs are views of the output's shape
// (broadcast inputs carry zero strides). The elements are cut into blocks of kBlock in row-major
// order, one parallel work item each; a block walks the runs along the last merged axis.
template <class T, class V, int K, class F>
void map_elements(const char* name, const Tensor* const (&operands)[K], F f) {
  constexpr int N = K - 1;  // inputs
  for (int k = 1; k < K; ++k) {
    ELBO_CHECK(operands[k]->shape() == operands[0]->shape(), name, ": operand shape ", operands[k]->shape().str(),
               " differs from the output's ", operands[0]->shape().str());
    ELBO_CHECK(operands[k]->dtype() == operands[0]->dtype(), name, ": operand dtype ",
               dtype_name(operands[k]->dtype()), " differs from the output's ", dtype_name(operands[0]->dtype()));
  }
  int64_t n = operands[0]->numel();
  if (n == 0) return;
  const Loop<K> loop = merge_axes(operands);
  const int last = loop.ndim - 1;
  const int64_t run = loop.dims[last];
  T* base[K];
  for (int k = 0; k < K; ++k) base[k] = static_cast<T*>(operands[k]->raw_data());
  int64_t step[N];
  bool constant[N];
  bool vectorised = loop.strides[0][last] == 1;
  for (int k = 0; k < N; ++k) {
    step[k] = loop.strides[k + 1][last];
    constant[k] = step[k] == 0;
    vectorised = vectorised && (step[k] == 0 || step[k] == 1);
  }
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  parallel_for(blocks, n > kParallelGrain, [&](int64_t first_block, int64_t end_block, int) {
    for (int64_t b = first_block; b < end_block; ++b) {
      const int64_t begin = b * kBlock, end = std::min(n, begin + kBlock);
      // Where `begin` lies: its row (an index over the outer axes) and its column in that run.
      int64_t row = begin / run, col = begin % run;
      int64_t index[kMaxDims] = {};
      int64_t offset[K] = {};
      for (int d = last - 1; d >= 0; --d) {
        index[d] = row % loop.dims[d];
        row /= loop.dims[d];
        for (int k = 0; k < K; ++k) offset[k] += index[d] * loop.strides[k][d];
      }
      for (int64_t pos = begin; pos < end;) {
        const int64_t count = std::min(run - col, end - pos);
        T* out = base[0] + offset[0] + col * loop.strides[0][last];
        const T* in[N];
        for (int k = 0; k < N; ++k) in[k] = base[k + 1] + offset[k + 1] + col * step[k];
        if (vectorised) vector_run<V>(f, out, in, constant, count, std::make_index_sequence<N>{});
        else strided_run(f, out, loop.strides[0][last], in, step, count, std::make_index_sequence<N>{});
        pos += count;
        col = 0;
        for (int d = last - 1; d >= 0; --d) {  // next row, as an odometer
          for (int k = 0; k < K; ++k) offset[k] += loop.strides[k][d];
          if (++index[d] < loop.dims[d]) break;
          for (int k = 0; k < K; ++k) offset[k] -= loop.strides[k][d] * loop.dims[d];
          index[d] = 0;
        }
      }
    }
  });
}

// y = f(x). Each lambda takes x of any lane type; T and the parameters a, b are scalars.
template <class T>
void unary_typed(UnaryOp op, T a, T b, const Tensor& x, const Tensor& y) {
  const Tensor* operands[2] = {&y, &x};
  const char* name = unary_op_name(op);
  auto map = [&](auto f) { map_elements<T, vm::Vec<T>>(name, operands, f); };
  switch (op) {
    case UnaryOp::neg: return map([](auto x) { return -x; });
    case UnaryOp::exp: return map([](auto x) { return vm::exp(x); });
    case UnaryOp::log: return map([](auto x) { return vm::log(x); });
    case UnaryOp::log1p: return map([](auto x) { return vm::log1p(x); });
    case UnaryOp::sqrt: return map([](auto x) { return vm::sqrt(x); });
    case UnaryOp::abs: return map([](auto x) { return vm::abs(x); });
    case UnaryOp::square: return map([](auto x) { return x * x; });
    case UnaryOp::relu: return map([](auto x) { return vm::max(T(0), x); });
    case UnaryOp::leaky_relu: return map([a](auto x) { return vm::select(x > T(0), x, a * x); });
    case UnaryOp::elu: return map([a](auto x) { return vm::select(x > T(0), x, a * vm::expm1(x)); });
    case UnaryOp::sigmoid: return map([](auto x) { return vm::sigmoid(x); });
    case UnaryOp::tanh: return map([](auto x) { return vm::tanh(x); });
    case UnaryOp::softplus: return map([](auto x) { return vm::softplus(x); });
    case UnaryOp::silu: return map([](auto x) { return x * vm::sigmoid(x); });
    case UnaryOp::pow_scalar: return map([a](auto x) { return vm::pow(x, decltype(x)(a)); });
    case UnaryOp::soft_clamp: return map([a](auto x) { return a * vm::tanh(x / a); });
    case UnaryOp::clamp: return map([a, b](auto x) { return vm::min(b, vm::max(a, x)); });
    case UnaryOp::scale: return map([a](auto x) { return a * x; });
    case UnaryOp::add_scalar: return map([a](auto x) { return x + a; });
  }
}

// gx = gy · f'(x), each lambda taking (x, y, gy) and reading what its derivative needs.
template <class T>
void unary_backward_typed(UnaryOp op, T a, T b, const Tensor& x, const Tensor& y, const Tensor& gy,
                          const Tensor& gx) {
  const Tensor* operands[4] = {&gx, &x, &y, &gy};
  const char* name = unary_op_name(op);
  auto map = [&](auto f) { map_elements<T, vm::Vec<T>>(name, operands, f); };
  switch (op) {
    case UnaryOp::neg: return map([](auto, auto, auto g) { return -g; });
    case UnaryOp::exp: return map([](auto, auto y, auto g) { return g * y; });
    case UnaryOp::log: return map([](auto x, auto, auto g) { return g / x; });
    case UnaryOp::log1p: return map([](auto x, auto, auto g) { return g / (x + T(1)); });
    case UnaryOp::sqrt: return map([](auto, auto y, auto g) { return g / (T(2) * y); });
    case UnaryOp::abs:
      return map([](auto x, auto, auto g) { return vm::select(x > T(0), g, vm::select(x < T(0), -g, T(0))); });
    case UnaryOp::square: return map([](auto x, auto, auto g) { return (T(2) * x) * g; });
    case UnaryOp::relu: return map([](auto x, auto, auto g) { return vm::select(x > T(0), g, T(0)); });
    case UnaryOp::leaky_relu: return map([a](auto x, auto, auto g) { return vm::select(x > T(0), g, a * g); });
    // y = a·(e^x − 1) for x ≤ 0, so f'(x) = a·e^x = y + a
    case UnaryOp::elu: return map([a](auto x, auto y, auto g) { return vm::select(x > T(0), g, g * (y + a)); });
    case UnaryOp::sigmoid: return map([](auto, auto y, auto g) { return (g * y) * (T(1) - y); });
    case UnaryOp::tanh: return map([](auto, auto y, auto g) { return g * vm::fma(-y, y, T(1)); });
    case UnaryOp::softplus: return map([](auto x, auto, auto g) { return g * vm::sigmoid(x); });
    // silu' = σ + x·σ·(1 − σ) = σ·(1 + x·(1 − σ))
    case UnaryOp::silu:
      return map([](auto x, auto, auto g) {
        auto s = vm::sigmoid(x);
        return (g * s) * vm::fma(x, T(1) - s, T(1));
      });
    case UnaryOp::pow_scalar:
      return map([a](auto x, auto, auto g) { return (g * a) * vm::pow(x, decltype(x)(a - T(1))); });
    // y = a·tanh(x/a), so f'(x) = 1 − tanh²(x/a) = 1 − (y/a)²
    case UnaryOp::soft_clamp:
      return map([a](auto, auto y, auto g) {
        auto t = y / a;
        return g * vm::fma(-t, t, T(1));
      });
    case UnaryOp::clamp:
      return map([a, b](auto x, auto, auto g) { return vm::select((x >= a) & (x <= b), g, T(0)); });
    case UnaryOp::scale: return map([a](auto, auto, auto g) { return a * g; });
    case UnaryOp::add_scalar: return map([](auto, auto, auto g) { return g; });
  }
}

template <class T>
void binary_typed(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const Tensor* operands[3] = {&out, &a, &b};
  const char* name = binary_op_name(op);
  auto map = [&](auto f) { map_elements<T, vm::Vec<T>>(name, operands, f); };
  switch (op) {
    case BinaryOp::add: return map([](auto u, auto v) { return u + v; });
    case BinaryOp::sub: return map([](auto u, auto v) { return u - v; });
    case BinaryOp::mul: return map([](auto u, auto v) { return u * v; });
    case BinaryOp::div: return map([](auto u, auto v) { return u / v; });
    case BinaryOp::pow: return map([](auto u, auto v) { return vm::pow(u, v); });
    case BinaryOp::maximum: return map([](auto u, auto v) { return vm::select(u >= v, u, v); });
    case BinaryOp::minimum: return map([](auto u, auto v) { return vm::select(u <= v, u, v); });
    case BinaryOp::equal: return map([](auto u, auto v) { return vm::select(u == v, T(1), T(0)); });
    case BinaryOp::greater: return map([](auto u, auto v) { return vm::select(u > v, T(1), T(0)); });
  }
}

}  // namespace

void copy_floating(const Tensor& src, const Tensor& dst) {
  dispatch_floating(dst.dtype(), "copy", [&](auto zero) {
    using T = decltype(zero);
    const Tensor* operands[2] = {&dst, &src};
    map_elements<T, vm::Vec<T>>("copy", operands, [](auto x) { return x; });
  });
}

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
