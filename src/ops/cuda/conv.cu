// 2-D convolution kernels on contiguous NCHW tensors (the contract is in ops/backend.hpp), as
// column matrices and cuBLAS products:
//
//   forward          y[n,o,i,j]  = Σ_{c,p,q} w[o,c,p,q] · x[n,c, s·i − pad + d·p, s·j − pad + d·q]
//   backward_input   gx[n,c,h,v] = Σ_{o,p,q} w[o,c,p,q] · gy[n,o,i,j]   over s·i − pad + d·p = h, s·j − pad + d·q = v
//   backward_weight  gw[o,c,p,q] = Σ_{n,i,j}  gy[n,o,i,j] · x[n,c, s·i − pad + d·p, s·j − pad + d·q]
//
// (c runs over the C_in/G channels of o's group; G = groups.) Samples are taken in chunks of nb,
// and within a chunk the batch is folded into the columns. With L = OH·OW and Kc = (C_in/G)·KH·KW,
//   cols   [C_in·KH·KW, nb·L]   cols[(c·KH + p)·KW + q][b·L + i·OW + j] = x[n0+b, c, s·i − pad + d·p, s·j − pad + d·q]
//                               (zero outside x): im2col; group g owns rows g·Kc … (g+1)·Kc − 1;
//   Y      [C_out, nb·L]        Y[o][b·L + l] = y[n0+b, o, l]: the outputs channel-major;
//   W_g    [C_out/G, Kc]        rows g·C_out/G … of w, as stored.
// Then, one strided-batched cuBLAS call over the G groups each:
//   forward          Y_g   = W_g · cols_g                then Y is written back into y;
//   backward_input   cols_g = W_gᵀ · GY_g                then col2im gathers cols into gx;
//   backward_weight  gw_g (+)= GY_g · cols_gᵀ            summed over the chunks in order.
//
// Determinism: im2col, the channel transposes and col2im write every output element from one
// thread; col2im gathers (gx[h, v] sums its taps p, q in order) instead of scattering with atomics.
// The chunk size depends on the geometry alone, and cuBLAS runs deterministically (gemm.cu).
#include "ops/cuda/cuda_kernels.cuh"

namespace elbo::cuda {

namespace {

// The column buffer holds at most this many elements (128 MiB in f32): samples per chunk.
constexpr int64_t kColumnBudget = int64_t(1) << 25;

int64_t samples_per_chunk(const ConvGeometry& g) {
  const int64_t per_sample = std::max<int64_t>(1, g.C_in * g.KH * g.KW * g.OH * g.OW);
  return std::clamp<int64_t>(kColumnBudget / per_sample, 1, g.N);
}

// cols[(c·KH + p)·KW + q][b·L + i·OW + j] = x[n0 + b, c, i·s − pad + p·d, j·s − pad + q·d], 0 outside x.
template <class T>
__global__ void im2col_kernel(ConvGeometry g, int64_t n0, int64_t nb, const T* x, T* cols) {
  const int64_t L = g.OH * g.OW, width = nb * L;
  const int64_t total = g.C_in * g.KH * g.KW * width;
  for (int64_t e = first_index(); e < total; e += grid_step()) {
    const int64_t row = e / width, col = e % width;
    const int64_t q = row % g.KW, p = row / g.KW % g.KH, c = row / (g.KW * g.KH);
    const int64_t b = col / L, l = col % L, i = l / g.OW, j = l % g.OW;
    const int64_t h = i * g.stride_h - g.pad_h + p * g.dilation_h;
    const int64_t v = j * g.stride_w - g.pad_w + q * g.dilation_w;
    T value = T(0);
    if (h >= 0 && h < g.H && v >= 0 && v < g.W) value = x[(((n0 + b) * g.C_in + c) * g.H + h) * g.W + v];
    cols[e] = value;
  }
}

// gx[n0 + b, c, h, v] = Σ_{p, q} cols[(c·KH + p)·KW + q][b·L + i·OW + j] over the taps that reach
// (h, v): i·s − pad + p·d = h and j·s − pad + q·d = v with 0 ≤ i < OH, 0 ≤ j < OW. Taps in order
// p, then q; an element no tap reaches (output_padding of a transposed convolution) is 0.
template <class T>
__global__ void col2im_kernel(ConvGeometry g, int64_t n0, int64_t nb, const T* cols, T* gx) {
  const int64_t L = g.OH * g.OW, width = nb * L;
  const int64_t total = nb * g.C_in * g.H * g.W;
  for (int64_t e = first_index(); e < total; e += grid_step()) {
    const int64_t v = e % g.W, h = e / g.W % g.H, c = e / (g.W * g.H) % g.C_in, b = e / (g.W * g.H * g.C_in);
    T acc = T(0);
    for (int64_t p = 0; p < g.KH; ++p) {
      const int64_t hs = h + g.pad_h - p * g.dilation_h;  // = i·s
      if (hs < 0 || hs % g.stride_h != 0 || hs / g.stride_h >= g.OH) continue;
      const int64_t i = hs / g.stride_h;
      for (int64_t q = 0; q < g.KW; ++q) {
        const int64_t vs = v + g.pad_w - q * g.dilation_w;  // = j·s
        if (vs < 0 || vs % g.stride_w != 0 || vs / g.stride_w >= g.OW) continue;
        const int64_t j = vs / g.stride_w;
        acc += cols[((c * g.KH + p) * g.KW + q) * width + b * L + i * g.OW + j];
      }
    }
    gx[n0 * g.C_in * g.H * g.W + e] = acc;
  }
}

// t[ch][b·L + l] = a[n0 + b][ch][l] for a tensor a[N, C, L]: samples n0 … n0 + nb − 1 channel-major.
template <class T>
__global__ void batch_to_channels_kernel(int64_t C, int64_t L, int64_t n0, int64_t nb, const T* a, T* t) {
  const int64_t total = C * nb * L;
  for (int64_t e = first_index(); e < total; e += grid_step()) {
    const int64_t l = e % L, b = e / L % nb, ch = e / (L * nb);
    t[e] = a[((n0 + b) * C + ch) * L + l];
  }
}

// a[n0 + b][ch][l] = t[ch][b·L + l]: the reverse.
template <class T>
__global__ void channels_to_batch_kernel(int64_t C, int64_t L, int64_t n0, int64_t nb, const T* t, T* a) {
  const int64_t total = nb * C * L;
  for (int64_t e = first_index(); e < total; e += grid_step()) {
    const int64_t l = e % L, ch = e / L % C, b = e / (L * C);
    a[n0 * C * L + e] = t[(ch * nb + b) * L + l];
  }
}

template <class T>
void im2col(const ConvGeometry& g, int64_t n0, int64_t nb, const T* x, T* cols) {
  const int64_t total = g.C_in * g.KH * g.KW * nb * g.OH * g.OW;
  im2col_kernel<T><<<blocks_for(total), kThreads, 0, stream()>>>(g, n0, nb, x, cols);
  ELBO_CUDA_LAUNCHED("im2col_kernel");
}

template <class T>
void col2im(const ConvGeometry& g, int64_t n0, int64_t nb, const T* cols, T* gx) {
  const int64_t total = nb * g.C_in * g.H * g.W;
  col2im_kernel<T><<<blocks_for(total), kThreads, 0, stream()>>>(g, n0, nb, cols, gx);
  ELBO_CUDA_LAUNCHED("col2im_kernel");
}

template <class T>
void batch_to_channels(int64_t C, int64_t L, int64_t n0, int64_t nb, const T* a, T* t) {
  batch_to_channels_kernel<T><<<blocks_for(C * nb * L), kThreads, 0, stream()>>>(C, L, n0, nb, a, t);
  ELBO_CUDA_LAUNCHED("batch_to_channels_kernel");
}

template <class T>
void channels_to_batch(int64_t C, int64_t L, int64_t n0, int64_t nb, const T* t, T* a) {
  channels_to_batch_kernel<T><<<blocks_for(C * nb * L), kThreads, 0, stream()>>>(C, L, n0, nb, t, a);
  ELBO_CUDA_LAUNCHED("channels_to_batch_kernel");
}

// The sizes every kernel below uses.
struct Sizes {
  int64_t L, Kc, C_out_g, chunk;
  explicit Sizes(const ConvGeometry& g)
      : L(g.OH * g.OW), Kc(g.C_in / g.groups * g.KH * g.KW), C_out_g(g.C_out / g.groups), chunk(samples_per_chunk(g)) {}
};

template <class T>
void forward(const ConvGeometry& g, const T* x, const T* w, T* y) {
  const Sizes z(g);
  DeviceScratch<T> cols(g.C_in * g.KH * g.KW * z.chunk * z.L), Y(g.C_out * z.chunk * z.L);
  for (int64_t n0 = 0; n0 < g.N; n0 += z.chunk) {
    const int64_t nb = std::min(z.chunk, g.N - n0), width = nb * z.L;
    im2col(g, n0, nb, x, cols.get());
    // Y_g = W_g · cols_g for every group g
    gemm_strided<T>(false, false, z.C_out_g, width, z.Kc, T(1), w, z.Kc, z.C_out_g * z.Kc, cols.get(), width,
                    z.Kc * width, T(0), Y.get(), width, z.C_out_g * width, g.groups);
    channels_to_batch(g.C_out, z.L, n0, nb, Y.get(), y);
  }
}

template <class T>
void backward_input(const ConvGeometry& g, const T* gy, const T* w, T* gx) {
  const Sizes z(g);
  DeviceScratch<T> cols(g.C_in * g.KH * g.KW * z.chunk * z.L), GY(g.C_out * z.chunk * z.L);
  for (int64_t n0 = 0; n0 < g.N; n0 += z.chunk) {
    const int64_t nb = std::min(z.chunk, g.N - n0), width = nb * z.L;
    batch_to_channels(g.C_out, z.L, n0, nb, gy, GY.get());
    // cols_g = W_gᵀ · GY_g for every group g
    gemm_strided<T>(true, false, z.Kc, width, z.C_out_g, T(1), w, z.Kc, z.C_out_g * z.Kc, GY.get(), width,
                    z.C_out_g * width, T(0), cols.get(), width, z.Kc * width, g.groups);
    col2im(g, n0, nb, cols.get(), gx);
  }
}

template <class T>
void backward_weight(const ConvGeometry& g, const T* x, const T* gy, T* gw) {
  const Sizes z(g);
  DeviceScratch<T> cols(g.C_in * g.KH * g.KW * z.chunk * z.L), GY(g.C_out * z.chunk * z.L);
  for (int64_t n0 = 0; n0 < g.N; n0 += z.chunk) {
    const int64_t nb = std::min(z.chunk, g.N - n0), width = nb * z.L;
    im2col(g, n0, nb, x, cols.get());
    batch_to_channels(g.C_out, z.L, n0, nb, gy, GY.get());
    // gw_g = GY_g · cols_gᵀ for the first chunk, gw_g += … for the others
    const T beta = n0 == 0 ? T(0) : T(1);
    gemm_strided<T>(false, true, z.C_out_g, z.Kc, width, T(1), GY.get(), width, z.C_out_g * width, cols.get(), width,
                    z.Kc * width, beta, gw, z.Kc, z.C_out_g * z.Kc, g.groups);
  }
}

void check_operands(const char* op, const ConvGeometry& g, const Tensor& a, const Shape& a_shape, const Tensor& b,
                    const Shape& b_shape, const Tensor& out, const Shape& out_shape) {
  ELBO_CHECK(g.N >= 1 && g.C_in >= 1 && g.C_out >= 1 && g.groups >= 1 && g.C_in % g.groups == 0 &&
                 g.C_out % g.groups == 0 && g.H >= 1 && g.W >= 1 && g.OH >= 1 && g.OW >= 1 && g.KH >= 1 &&
                 g.KW >= 1 && g.stride_h >= 1 && g.stride_w >= 1 && g.dilation_h >= 1 && g.dilation_w >= 1 &&
                 g.pad_h >= 0 && g.pad_w >= 0,
             op, ": invalid geometry (N ", g.N, ", C_in ", g.C_in, ", C_out ", g.C_out, ", groups ", g.groups,
             ", input ", g.H, "x", g.W, ", output ", g.OH, "x", g.OW, ", kernel ", g.KH, "x", g.KW, ")");
  const Tensor* ts[3] = {&a, &b, &out};
  const Shape* shapes[3] = {&a_shape, &b_shape, &out_shape};
  for (int i = 0; i < 3; ++i) {
    check_on_device(op, *ts[i]);
    ELBO_CHECK(ts[i]->shape() == *shapes[i], op, ": operand ", ts[i]->str(), " should have shape ", shapes[i]->str());
    ELBO_CHECK(ts[i]->is_contiguous(), op, ": operand ", ts[i]->str(), " must be contiguous");
    ELBO_CHECK(ts[i]->dtype() == out.dtype(), op, ": operands ", ts[i]->str(), " and ", out.str(), " differ in dtype");
  }
}

Shape x_shape(const ConvGeometry& g) { return Shape{g.N, g.C_in, g.H, g.W}; }
Shape w_shape(const ConvGeometry& g) { return Shape{g.C_out, g.C_in / g.groups, g.KH, g.KW}; }
Shape y_shape(const ConvGeometry& g) { return Shape{g.N, g.C_out, g.OH, g.OW}; }

template <class T>
const T* in(const Tensor& t) { return static_cast<const T*>(t.raw_data()); }
template <class T>
T* out(const Tensor& t) { return static_cast<T*>(t.raw_data()); }

}  // namespace

void conv2d_forward(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& y) {
  check_operands("conv2d_forward", g, x, x_shape(g), w, w_shape(g), y, y_shape(g));
  dispatch_floating(y.dtype(), "conv2d_forward", [&](auto zero) {
    using T = decltype(zero);
    forward<T>(g, in<T>(x), in<T>(w), out<T>(y));
  });
}

void conv2d_backward_input(const ConvGeometry& g, const Tensor& gy, const Tensor& w, const Tensor& gx) {
  check_operands("conv2d_backward_input", g, gy, y_shape(g), w, w_shape(g), gx, x_shape(g));
  dispatch_floating(gx.dtype(), "conv2d_backward_input", [&](auto zero) {
    using T = decltype(zero);
    backward_input<T>(g, in<T>(gy), in<T>(w), out<T>(gx));
  });
}

void conv2d_backward_weight(const ConvGeometry& g, const Tensor& x, const Tensor& gy, const Tensor& gw) {
  check_operands("conv2d_backward_weight", g, x, x_shape(g), gy, y_shape(g), gw, w_shape(g));
  dispatch_floating(gw.dtype(), "conv2d_backward_weight", [&](auto zero) {
    using T = decltype(zero);
    backward_weight<T>(g, in<T>(x), in<T>(gy), out<T>(gw));
  });
}

}  // namespace elbo::cuda
