// Strided copy with dtype conversion, and fill: the kernels behind contiguous(), permute,
// slice, concat, pad, expand and upsampling.
#include "ops/cpu/cpu_kernels.hpp"
#include "ops/cpu/parallel.hpp"

namespace elbo::cpu {

namespace {
template <class S, class D>
void copy_typed(const Tensor& src, const Tensor& dst) {
  const S* s = static_cast<const S*>(src.raw_data());
  D* d = static_cast<D*>(dst.raw_data());
  int64_t n = dst.numel();
  if (src.is_contiguous() && dst.is_contiguous()) {
    parallel_for(n, n > kParallelGrain, [=](int64_t first, int64_t last, int) {
      for (int64_t i = first; i < last; ++i) d[i] = static_cast<D>(s[i]);
    });
    return;
  }
  const Shape* st[2] = {&src.strides(), &dst.strides()};
  int last = dst.ndim() - 1;
  int64_t ss = last >= 0 ? src.strides()[last] : 0, ds = last >= 0 ? dst.strides()[last] : 0;
  for_each_row<2>(dst.shape(), st, [&](const int64_t* off, int64_t count) {
    const S* sp = s + off[0];
    D* dp = d + off[1];
    for (int64_t i = 0; i < count; ++i) dp[i * ds] = static_cast<D>(sp[i * ss]);
  });
}
}  // namespace

void copy(const Tensor& src, const Tensor& dst) {
  ELBO_CHECK(src.shape() == dst.shape(), "copy: shapes ", src.shape().str(), " and ", dst.shape().str(), " differ");
  // Strided and broadcast views of one floating dtype (contiguous() of a view, a broadcast
  // gradient): the elementwise loop merges their axes into long runs.
  if (src.dtype() == dst.dtype() && is_floating(dst.dtype()) && !(src.is_contiguous() && dst.is_contiguous()))
    return copy_floating(src, dst);
  dispatch_any(src.dtype(), [&](auto s) {
    dispatch_any(dst.dtype(), [&](auto d) { copy_typed<decltype(s), decltype(d)>(src, dst); });
  });
}

void fill(const Tensor& dst, double value) {
  dispatch_any(dst.dtype(), [&](auto zero) {
    using T = decltype(zero);
    T v = static_cast<T>(value);
    T* d = static_cast<T*>(dst.raw_data());
    if (dst.is_contiguous()) {
      int64_t n = dst.numel();
      parallel_for(n, n > kParallelGrain, [=](int64_t first, int64_t last, int) {
        for (int64_t i = first; i < last; ++i) d[i] = v;
      });
      return;
    }
    const Shape* st[1] = {&dst.strides()};
    int64_t ds = dst.strides()[dst.ndim() - 1];
    for_each_row<1>(dst.shape(), st, [&](const int64_t* off, int64_t count) {
      for (int64_t i = 0; i < count; ++i) d[off[0] + i * ds] = v;
    });
  });
}

}  // namespace elbo::cpu
