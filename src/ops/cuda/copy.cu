// Strided copy with dtype conversion, between any two devices, and fill: the kernels behind
// contiguous(), permute, slice, concat, pad, expand, upsampling and Tensor::to(Device).
//
// On the GPU, one thread per element (grid-stride): element i of the destination, in row-major
// order, is read from the source through its strides (zero for a broadcast axis) and converted
// with static_cast, as the CPU does.
//
// Between host and device the bytes move with cudaMemcpyAsync on the backend's stream; anything
// that is not one contiguous block of one dtype on both sides is first made so on the side where
// it is cheap (strides and dtype resolved by the device kernel, or by the CPU backend on the
// host):
//   host → device   src contiguous, same dtype, dst contiguous: one copy straight into dst;
//                   otherwise src is gathered into a contiguous host tensor of its dtype, copied
//                   into dst if dst is contiguous of that dtype, else into a device tensor that
//                   the device kernel then copies into dst.
//   device → host   the device kernel gathers src into a contiguous device tensor of dst's dtype
//                   (unless src already is one), which is copied to the host and waited for
//                   (the host reads it next), then spread into dst by the CPU backend if dst is
//                   strided.
// A copy from pageable host memory returns once the source has been staged by the driver, so the
// host tensor may be freed right after.
#include "ops/cuda/cuda_kernels.cuh"

namespace elbo::cuda {

namespace {

// dst[i] = S→D(src[i]); tensor 0 of `s` is dst, tensor 1 is src.
template <class S, class D>
__global__ void copy_kernel(Strided<2> s, int64_t n, const S* src, D* dst) {
  for (int64_t i = first_index(); i < n; i += grid_step()) {
    int64_t offset[2];
    offsets_of(s, i, offset);
    dst[offset[0]] = static_cast<D>(src[offset[1]]);
  }
}

template <class T>
__global__ void fill_kernel(Strided<1> s, int64_t n, T value, T* dst) {
  for (int64_t i = first_index(); i < n; i += grid_step()) {
    int64_t offset[1];
    offsets_of(s, i, offset);
    dst[offset[0]] = value;
  }
}

// dst = src, both on the device.
void device_copy(const Tensor& src, const Tensor& dst) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  const Tensor* tensors[2] = {&dst, &src};
  const Strided<2> s = merge_axes(tensors);
  dispatch_any(src.dtype(), [&](auto s_zero) {
    dispatch_any(dst.dtype(), [&](auto d_zero) {
      using S = decltype(s_zero);
      using D = decltype(d_zero);
      copy_kernel<S, D><<<blocks_for(n), kThreads, 0, stream()>>>(s, n, static_cast<const S*>(src.raw_data()),
                                                                   static_cast<D*>(dst.raw_data()));
      ELBO_CUDA_LAUNCHED("copy_kernel");
    });
  });
}

size_t bytes_of(const Tensor& t) { return static_cast<size_t>(t.numel()) * dtype_size(t.dtype()); }

bool plain(const Tensor& t, DType dtype) { return t.is_contiguous() && t.dtype() == dtype; }

void host_to_device(const Tensor& src, const Tensor& dst) {
  Tensor host = src;
  if (!src.is_contiguous()) {  // gather strided or broadcast elements into one block
    host = empty(src.shape(), src.dtype(), Device::cpu);
    backend(Device::cpu).copy(src, host);
  }
  const bool direct = plain(dst, src.dtype());
  Tensor target = direct ? dst : empty(src.shape(), src.dtype(), Device::cuda);
  ELBO_CUDA_CHECK(cudaMemcpyAsync(target.raw_data(), host.raw_data(), bytes_of(host), cudaMemcpyHostToDevice, stream()));
  if (!direct) device_copy(target, dst);  // strides and dtype of dst, on the device
}

void device_to_host(const Tensor& src, const Tensor& dst) {
  Tensor staged = src;
  if (!plain(src, dst.dtype())) {  // gather and convert on the device
    staged = empty(src.shape(), dst.dtype(), Device::cuda);
    device_copy(src, staged);
  }
  Tensor host = dst.is_contiguous() ? dst : empty(dst.shape(), dst.dtype(), Device::cpu);
  ELBO_CUDA_CHECK(cudaMemcpyAsync(host.raw_data(), staged.raw_data(), bytes_of(staged), cudaMemcpyDeviceToHost, stream()));
  ELBO_CUDA_CHECK(cudaStreamSynchronize(stream()));  // the host reads the data next
  if (!dst.is_contiguous()) backend(Device::cpu).copy(host, dst);
}

}  // namespace

void copy(const Tensor& src, const Tensor& dst) {
  ELBO_CHECK(src.defined() && dst.defined(), "copy: undefined operand");
  ELBO_CHECK(src.shape() == dst.shape(), "copy: shapes ", src.shape().str(), " and ", dst.shape().str(), " differ");
  if (dst.numel() == 0) return;
  const bool src_device = src.device() == Device::cuda, dst_device = dst.device() == Device::cuda;
  if (src_device && dst_device) device_copy(src, dst);
  else if (dst_device) host_to_device(src, dst);
  else if (src_device) device_to_host(src, dst);
  else backend(Device::cpu).copy(src, dst);
}

void fill(const Tensor& dst, double value) {
  check_on_device("fill", dst);
  const int64_t n = dst.numel();
  if (n == 0) return;
  const Tensor* tensors[1] = {&dst};
  const Strided<1> s = merge_axes(tensors);
  dispatch_any(dst.dtype(), [&](auto zero) {
    using T = decltype(zero);
    fill_kernel<T><<<blocks_for(n), kThreads, 0, stream()>>>(s, n, static_cast<T>(value),
                                                             static_cast<T*>(dst.raw_data()));
    ELBO_CUDA_LAUNCHED("fill_kernel");
  });
}

}  // namespace elbo::cuda
