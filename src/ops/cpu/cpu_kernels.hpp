// The CPU backend's kernels, one family per file under src/ops/cpu/. Internal to the library:
// ops reach them through elbo::backend(Device::cpu) (include/elbo/ops/backend.hpp), whose
// comments give each kernel's contract.
#pragma once
#include "elbo/ops/backend.hpp"

namespace elbo::cpu {

// Makes OpenBLAS single-threaded (elbo partitions GEMMs itself) and use this CPU's kernels (gemm.cpp); called once, by the backend's constructor.
void choose_blas_kernels();
// The name of the kernel family OpenBLAS uses (e.g. "Cooperlake").
const char* blas_kernels();

// Elementwise loops smaller than this run on one thread (OpenMP start-up costs more).
constexpr int64_t kParallelGrain = 1 << 15;

void copy(const Tensor& src, const Tensor& dst);                        // copy.cpp
void fill(const Tensor& dst, double value);                             // copy.cpp
// dst = src for one floating dtype, by the elementwise loop (merged axes, vectors, threads).
void copy_floating(const Tensor& src, const Tensor& dst);               // elementwise.cpp
void unary(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y);  // elementwise.cpp
void unary_backward(UnaryOp op, double a, double b, const Tensor& x, const Tensor& y, const Tensor& gy,
                    const Tensor& gx);                                  // elementwise.cpp
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);  // elementwise.cpp
void reduce(ReduceOp op, const Tensor& x, const Tensor& out);          // reduce.cpp
// How reduce(sum) adds the channel sums Σ_{n,k} x[n, c, k] of a contiguous [N, C, inner] x, for
// kernels that produce x and want those sums in the same pass: when channel_sums_by_rows(C,
// inner), reduce sums each row x[n, c, ·] as sum_row does, then the rows' sums, an f64 [N, C],
// over n as reduce(sum) of that tensor over axis 0 does. (Otherwise it takes another order.)
bool channel_sums_by_rows(int64_t channels, int64_t inner);
template <class T> double sum_row(const T* x, int64_t n);
void gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
          const Tensor& c);                                             // gemm.cpp
// The convolution kernels; forward and backward_input apply the epilogue `e` (if given) to each
// block of samples of their output as soon as the block is complete.
void conv2d_forward(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& y,
                    const Epilogue* e = nullptr);                       // conv.cpp
void conv2d_backward_input(const ConvGeometry& g, const Tensor& gy, const Tensor& w, const Tensor& gx,
                           const Epilogue* e = nullptr);
void conv2d_backward_weight(const ConvGeometry& g, const Tensor& x, const Tensor& gy, const Tensor& gw);
// y ← f(y + bias[c]) over a contiguous y [N, C, ...] (ops/backend.hpp, Epilogue)  // epilogue.cpp
void apply_epilogue(const Epilogue& e, const Tensor& y);
// The same over `samples` samples of a contiguous [N, C, inner] output, from y (a block the
// convolution kernels have just written).
void epilogue_samples(const Epilogue& e, float* y, int64_t samples, int64_t channels, int64_t inner);
void epilogue_samples(const Epilogue& e, double* y, int64_t samples, int64_t channels, int64_t inner);
// gz = gy · f'(y) and gb[c] = Σ_{n,k} gz[n, c, k] (Backend::activation_backward).
void activation_backward(FusedActivation f, const Tensor& y, const Tensor& gy, const Tensor& gz, const Tensor& gb);
void softmax(bool log, const Tensor& x, const Tensor& y);              // softmax.cpp
void softmax_backward(bool log, const Tensor& y, const Tensor& gy, const Tensor& gx);
void fill_uniform(const Tensor& dst, uint64_t seed, uint64_t stream, uint64_t counter);  // random.cpp
void fill_normal(const Tensor& dst, uint64_t seed, uint64_t stream, uint64_t counter);
void optimizer_update(const OptimizerStep& s, const Tensor& param, const Tensor& grad, const Tensor& m,
                      const Tensor& v);                                 // optimizer.cpp

// Calls f(offsets..., count) once per innermost run of a strided iteration over `shape`: the
// run covers `count` elements along the last axis, the k-th operand starting at offsets[k]
// (in elements) with stride strides[k][last]. Runs are visited in row-major order.
template <int K, class F>
void for_each_row(const Shape& shape, const Shape* const (&strides)[K], F&& f) {
  int nd = shape.ndim;
  if (nd == 0) {
    int64_t offs[K] = {};
    f(offs, int64_t(1));
    return;
  }
  int64_t rows = 1;
  for (int i = 0; i < nd - 1; ++i) rows *= shape.dims[i];
  int64_t count = shape.dims[nd - 1];
  if (count == 0) return;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t offs[K] = {};
    int64_t rem = r;
    for (int i = nd - 2; i >= 0; --i) {
      int64_t idx = rem % shape.dims[i];
      rem /= shape.dims[i];
      for (int k = 0; k < K; ++k) offs[k] += idx * strides[k]->dims[i];
    }
    f(offs, count);
  }
}

}  // namespace elbo::cpu

namespace elbo::cpu {

// Calls f(T{}) with T the C++ type of a floating dtype, or throws naming `op`.
template <class F>
void dispatch_floating(DType t, const char* op, F&& f) {
  if (t == DType::f32) f(float{});
  else if (t == DType::f64) f(double{});
  else detail::fail(op, ": needs f32 or f64, got ", dtype_name(t));
}

// Calls f(T{}) with T the C++ type of any dtype.
template <class F>
void dispatch_any(DType t, F&& f) {
  switch (t) {
    case DType::f32: f(float{}); break;
    case DType::f64: f(double{}); break;
    case DType::i32: f(int32_t{}); break;
    case DType::i64: f(int64_t{}); break;
    case DType::u8: f(uint8_t{}); break;
  }
}

}  // namespace elbo::cpu
