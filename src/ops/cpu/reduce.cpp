// Reductions over axes in a fixed order: every output element combines its inputs in the
// row-major order of x, whatever the number of threads.
#include <cmath>
#include <limits>

#include "ops/cpu/cpu_kernels.hpp"

namespace elbo::cpu {

namespace {
template <class T>
void reduce_typed(ReduceOp op, const Tensor& x, const Tensor& out) {
  // Strides that map an index of x to its output element: zero along reduced axes.
  Shape out_strides = out.strides();
  for (int i = 0; i < x.ndim(); ++i)
    if (out.shape()[i] == 1 && x.shape()[i] != 1) out_strides[i] = 0;
  const Shape* strides[2] = {&x.strides(), &out_strides};
  const T* xp = x.data<T>();
  T* op_ = out.data<T>();
  int last = x.ndim() - 1;
  int64_t xs = last >= 0 ? x.strides()[last] : 0, os = last >= 0 ? out_strides[last] : 0;
  if (op == ReduceOp::sum) {
    // Accumulate in double: sums of f32 over a whole batch lose digits otherwise.
    int64_t n_out = out.numel();
    Allocator& alloc = cpu_allocator();
    double* acc = static_cast<double*>(alloc.allocate(sizeof(double) * n_out));
    for (int64_t i = 0; i < n_out; ++i) acc[i] = 0.0;
    // acc is laid out like a contiguous out (out itself may be a strided view).
    Shape acc_strides = contiguous_strides(out.shape());
    for (int i = 0; i < x.ndim(); ++i)
      if (out.shape()[i] == 1 && x.shape()[i] != 1) acc_strides[i] = 0;
    const Shape* s2[2] = {&x.strides(), &acc_strides};
    int64_t as = last >= 0 ? acc_strides[last] : 0;
    for_each_row<2>(x.shape(), s2, [&](const int64_t* off, int64_t count) {
      const T* a = xp + off[0];
      double* r = acc + off[1];
      if (as == 0) {
        double s = 0.0;
        for (int64_t i = 0; i < count; ++i) s += static_cast<double>(a[i * xs]);
        *r += s;
      } else {
        for (int64_t i = 0; i < count; ++i) r[i * as] += static_cast<double>(a[i * xs]);
      }
    });
    const Shape* s1[1] = {&out.strides()};
    int64_t k = 0;
    int o_last = out.ndim() - 1;
    int64_t ostep = o_last >= 0 ? out.strides()[o_last] : 0;
    for_each_row<1>(out.shape(), s1, [&](const int64_t* off, int64_t count) {
      for (int64_t i = 0; i < count; ++i) op_[off[0] + i * ostep] = static_cast<T>(acc[k++]);
    });
    alloc.deallocate(acc, sizeof(double) * n_out);
  } else {
    fill(out, -std::numeric_limits<double>::infinity());
    for_each_row<2>(x.shape(), strides, [&](const int64_t* off, int64_t count) {
      const T* a = xp + off[0];
      T* r = op_ + off[1];
      for (int64_t i = 0; i < count; ++i) {
        T v = a[i * xs];
        T& m = r[i * os];
        if (v > m || std::isnan(v)) m = v;
      }
    });
  }
}
}  // namespace

void reduce(ReduceOp op, const Tensor& x, const Tensor& out) {
  ELBO_CHECK(x.ndim() == out.ndim(), "reduce: output rank ", out.ndim(), " differs from input rank ", x.ndim());
  dispatch_floating(x.dtype(), op == ReduceOp::sum ? "sum" : "max",
                    [&](auto zero) { reduce_typed<decltype(zero)>(op, x, out); });
}

}  // namespace elbo::cpu
