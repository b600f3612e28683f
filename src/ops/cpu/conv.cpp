// 2-D convolution kernels on contiguous NCHW tensors (the contract is in ops/backend.hpp):
//
//   forward          y[n,o,i,j]  = Σ_{c,p,q} w[o,c,p,q] · x[n,c, s·i − pad + d·p, s·j − pad + d·q]
//   backward_input   gx[n,c,h,v] = Σ_{o,p,q} w[o,c,p,q] · gy[n,o,i,j]   over s·i − pad + d·p = h, s·j − pad + d·q = v
//   backward_weight  gw[o,c,p,q] = Σ_{n,i,j}  gy[n,o,i,j] · x[n,c, s·i − pad + d·p, s·j − pad + d·q]
//
// (c runs over the channels of o's group.) forward and backward_input become sums of "taps": for
// a vector of consecutive output positions, every term reads one vector of a staged input at a
// fixed offset, so the sums are the tap tiles of conv_tiles.hpp (AVX-512 FMA, weights broadcast).
// backward_weight sums outer products instead (weight tiles: a vector of output channels of gy
// times each tap's input value, broadcast); see backward_weight below.
//
// Staging. Write a kernel offset as d·p − pad = s·shift(p) + phase(p) with 0 ≤ phase(p) < s.
// Input row s·i − pad + d·p is then row i + shift(p) of the phase plane x[s·ρ + phase(p)].
//   forward: for each channel, row phase r and kernel column q, the plane
//       X[r, q][ρ][j] = x[s·ρ + r][s·j − pad + d·q]          (zero outside x)
//   has one column per output column j, so tap (p, q) of output (i, j) is element
//   (i + shift(p), j) of plane (phase(p), q): the output position plus a fixed offset.
//   backward_input: the rows h = s·t + a and columns v = s·u + b of gx form the output phase
//       (a, b); it sums the taps with phase(p) = a, phase(q) = b:
//       gx[s·t + a][s·u + b] = Σ_o Σ_{p,q} w[o,c,p,q] · gy[t − shift(p)][u − shift(q)],
//   read from the planes Y[q][ρ][u] = gy[ρ][u − shift(q)] (zero outside gy), one column per
//   column of the output phase; the phases are interleaved into gx at the end. With few input
//   channels per group it runs through columns instead (backward_input_columns).
// A plane holds zeros wherever its tap falls outside the input, so the tiles load whole vectors
// without masks. Staging costs about 0.3 cycles per staged element, some 10–15% of the products
// on the VAE's layers.
//
// Why not im2col + sgemm. On the VAE's layers (batch 64, f32, one core of the 2.7 GHz AVX-512
// Xeon these were tuned on, FMA peak 175 GFLOP/s), OpenBLAS 0.3.21's sgemm runs the im2col
// shapes at 80–115 GFLOP/s with its AVX-512 kernels and at 25–32 GFLOP/s when it does not
// recognise the CPU (it falls back to SSE3 there), before the im2col/col2im passes; PyTorch's
// im2col + col2im transposed layers reach 30–50 GFLOP/s. The tap tiles run at 120–135 GFLOP/s
// (forward and input gradient of the large layers) and need no column buffer and no library.
// tools/bench/bench_kernels prints the figures per layer.
//
// Depthwise convolutions (one input and one output channel per group) take their own path: each
// channel is a small 2-D correlation of its own (section "depthwise" below).
//
// Parallelism and determinism. forward and backward_input split the batch into blocks of samples,
// one thread per block, each output written once. backward_weight splits the (channel, tap)
// columns of gw among the threads; each thread sums its outputs over the whole batch in the order
// (sample, row, column). Every output is a sum in an order fixed by the shapes, so the results
// are bit-identical for any number of threads.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "ops/cpu/conv_tiles.hpp"
#include "ops/cpu/cpu_kernels.hpp"
#include "ops/cpu/parallel.hpp"

namespace elbo::cpu {

namespace {

using conv::Lanes;

// Scratch memory from the CPU allocator (a cache: no system call in steady state), returned on scope exit.
template <class T>
class Scratch {
 public:
  explicit Scratch(int64_t count) : bytes_(sizeof(T) * static_cast<size_t>(std::max<int64_t>(count, 1))) {
    data_ = static_cast<T*>(cpu_allocator().allocate(bytes_));
  }
  ~Scratch() { cpu_allocator().deallocate(data_, bytes_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* get() const { return data_; }
  T& operator[](int64_t i) const { return data_[i]; }

 private:
  size_t bytes_;
  T* data_;
};

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

// One spatial axis: input length `in`, output length `out`, and the phase decomposition of its taps.
struct Axis {
  int64_t in, out, kernel, stride, pad, dilation;
  // d·k − pad = s·shift(k) + phase(k), 0 ≤ phase(k) < s.
  int64_t shift(int64_t k) const { return floor_div(dilation * k - pad, stride); }
  int64_t phase(int64_t k) const { return dilation * k - pad - stride * shift(k); }
  // How many input indices s·t + r lie in [0, in).
  int64_t phase_length(int64_t r) const { return in > r ? ceil_div(in - r, stride) : 0; }
  int64_t min_shift() const { return shift(0); }
  int64_t max_shift() const { return shift(kernel - 1); }
};

Axis rows_axis(const ConvGeometry& g) { return {g.H, g.OH, g.KH, g.stride_h, g.pad_h, g.dilation_h}; }
Axis cols_axis(const ConvGeometry& g) { return {g.W, g.OW, g.KW, g.stride_w, g.pad_w, g.dilation_w}; }

// For each of `count` planes k (source src + k·src_stride, destination dst + k·dst_stride):
//     dst[i][u] = src[step_h·(row_lo + i) + off_h][step_w·u + off_w]    for i < rows, u < cols,
// zero where that element is outside the src_rows × src_cols source. Whole vectors at a time: a
// masked load of the source row (zero outside it), and for step 2 the even lanes of two such
// loads. Every row of every plane has the same columns, so the masks are computed once.
template <class T>
void stage_planes(const T* src, int64_t src_stride, int64_t src_rows, int64_t src_cols, int64_t step_h, int64_t off_h,
                  int64_t step_w, int64_t off_w, int64_t row_lo, int64_t rows, int64_t cols, T* dst,
                  int64_t dst_stride, int64_t count) {
  using L = Lanes<T>;
  constexpr int64_t W = L::width;
  // The rows [i0, i1) lie inside the source; the others are zero.
  const int64_t i0 = std::clamp<int64_t>(ceil_div(-off_h, step_h) - row_lo, 0, rows);
  const int64_t i1 = std::clamp<int64_t>(ceil_div(src_rows - off_h, step_h) - row_lo, i0, rows);
  const int64_t src_step = step_h * src_cols, first_row = (step_h * (row_lo + i0) + off_h) * src_cols;
  for (int64_t u = 0; u < cols; u += W) {
    const int64_t b = off_w + step_w * u;  // the source column of lane 0
    const typename L::Mask keep = L::first(cols - u), m0 = L::lanes(-b, src_cols - b), m1 = L::lanes(-b - W, src_cols - b - W);
    for (int64_t k = 0; k < count; ++k) {
      T* d = dst + k * dst_stride + u;
      const T* row = src + k * src_stride + first_row + b;
      for (int64_t i = 0; i < i0; ++i) L::store(d + i * cols, keep, L::zero());
      if (step_w == 1) {
        for (int64_t i = i0; i < i1; ++i, row += src_step) L::store(d + i * cols, keep, L::load(m0, row));
      } else if (step_w == 2) {
        for (int64_t i = i0; i < i1; ++i, row += src_step)
          L::store(d + i * cols, keep, L::evens(L::load(m0, row), L::load(m1, row + W)));
      } else {
        for (int64_t i = i0; i < i1; ++i, row += src_step)
          for (int64_t l = 0; l < W && u + l < cols; ++l)
            d[i * cols + l] = b + step_w * l >= 0 && b + step_w * l < src_cols ? row[step_w * l] : T(0);
      }
      for (int64_t i = i1; i < rows; ++i) L::store(d + i * cols, keep, L::zero());
    }
  }
}

// For each of `count` planes k (source src + k·src_stride, destination dst + k·dst_stride), the
// source plane (rows × cols) with its padding made explicit:
//     dst[r][u] = src[r − pad_h][u − pad_w]    for r < dst_rows, u < dst_cols, zero outside src.
// Row by row, so that the source is read in order (it is usually not in the cache yet).
template <class T>
void pad_planes(const T* src, int64_t src_stride, int64_t rows, int64_t cols, int64_t pad_h, int64_t pad_w,
                int64_t dst_rows, int64_t dst_cols, T* dst, int64_t dst_stride, int64_t count) {
  using L = Lanes<T>;
  constexpr int64_t W = L::width;
  for (int64_t k = 0; k < count; ++k) {
    const T* plane = src + k * src_stride;
    T* out = dst + k * dst_stride;
    for (int64_t r = 0; r < dst_rows; ++r, out += dst_cols) {
      const int64_t h = r - pad_h;
      if (h < 0 || h >= rows) {
        std::fill_n(out, dst_cols, T(0));
        continue;
      }
      const T* row = plane + h * cols - pad_w;  // row[u] is source column u − pad_w
      for (int64_t u = 0; u < dst_cols; u += W)
        L::store(out + u, L::first(dst_cols - u), L::load(L::lanes(pad_w - u, cols + pad_w - u), row + u));
    }
  }
}

// Writes the phase planes of one channel into its rows × cols plane: dst[h][v] is row h / sh,
// column v / sw of phase (h mod sh, v mod sw), which starts at src + phase_offset[phase] and has
// row pitch pitch[v mod sw].
template <class T>
void interleave_phases(const T* src, const int64_t* phase_offset, const int64_t* pitch, int64_t sh, int64_t sw, T* dst,
                       int64_t rows, int64_t cols) {
  using L = Lanes<T>;
  constexpr int64_t W = L::width;
  for (int64_t h = 0; h < rows; ++h, dst += cols) {
    const int64_t a = h % sh, t = h / sh;
    if (sw == 1) {
      std::memcpy(dst, src + phase_offset[a] + t * pitch[0], sizeof(T) * static_cast<size_t>(cols));
    } else if (sw == 2) {  // even and odd columns, W of each at a time
      const T* even = src + phase_offset[2 * a] + t * pitch[0];
      const T* odd = src + phase_offset[2 * a + 1] + t * pitch[1];
      for (int64_t u = 0; u < pitch[0]; u += W)
        L::store_interleaved(dst + 2 * u, cols - 2 * u, L::load(L::first(pitch[0] - u), even + u),
                             L::load(L::first(pitch[1] - u), odd + u));
    } else {
      for (int64_t v = 0; v < cols; ++v) dst[v] = src[phase_offset[a * sw + v % sw] + t * pitch[v % sw] + v / sw];
    }
  }
}

// Packs the rows of a matrix value(row, k) (rows_per_group rows in each group, K columns) into
// tiles of up to kMaxRows rows, k-major: the tile starting at row r0 begins at dst + r0·K and
// holds value(r0 + r, k) at [k·rows_in_tile + r], the order tap_tile reads its weights in.
template <class T, class Value>
void pack_rows(int64_t groups, int64_t rows_per_group, int64_t K, T* dst, const Value& value) {
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t r0 = 0; r0 < rows_per_group; r0 += conv::kMaxRows) {
      const int64_t mr = std::min<int64_t>(conv::kMaxRows, rows_per_group - r0), row0 = g * rows_per_group + r0;
      T* d = dst + row0 * K;
      for (int64_t k = 0; k < K; ++k)
        for (int64_t r = 0; r < mr; ++r) d[k * mr + r] = value(row0 + r, k);
    }
}

// Samples per block for the forward and input-gradient kernels: enough output vectors for a few
// tiles, and at least as many blocks as threads where the batch allows (the block size changes
// which outputs share a tile, never a result).
int64_t block_samples(int64_t vectors_per_sample, int64_t N, int threads) {
  constexpr int64_t kBlockVectors = 12;
  const int64_t wanted = ceil_div(kBlockVectors, std::max<int64_t>(vectors_per_sample, 1));
  return std::clamp<int64_t>(std::min(wanted, ceil_div(N, threads)), 1, std::max<int64_t>(N, 1));
}

// Brings the next block's input into the L2 cache while the current block computes: `count`
// regions of `bytes` bytes, `stride` bytes apart, requested a share at a time by step() between
// tiles. (The inputs are fresh activations, in L3 or memory; staging them on demand stalls on
// the few misses a core keeps in flight, and so would requesting them all at once.)
class Prefetcher {
 public:
  Prefetcher(const void* first, int64_t bytes, int64_t stride, int64_t count, int64_t steps)
      : at_(static_cast<const char*>(first)), bytes_(bytes), stride_(stride), count_(count),
        per_step_(ceil_div(ceil_div(bytes, 64) * count, std::max<int64_t>(steps, 1))) {}
  void step() {
    for (int64_t i = 0; i < per_step_ && region_ < count_; ++i) {
      __builtin_prefetch(at_ + region_ * stride_ + offset_, 0, 2);
      if ((offset_ += 64) >= bytes_) {
        offset_ = 0;
        ++region_;
      }
    }
  }

 private:
  const char* at_ = nullptr;
  int64_t bytes_ = 0, stride_ = 0, count_ = 0, per_step_ = 0, region_ = 0, offset_ = 0;
};

// The output planes of one group for the tap tiles: `plane` positions per sample, `vectors`
// vectors of W lanes covering them, `samples` samples, each tile `rows` output channels.
struct TileSpan {
  int64_t plane, vectors, samples, rows;
};

// Taps per block of the channel sum: the inputs of a tile's block, about kBlockTaps × 3 vectors
// of a few rows each, then stay in the L1 cache while every row tile passes over them.
constexpr int64_t kBlockTaps = 128;

int vectors_per_tile(const TileSpan& span) {
  return conv::vectors_for_rows(static_cast<int>(std::min<int64_t>(span.rows, conv::kMaxRows)));
}
int64_t channel_block(int64_t taps) { return std::max<int64_t>(1, kBlockTaps / std::max<int64_t>(taps, 1)); }

// How many tiles run_tap_tiles runs over a span.
int64_t tap_tile_count(const TileSpan& span, int64_t channels, int64_t taps) {
  return ceil_div(span.samples * span.vectors, vectors_per_tile(span)) * ceil_div(channels, channel_block(taps)) *
         ceil_div(span.rows, conv::kMaxRows);
}

// Runs tap tiles over a span: vector i of the span is vector i % vectors of sample i / vectors;
//   in_at(b, k)   the staged input of sample b at its k-th vector, first channel of the group
//   out_at(b, k)  the output of sample b at its k-th vector, first output channel of the group
// weights: the packed rows of the group (pack_rows), K per row. Each tile is followed by a
// step of the prefetcher.
template <class T, class InAt, class OutAt>
void run_tap_tiles(conv::TapTileArgs<T> a, const TileSpan& span, const T* weights, int64_t K, const InAt& in_at,
                   const OutAt& out_at, Prefetcher& prefetch) {
  using L = Lanes<T>;
  constexpr int64_t W = L::width;
  const int nv_tile = vectors_per_tile(span);
  const int64_t total = span.samples * span.vectors;
  const int64_t channels = a.channels, block = channel_block(a.taps);
  const T* in0[conv::kMaxVectors];
  T* out0[conv::kMaxVectors];
  for (int64_t first = 0; first < total; first += nv_tile) {
    const int nv = static_cast<int>(std::min<int64_t>(nv_tile, total - first));
    for (int i = 0; i < nv; ++i) {
      const int64_t b = (first + i) / span.vectors, k = (first + i) % span.vectors;
      in0[i] = in_at(b, k);
      out0[i] = out_at(b, k);
      a.store_mask[i] = L::first(span.plane - k * W);  // only the plane's last vector reaches past its end
    }
    // The sum over channels runs in blocks whose inputs fit the L1 cache together, each block
    // adding to the partial sums the previous one stored (exact: same roundings, same order).
    for (int64_t c0 = 0; c0 < channels; c0 += block) {
      a.channels = std::min(block, channels - c0);
      a.accumulate = c0 > 0;
      for (int64_t r0 = 0; r0 < span.rows; r0 += conv::kMaxRows) {
        const int mr = static_cast<int>(std::min<int64_t>(conv::kMaxRows, span.rows - r0));
        a.weights = weights + r0 * K + c0 * a.taps * mr;
        for (int i = 0; i < nv; ++i) {
          a.in[i] = in0[i] + c0 * a.channel_stride;
          a.out[i] = out0[i] + r0 * a.out_row_stride;
        }
        conv::kTapTiles<T>[mr - 1][nv - 1](a);
        prefetch.step();
      }
    }
  }
}

// The staged planes X[r, q] of the forward pass (see the top) for a block of `samples` samples,
// laid out [channel][r, q][sample][row][column]: a plane has rows [row_lo, row_lo + rows) × OW
// columns, and the planes of one (r, q) for the block's samples are consecutive, so that a tap
// walks contiguous memory from sample to sample. W elements of slack follow each such run: the
// last vector of a plane may read up to W − 1 elements past it, into lanes that are never stored.
struct InputPlanes {
  int64_t row_lo, rows, plane, kind, channel;
  InputPlanes(const ConvGeometry& g, int64_t samples, int64_t W) {
    const Axis ah = rows_axis(g);
    row_lo = ah.min_shift();
    rows = g.OH + ah.max_shift() - row_lo;
    plane = rows * g.OW;
    kind = samples * plane + W;
    channel = g.stride_h * g.KW * kind;
  }
  // Where tap (p, q) of output position 0 of sample 0 lies, from the channel's start.
  int64_t tap_offset(const ConvGeometry& g, int64_t p, int64_t q) const {
    const Axis ah = rows_axis(g);
    return (ah.phase(p) * g.KW + q) * kind + (ah.shift(p) - row_lo) * g.OW;
  }
  // Stages `count` consecutive H×W channel planes of one sample; dst is its first staged
  // channel, offset to the sample's place.
  template <class T>
  void stage(const ConvGeometry& g, const T* src, T* dst, int64_t count) const {
    for (int64_t r = 0; r < g.stride_h; ++r)
      for (int64_t q = 0; q < g.KW; ++q)
        stage_planes(src, g.H * g.W, g.H, g.W, g.stride_h, r, g.stride_w, g.dilation_w * q - g.pad_w, row_lo, rows, g.OW,
                     dst + (r * g.KW + q) * kind, channel, count);
  }
};

// ---- depthwise ----------------------------------------------------------------------------------
//
// One input and one output channel per group (groups = C_in = C_out: the depthwise convolutions of
// MobileNet's inverted residuals and NVAE's decoder cells). Each channel is then its own small 2-D
// correlation, and the tiles above, which share each broadcast input value among a vector of
// output channels, would run with one useful lane in 16. With xp the channel's input plane with its
// padding made explicit (pad_plane):
//
//   forward          y[i][j]  = Σ_{p,q} w[p,q] · xp[s·i + d·p][s·j + d·q]
//   backward_input   stride 1: gx[h][v] = Σ_{p,q} w[KH−1−p, KW−1−q] · gyp[h + d·p][v + d·q], the same
//                    correlation of the output gradient padded by d·(K − 1) − pad, with the kernel
//                    turned around; other strides: gxp[s·i + d·p][s·j + d·q] += w[p,q] · gy[i][j]
//   backward_weight  gw[p,q]  = Σ_{n,i,j} gy[n][i][j] · xp_n[s·i + d·p][s·j + d·q]
//
// With stride 1 along the columns every term is a run of consecutive j, taken W at a time: a
// correlation sums a vector of W outputs over the taps in a register (four rows at once, four
// independent chains of FMAs); the weight gradient keeps W lanes of partial sums per tap (lane l
// sums the terms with j ≡ l mod W, plane after plane; four taps at once) and adds the lanes at the
// end. With a column stride above 1 the same sums run one element at a time.
// Parallelism and determinism: forward and backward_input give each thread whole (sample, channel)
// planes; backward_weight whole channels, each summed over the batch in order. Every sum has an
// order fixed by the shapes.

bool is_depthwise(const ConvGeometry& g) { return g.groups > 1 && g.groups == g.C_in && g.groups == g.C_out; }

// The taps of a correlation over a padded plane `cols` wide.
struct PlaneTaps {
  int64_t KH, KW, stride_h, stride_w, dilation_h, dilation_w, cols;
};

// Output rows i0 … i0 + NR − 1 of correlate_plane, with stride 1 along the columns: a vector of W
// outputs per row, NR independent chains of FMAs over the taps, kept in registers.
template <class T, int NR>
void correlate_rows(const T* in, const T* k, const PlaneTaps& t, T* out, int64_t width, int64_t i0) {
  using L = Lanes<T>;
  constexpr int64_t W = L::width;
  for (int64_t j0 = 0; j0 < width; j0 += W) {
    const typename L::Mask m = L::first(width - j0);
    typename L::V acc[NR];
    for (int r = 0; r < NR; ++r) acc[r] = L::zero();
    for (int64_t p = 0; p < t.KH; ++p)
      for (int64_t q = 0; q < t.KW; ++q) {
        const T kv = k[p * t.KW + q];
        const T* base = in + (t.stride_h * i0 + t.dilation_h * p) * t.cols + t.dilation_w * q + j0;
        for (int r = 0; r < NR; ++r) acc[r] = L::fma(kv, L::load(m, base + t.stride_h * r * t.cols), acc[r]);
      }
    for (int r = 0; r < NR; ++r) L::store(out + (i0 + r) * width + j0, m, acc[r]);
  }
}

// out[i][j] = Σ_{p,q} k[p·KW + q] · in[(s·i + d·p)·cols + s·j + d·q]  for i < rows, j < width.
template <class T>
void correlate_plane(const T* in, const T* k, const PlaneTaps& t, T* out, int64_t rows, int64_t width) {
  if (t.stride_w != 1) {
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < width; ++j) {
        T acc = 0;
        for (int64_t p = 0; p < t.KH; ++p)
          for (int64_t q = 0; q < t.KW; ++q)
            acc = std::fma(k[p * t.KW + q], in[(t.stride_h * i + t.dilation_h * p) * t.cols + t.stride_w * j + t.dilation_w * q], acc);
        out[i * width + j] = acc;
      }
    return;
  }
  int64_t i0 = 0;
  for (; i0 + 4 <= rows; i0 += 4) correlate_rows<T, 4>(in, k, t, out, width, i0);
  switch (rows - i0) {
    case 3: correlate_rows<T, 3>(in, k, t, out, width, i0); break;
    case 2: correlate_rows<T, 2>(in, k, t, out, width, i0); break;
    case 1: correlate_rows<T, 1>(in, k, t, out, width, i0); break;
    default: break;
  }
}

// Taps (p, q0) … (p, q0 + NQ − 1) of the depthwise weight gradient over one plane, with stride 1
// along the columns: NQ vectors of W lane sums (lane l: the terms with j ≡ l mod W), in registers.
template <class T, int NQ>
void weight_gradient_taps(const T* xp, const T* grad, const ConvGeometry& g, int64_t cols, int64_t p, int64_t q0,
                          T* lanes) {
  using L = Lanes<T>;
  constexpr int64_t W = L::width;
  typename L::V acc[NQ];
  for (int t = 0; t < NQ; ++t) acc[t] = L::load(L::all, lanes + t * W);
  for (int64_t i = 0; i < g.OH; ++i) {
    const T* in = xp + (g.stride_h * i + g.dilation_h * p) * cols + g.dilation_w * q0;
    const T* gr = grad + i * g.OW;
    for (int64_t j0 = 0; j0 < g.OW; j0 += W) {
      const typename L::Mask m = L::first(g.OW - j0);
      const typename L::V gv = L::load(m, gr + j0);
      for (int t = 0; t < NQ; ++t) acc[t] = L::fma(gv, L::load(m, in + g.dilation_w * t + j0), acc[t]);
    }
  }
  for (int t = 0; t < NQ; ++t) L::store(lanes + t * W, L::all, acc[t]);
}

// One plane with its padding made explicit, as pad_planes (whose masked vectors suit planes wider
// than a vector): dst[r][u] = src[r − top][u − left] for r < dst_rows, u < dst_cols, zero outside.
template <class T>
void pad_plane(const T* src, int64_t rows, int64_t cols, int64_t top, int64_t left, int64_t dst_rows,
               int64_t dst_cols, T* dst) {
  const int64_t lo = std::clamp<int64_t>(left, 0, dst_cols), hi = std::clamp<int64_t>(left + cols, lo, dst_cols);
  for (int64_t r = 0; r < dst_rows; ++r, dst += dst_cols) {
    const int64_t h = r - top;
    if (h < 0 || h >= rows) {
      std::fill_n(dst, dst_cols, T(0));
      continue;
    }
    std::fill_n(dst, lo, T(0));
    std::copy_n(src + h * cols + (lo - left), hi - lo, dst + lo);
    std::fill_n(dst + hi, dst_cols - hi, T(0));
  }
}

// Rows and columns of the padded plane xp: up to the last row and column a tap reads.
int64_t padded_rows(const ConvGeometry& g) { return g.stride_h * (g.OH - 1) + g.dilation_h * (g.KH - 1) + 1; }
int64_t padded_cols(const ConvGeometry& g) { return g.stride_w * (g.OW - 1) + g.dilation_w * (g.KW - 1) + 1; }

// Applies the epilogue (bias, activation) to out [N, C, plane], a sample at a time.
template <class T>
void depthwise_epilogue(const Epilogue* e, T* out, int64_t N, int64_t C, int64_t plane) {
  if (!e) return;
  parallel_for(N, N * C * plane > kParallelGrain, [&](int64_t first, int64_t last, int) {
    for (int64_t n = first; n < last; ++n) epilogue_samples(*e, out + n * C * plane, 1, C, plane);
  });
}

template <class T>
void depthwise_forward(const ConvGeometry& g, const T* x, const T* w, T* y, const Epilogue* e) {
  const int64_t C = g.C_in, KK = g.KH * g.KW, rows = padded_rows(g), cols = padded_cols(g);
  const PlaneTaps taps{g.KH, g.KW, g.stride_h, g.stride_w, g.dilation_h, g.dilation_w, cols};
  Scratch<T> stage(omp_get_max_threads() * rows * cols);
  parallel_for(g.N * C, true, [&](int64_t first, int64_t last, int tid) {
    T* xp = stage.get() + tid * rows * cols;
    for (int64_t plane = first; plane < last; ++plane) {
      pad_plane(x + plane * g.H * g.W, g.H, g.W, g.pad_h, g.pad_w, rows, cols, xp);
      correlate_plane(xp, w + plane % C * KK, taps, y + plane * g.OH * g.OW, g.OH, g.OW);
    }
  });
  depthwise_epilogue(e, y, g.N, C, g.OH * g.OW);
}

template <class T>
void depthwise_backward_input(const ConvGeometry& g, const T* gy, const T* w, T* gx, const Epilogue* e) {
  using L = Lanes<T>;
  constexpr int64_t W = L::width;
  const int64_t C = g.C_in, KK = g.KH * g.KW;
  const int threads = omp_get_max_threads();
  if (g.stride_h == 1 && g.stride_w == 1) {
    // The kernels turned around, and the output gradient padded by d·(K − 1) − pad.
    Scratch<T> flipped(C * KK);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t k = 0; k < KK; ++k) flipped[c * KK + k] = w[c * KK + KK - 1 - k];
    const int64_t top = g.dilation_h * (g.KH - 1) - g.pad_h, left = g.dilation_w * (g.KW - 1) - g.pad_w;
    const int64_t rows = g.H + g.dilation_h * (g.KH - 1), cols = g.W + g.dilation_w * (g.KW - 1);
    const PlaneTaps taps{g.KH, g.KW, 1, 1, g.dilation_h, g.dilation_w, cols};
    Scratch<T> stage(threads * rows * cols);
    parallel_for(g.N * C, true, [&](int64_t first, int64_t last, int tid) {
      T* gyp = stage.get() + tid * rows * cols;
      for (int64_t plane = first; plane < last; ++plane) {
        pad_plane(gy + plane * g.OH * g.OW, g.OH, g.OW, top, left, rows, cols, gyp);
        correlate_plane(gyp, flipped.get() + plane % C * KK, taps, gx + plane * g.H * g.W, g.H, g.W);
      }
    });
    depthwise_epilogue(e, gx, g.N, C, g.H * g.W);
    return;
  }
  const int64_t rows = padded_rows(g), cols = padded_cols(g);
  Scratch<T> stage(threads * rows * cols);
  parallel_for(g.N * C, true, [&](int64_t first, int64_t last, int tid) {
    T* gxp = stage.get() + tid * rows * cols;
    for (int64_t plane = first; plane < last; ++plane) {
      std::fill_n(gxp, rows * cols, T(0));
      const T* wc = w + plane % C * KK;
      for (int64_t i = 0; i < g.OH; ++i) {
        const T* grad = gy + (plane * g.OH + i) * g.OW;
        T* at = gxp + g.stride_h * i * cols;  // tap (p, q) of column j: at[d·p·cols + s·j + d·q]
        for (int64_t p = 0; p < g.KH; ++p)
          for (int64_t q = 0; q < g.KW; ++q) {
            const T wv = wc[p * g.KW + q];
            T* dst = at + g.dilation_h * p * cols + g.dilation_w * q;
            if (g.stride_w == 1) {
              for (int64_t j0 = 0; j0 < g.OW; j0 += W) {
                const typename L::Mask m = L::first(g.OW - j0);
                L::store(dst + j0, m, L::fma(wv, L::load(m, grad + j0), L::load(m, dst + j0)));
              }
            } else {
              for (int64_t j = 0; j < g.OW; ++j) dst[g.stride_w * j] = std::fma(wv, grad[j], dst[g.stride_w * j]);
            }
          }
      }
      // gx[h][v] = gxp[h + pad_h][v + pad_w]; rows and columns no tap reaches get zero.
      T* out = gx + plane * g.H * g.W;
      for (int64_t h = 0; h < g.H; ++h)
        for (int64_t v = 0; v < g.W; ++v) {
          const int64_t r = h + g.pad_h, u = v + g.pad_w;
          out[h * g.W + v] = r < rows && u < cols ? gxp[r * cols + u] : T(0);
        }
    }
  });
  depthwise_epilogue(e, gx, g.N, C, g.H * g.W);
}

template <class T>
void depthwise_backward_weight(const ConvGeometry& g, const T* x, const T* gy, T* gw) {
  using L = Lanes<T>;
  constexpr int64_t W = L::width;
  const int64_t C = g.C_in, KK = g.KH * g.KW, rows = padded_rows(g), cols = padded_cols(g);
  const int threads = omp_get_max_threads();
  Scratch<T> stage(threads * rows * cols);
  Scratch<T> partial(threads * KK * W);  // W lanes of partial sums per tap
  parallel_for(C, true, [&](int64_t first, int64_t last, int tid) {
    T* xp = stage.get() + tid * rows * cols;
    T* sums = partial.get() + tid * KK * W;
    for (int64_t c = first; c < last; ++c) {
      std::fill_n(sums, KK * W, T(0));
      for (int64_t n = 0; n < g.N; ++n) {
        const int64_t plane = n * C + c;
        pad_plane(x + plane * g.H * g.W, g.H, g.W, g.pad_h, g.pad_w, rows, cols, xp);
        const T* grad = gy + plane * g.OH * g.OW;
        for (int64_t p = 0; p < g.KH; ++p) {
          if (g.stride_w != 1) {
            for (int64_t q = 0; q < g.KW; ++q)
              for (int64_t i = 0; i < g.OH; ++i) {
                const T* in = xp + (g.stride_h * i + g.dilation_h * p) * cols + g.dilation_w * q;
                T& lane0 = sums[(p * g.KW + q) * W];
                for (int64_t j = 0; j < g.OW; ++j) lane0 = std::fma(grad[i * g.OW + j], in[g.stride_w * j], lane0);
              }
            continue;
          }
          int64_t q0 = 0;
          for (; q0 + 4 <= g.KW; q0 += 4) weight_gradient_taps<T, 4>(xp, grad, g, cols, p, q0, sums + (p * g.KW + q0) * W);
          T* lanes = sums + (p * g.KW + q0) * W;
          switch (g.KW - q0) {
            case 3: weight_gradient_taps<T, 3>(xp, grad, g, cols, p, q0, lanes); break;
            case 2: weight_gradient_taps<T, 2>(xp, grad, g, cols, p, q0, lanes); break;
            case 1: weight_gradient_taps<T, 1>(xp, grad, g, cols, p, q0, lanes); break;
            default: break;
          }
        }
      }
      for (int64_t k = 0; k < KK; ++k) gw[c * KK + k] = L::sum(L::load(L::all, sums + k * W));
    }
  });
}

// ---- forward ------------------------------------------------------------------------------------

template <class T>
void forward(const ConvGeometry& g, const T* x, const T* w, T* y, const Epilogue* e) {
  if (is_depthwise(g)) return depthwise_forward(g, x, w, y, e);
  constexpr int64_t W = Lanes<T>::width;
  const int64_t cin = g.C_in / g.groups, cout = g.C_out / g.groups, KK = g.KH * g.KW, K = cin * KK;
  const int64_t out_plane = g.OH * g.OW, vectors = ceil_div(out_plane, W);
  const int threads = omp_get_max_threads();
  const int64_t B = block_samples(vectors, g.N, threads), blocks = ceil_div(g.N, B);
  const InputPlanes planes(g, B, W);
  const int64_t chs = planes.channel;

  Scratch<int64_t> tap_offset(KK);
  for (int64_t p = 0; p < g.KH; ++p)
    for (int64_t q = 0; q < g.KW; ++q) tap_offset[p * g.KW + q] = planes.tap_offset(g, p, q);
  Scratch<T> packed(g.C_out * K);
  pack_rows(g.groups, cout, K, packed.get(), [&](int64_t o, int64_t k) { return w[o * K + k]; });

  // One group's input channels staged at a time: the stage of a grouped convolution (an ensemble's
  // members in one pass) stays the size of one member's.
  const int64_t stage_size = cin * chs;
  Scratch<T> stage(threads * stage_size);

  parallel_for(blocks, true, [&](int64_t first, int64_t last, int tid) {
    for (int64_t blk = first; blk < last; ++blk) {
      const int64_t n0 = blk * B, nb = std::min(B, g.N - n0);
      T* xs = stage.get() + tid * stage_size;
      const int64_t next = std::clamp<int64_t>(g.N - n0 - nb, 0, B);  // samples in the next block
      Prefetcher prefetch(x + (n0 + nb) * g.C_in * g.H * g.W, next * g.C_in * g.H * g.W * int64_t(sizeof(T)), 0, 1,
                          g.groups * tap_tile_count(TileSpan{out_plane, vectors, nb, cout}, cin, KK));
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        for (int64_t b = 0; b < nb; ++b)
          planes.stage(g, x + ((n0 + b) * g.C_in + grp * cin) * g.H * g.W, xs + b * planes.plane, cin);
        conv::TapTileArgs<T> a;
        a.tap_offset = tap_offset.get();
        a.channels = cin;
        a.taps = KK;
        a.channel_stride = chs;
        a.out_row_stride = out_plane;
        run_tap_tiles<T>(
            a, TileSpan{out_plane, vectors, nb, cout}, packed.get() + grp * cout * K, K,
            [&](int64_t b, int64_t k) { return xs + b * planes.plane + k * W; },
            [&](int64_t b, int64_t k) { return y + ((n0 + b) * g.C_out + grp * cout) * out_plane + k * W; }, prefetch);
      }
      if (e) epilogue_samples(*e, y + n0 * g.C_out * out_plane, nb, g.C_out, out_plane);
    }
  });
}

// ---- backward_input -----------------------------------------------------------------------------

// dst[t][u] += src[t − shift_h][u − shift_w] wherever both lie inside their planes (rows × cols
// and src_rows × src_cols, row-major), a vector at a time with masks at the row ends.
template <class T>
void add_shifted(const T* src, int64_t src_rows, int64_t src_cols, int64_t shift_h, int64_t shift_w, T* dst,
                 int64_t rows, int64_t cols) {
  using L = Lanes<T>;
  constexpr int64_t W = L::width;
  for (int64_t t = std::max<int64_t>(0, shift_h); t < std::min(rows, src_rows + shift_h); ++t) {
    const T* s = src + (t - shift_h) * src_cols - shift_w;  // s[u] is column u − shift_w of the source row
    T* d = dst + t * cols;
    for (int64_t u = 0; u < cols; u += W) {
      const typename L::Mask m = L::first(cols - u) & L::lanes(shift_w - u, src_cols + shift_w - u);
      L::store(d + u, m, L::add(L::load(m, d + u), L::load(m, s + u)));
    }
  }
}

// The output phases of backward_input: phase f = a·sw + b holds the rows s·t + a and columns
// s·u + b of a gx plane, phase_length(a) × pitch[b] of them, from phase_offset[f] in the plane's
// stage (the phases fill its H·W elements exactly).
struct OutputPhases {
  int64_t sh, sw, count;
  Scratch<int64_t> pitch, offset;
  explicit OutputPhases(const ConvGeometry& g)
      : sh(g.stride_h), sw(g.stride_w), count(sh * sw), pitch(sw), offset(count + 1) {
    const Axis ah = rows_axis(g), aw = cols_axis(g);
    for (int64_t b = 0; b < sw; ++b) pitch[b] = aw.phase_length(b);
    offset[0] = 0;
    for (int64_t f = 0; f < count; ++f) offset[f + 1] = offset[f] + ah.phase_length(f / sw) * pitch[f % sw];
  }
  int64_t rows(int64_t f) const { return pitch[f % sw] > 0 ? (offset[f + 1] - offset[f]) / pitch[f % sw] : 0; }
};

// backward_input for few input channels per group (cin < kMaxRows: the decoder's 1-channel last
// layer, depthwise convolutions), whose tap tiles would run with few rows, through columns:
//   cols[c, p, q][i, j] = Σ_o w[o, c, p, q] · gy[o][i, j]             tap tiles: rows (c, p, q), one tap
//   gx[c][s·i − pad + d·p][s·j − pad + d·q] += cols[c, p, q][i, j]    added into the output phases
// The tiles read gy itself instead of KW staged copies of it, which cost more than the products
// when there are few output channels: 2.7 ms against 1.2 ms for the VAE's last layer (32 → 1
// channels, 32x32 → 64x64, batch 64, one core). The additions run in a fixed (p, q) order.
template <class T>
void backward_input_columns(const ConvGeometry& g, const T* gy, const T* w, T* gx, const Epilogue* e) {
  constexpr int64_t W = Lanes<T>::width;
  const Axis ah = rows_axis(g), aw = cols_axis(g);
  const int64_t cin = g.C_in / g.groups, cout = g.C_out / g.groups, KK = g.KH * g.KW, rows = cin * KK;
  const int64_t P = g.OH * g.OW, vectors = ceil_div(P, W), pitch = vectors * W, HW = g.H * g.W;
  const OutputPhases phases(g);
  Scratch<T> packed(g.C_in * KK * cout);
  pack_rows(g.groups, rows, cout, packed.get(), [&](int64_t row, int64_t o) {
    return w[((row / rows) * cout + o) * rows + row % rows];  // w[o, c, p, q] for row (c, p, q) of o's group
  });
  const int64_t no_offset = 0;

  const bool direct = phases.count == 1;
  const int threads = omp_get_max_threads();
  const int64_t B = block_samples(vectors, g.N, threads), blocks = ceil_div(g.N, B);
  const int64_t stage_size = B * g.C_out * pitch + W, cols_size = B * g.C_in * KK * pitch, ostage_size = B * g.C_in * HW;
  Scratch<T> stage(threads * stage_size), columns(threads * cols_size), ostage(threads * ostage_size);

  parallel_for(blocks, true, [&](int64_t first, int64_t last, int tid) {
    for (int64_t blk = first; blk < last; ++blk) {
      const int64_t n0 = blk * B, nb = std::min(B, g.N - n0);
      T* ys = stage.get() + tid * stage_size;
      T* cols = columns.get() + tid * cols_size;
      // gy's planes, each padded to whole vectors.
      stage_planes(gy + n0 * g.C_out * P, P, g.OH, g.OW, 1, 0, 1, 0, 0, g.OH, g.OW, ys, pitch, nb * g.C_out);
      std::fill(ys + nb * g.C_out * pitch, ys + nb * g.C_out * pitch + W, T(0));
      const int64_t next = std::clamp<int64_t>(g.N - n0 - nb, 0, B);
      Prefetcher prefetch(gy + (n0 + nb) * g.C_out * P, next * g.C_out * P * int64_t(sizeof(T)), 0, 1,
                          g.groups * tap_tile_count(TileSpan{P, vectors, nb, rows}, cout, 1));
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        conv::TapTileArgs<T> a;
        a.tap_offset = &no_offset;
        a.channels = cout;
        a.taps = 1;
        a.channel_stride = pitch;
        a.out_row_stride = pitch;
        run_tap_tiles<T>(
            a, TileSpan{P, vectors, nb, rows}, packed.get() + grp * rows * cout, cout,
            [&](int64_t b, int64_t k) { return ys + (b * g.C_out + grp * cout) * pitch + k * W; },
            [&](int64_t b, int64_t k) { return cols + (b * g.C_in + grp * cin) * KK * pitch + k * W; }, prefetch);
      }
      T* out = direct ? gx + n0 * g.C_in * HW : ostage.get() + tid * ostage_size;
      std::fill(out, out + nb * g.C_in * HW, T(0));
      for (int64_t c = 0; c < nb * g.C_in; ++c)
        for (int64_t p = 0; p < g.KH; ++p)
          for (int64_t q = 0; q < g.KW; ++q) {
            const int64_t f = ah.phase(p) * phases.sw + aw.phase(q);
            add_shifted(cols + (c * KK + p * g.KW + q) * pitch, g.OH, g.OW, ah.shift(p), aw.shift(q),
                        out + c * HW + phases.offset[f], phases.rows(f), phases.pitch[f % phases.sw]);
          }
      if (!direct)
        for (int64_t c = 0; c < nb * g.C_in; ++c)
          interleave_phases(out + c * HW, phases.offset.get(), phases.pitch.get(), phases.sh, phases.sw,
                            gx + (n0 * g.C_in + c) * HW, g.H, g.W);
      if (e) epilogue_samples(*e, gx + n0 * g.C_in * HW, nb, g.C_in, HW);
    }
  });
}

template <class T>
void backward_input(const ConvGeometry& g, const T* gy, const T* w, T* gx, const Epilogue* e) {
  if (is_depthwise(g)) return depthwise_backward_input(g, gy, w, gx, e);
  constexpr int64_t W = Lanes<T>::width;
  const Axis ah = rows_axis(g), aw = cols_axis(g);
  const int64_t cin = g.C_in / g.groups, cout = g.C_out / g.groups, KK = g.KH * g.KW, HW = g.H * g.W;
  if (cin < conv::kMaxRows) return backward_input_columns(g, gy, w, gx, e);
  const OutputPhases phases(g);
  const int64_t sw = phases.sw;

  // The planes Y[q] of gy: rows [row_lo, row_lo + rows) (the rows t − shift(p) the output phases
  // read), as many columns as the output phases of column phase(q) have.
  const int64_t row_lo = -ah.max_shift(), rows = ah.phase_length(0) - ah.min_shift() - row_lo;
  Scratch<int64_t> plane_offset(g.KW + 1);
  plane_offset[0] = 0;
  for (int64_t q = 0; q < g.KW; ++q) plane_offset[q + 1] = plane_offset[q] + rows * phases.pitch[aw.phase(q)];
  const int64_t chs = plane_offset[g.KW];

  // Output phase f = a·sw + b sums taps [tap_begin[f], tap_begin[f + 1]) of the tap list: tap
  // (p, q) of output position 0 lies at tap_offset in the channel's planes.
  Scratch<int64_t> tap_begin(phases.count + 1), tap_offset(KK), tap_pq(KK);
  int64_t n_taps = 0;
  for (int64_t f = 0; f < phases.count; ++f) {
    tap_begin[f] = n_taps;
    for (int64_t p = 0; p < g.KH; ++p)
      for (int64_t q = 0; q < g.KW; ++q)
        if (ah.phase(p) == f / sw && aw.phase(q) == f % sw) {
          tap_offset[n_taps] = plane_offset[q] + (-ah.shift(p) - row_lo) * phases.pitch[f % sw];
          tap_pq[n_taps++] = p * g.KW + q;
        }
  }
  tap_begin[phases.count] = n_taps;
  // Each phase's weights as rows c and columns (o, tap of the phase).
  Scratch<T> packed(g.C_in * cout * KK);
  for (int64_t f = 0; f < phases.count; ++f) {
    const int64_t taps = tap_begin[f + 1] - tap_begin[f];
    const int64_t* pq = tap_pq.get() + tap_begin[f];
    pack_rows(g.groups, cin, cout * taps, packed.get() + g.C_in * cout * tap_begin[f], [&](int64_t c, int64_t k) {
      const int64_t o = (c / cin) * cout + k / taps;  // the k-th (o, tap) pair of c's group
      return w[(o * cin + c % cin) * KK + pq[k % taps]];
    });
  }
  // The tile span of each output phase for a block of nb samples.
  auto span_of = [&](int64_t f, int64_t nb) {
    const int64_t plane = phases.offset[f + 1] - phases.offset[f];
    return TileSpan{plane, ceil_div(plane, W), nb, cin};
  };

  // With stride 1 the one output phase is gx itself; otherwise the phases are interleaved after.
  const bool direct = phases.count == 1;
  const int threads = omp_get_max_threads();
  const int64_t B = block_samples(span_of(0, 1).vectors, g.N, threads), blocks = ceil_div(g.N, B);
  // One group's output-gradient channels staged at a time (as in forward).
  const int64_t stage_size = B * cout * chs + W, ostage_size = direct ? 0 : B * g.C_in * HW;
  Scratch<T> stage(threads * stage_size), ostage(threads * ostage_size);

  parallel_for(blocks, true, [&](int64_t first, int64_t last, int tid) {
    for (int64_t blk = first; blk < last; ++blk) {
      const int64_t n0 = blk * B, nb = std::min(B, g.N - n0);
      T* ys = stage.get() + tid * stage_size;
      std::fill(ys + nb * cout * chs, ys + nb * cout * chs + W, T(0));
      int64_t tiles = 0;
      for (int64_t f = 0; f < phases.count; ++f)
        tiles += g.groups * tap_tile_count(span_of(f, nb), cout, tap_begin[f + 1] - tap_begin[f]);
      const int64_t next = std::clamp<int64_t>(g.N - n0 - nb, 0, B);
      Prefetcher prefetch(gy + (n0 + nb) * g.C_out * g.OH * g.OW, next * g.C_out * g.OH * g.OW * int64_t(sizeof(T)), 0,
                          1, tiles);
      T* out = direct ? gx + n0 * g.C_in * HW : ostage.get() + tid * ostage_size;
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        for (int64_t b = 0; b < nb; ++b)
          for (int64_t q = 0; q < g.KW; ++q)
            stage_planes(gy + ((n0 + b) * g.C_out + grp * cout) * g.OH * g.OW, g.OH * g.OW, g.OH, g.OW, 1, 0, 1,
                         -aw.shift(q), row_lo, rows, phases.pitch[aw.phase(q)], ys + b * cout * chs + plane_offset[q],
                         chs, cout);
        for (int64_t f = 0; f < phases.count; ++f) {  // the phases write disjoint outputs, in any order
          if (span_of(f, nb).plane == 0) continue;
          const int64_t taps = tap_begin[f + 1] - tap_begin[f];
          conv::TapTileArgs<T> a;
          a.tap_offset = tap_offset.get() + tap_begin[f];
          a.channels = cout;
          a.taps = taps;
          a.channel_stride = chs;
          a.out_row_stride = HW;
          run_tap_tiles<T>(
              a, span_of(f, nb), packed.get() + g.C_in * cout * tap_begin[f] + grp * cin * cout * taps, cout * taps,
              [&](int64_t b, int64_t k) { return ys + b * cout * chs + k * W; },
              [&](int64_t b, int64_t k) { return out + (b * g.C_in + grp * cin) * HW + phases.offset[f] + k * W; }, prefetch);
        }
      }
      if (!direct)
        for (int64_t c = 0; c < nb * g.C_in; ++c)
          interleave_phases(out + c * HW, phases.offset.get(), phases.pitch.get(), phases.sh, phases.sw,
                            gx + (n0 * g.C_in + c) * HW, g.H, g.W);
      if (e) epilogue_samples(*e, gx + n0 * g.C_in * HW, nb, g.C_in, HW);
    }
  });
}

// ---- backward_weight ----------------------------------------------------------------------------

// gyt[group][s][i·OW + j][o] = gy[s][group·cout + o][i][j] for s < samples: the output gradient
// with the output channels innermost, padded with zeros to whole vectors (cvec of them), each
// group's block on its own (a grouped convolution's tiles then read one block, as the plain
// convolution's do). Transposed W × W values at a time.
template <class T>
void transpose_output_gradient(const ConvGeometry& g, const T* gy, int64_t samples, int64_t cvec, T* gyt) {
  using L = Lanes<T>;
  constexpr int64_t W = L::width;
  const int64_t cout = g.C_out / g.groups, P = g.OH * g.OW, stride = cvec * W;
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t grp = 0; grp < g.groups; ++grp)
      for (int64_t ob = 0; ob < cvec; ++ob) {
        const int64_t o0 = ob * W, rows = std::min(W, cout - o0);
        const T* src = gy + (s * g.C_out + grp * cout + o0) * P;
        T* dst = gyt + (grp * samples + s) * P * stride + ob * W;
        for (int64_t pos = 0; pos < P; pos += W) {
          const typename L::Mask m = L::first(P - pos);
          typename L::V v[W];
          for (int64_t r = 0; r < W; ++r) v[r] = r < rows ? L::load(m, src + r * P + pos) : L::zero();
          L::transpose(v);
          for (int64_t k = 0; k < W && pos + k < P; ++k) L::store(dst + (pos + k) * stride, L::all, v[k]);
        }
      }
}

// gw[o, c, p, q] = Σ_{n,i,j} gy[n,o,i,j] · x[n, c, s·i − pad + d·p, s·j − pad + d·q], as outer
// products (conv_tiles.hpp, weight_tile): for each output position in turn, one vector of gy over
// output channels times each tap's input value, broadcast. The batch is walked in chunks of
// samples, each staged twice:
//   gyt   gy with the output channels innermost (transpose_output_gradient);
//   xp    each input plane with its padding made explicit: xp[r][u] = x[r − pad_h][u − pad_w],
//         zero outside x, up to the last row and column a tap reads. Tap (p, q) of output (i, j)
//         is then xp[s·i + d·p][s·j + d·q], inside the plane.
// The taps of a group form runs of Q consecutive kernel columns (with dilation 1 along the
// columns, else Q = 1), U runs per tile. Parallelism and determinism: the tiles of runs are split
// among the threads, each thread staging its own chunks; every weight's gradient is one chain of
// FMAs over the positions in the order (sample, row, column), carried from chunk to chunk in acc,
// the same whatever the number of threads. (One running sum per weight, as PyTorch's CPU kernels
// keep: over N·OH·OW terms its rounding error grows like √(N·OH·OW) units of f32 roundoff.)
// Against the lane-wise dot products this replaced, the outer products need neither a sum of
// lanes per weight nor 16 partial sums per weight carried between chunks, and read the input
// from one padded copy instead of KW shifted ones: the weight gradients of the VAE's layers took
// 0.35–0.95 of their former time on one core of the Zen 5 machine of docs/BENCHMARKS.md.
template <class T>
void backward_weight(const ConvGeometry& g, const T* x, const T* gy, T* gw) {
  if (is_depthwise(g)) return depthwise_backward_weight(g, x, gy, gw);
  using L = Lanes<T>;
  constexpr int64_t W = L::width;
  const int64_t cin = g.C_in / g.groups, cout = g.C_out / g.groups, KK = g.KH * g.KW, group_taps = cin * KK;
  const int64_t P = g.OH * g.OW, HW = g.H * g.W;
  const int64_t cvec = ceil_div(cout, W), group_width = cvec * W;  // a group's block of gyt per position
  const int64_t xp_rows = g.stride_h * (g.OH - 1) + g.dilation_h * (g.KH - 1) + 1;
  const int64_t xp_cols = g.stride_w * (g.OW - 1) + g.dilation_w * (g.KW - 1) + 1, xp_plane = xp_rows * xp_cols;
  const int Q = g.dilation_w == 1 && g.KW <= conv::kMaxRun ? static_cast<int>(g.KW) : 1;
  const int64_t row_runs = g.KW / Q, group_runs = cin * g.KH * row_runs;
  // As few tiles as runs_per_tile allows, their runs shared out evenly (4 runs: 2 + 2, not 3 + 1).
  const int U = static_cast<int>(ceil_div(group_runs, ceil_div(group_runs, conv::runs_per_tile(Q))));
  const int64_t run_tiles = ceil_div(group_runs, U), all_run_tiles = g.groups * run_tiles;
  const int RV = static_cast<int>(std::min<int64_t>(conv::kMaxRowVectors, cvec));
  const int64_t row_tiles = ceil_div(cvec, RV), tile_size = RV * U * Q * W;
  // Samples per chunk: a group's gyt (about 96 KiB) and the padded input (at most about 512 KiB)
  // stay in the L2 cache while the tiles pass over them.
  const int64_t chunk = std::clamp<int64_t>(std::min((96 << 10) / (P * group_width * int64_t(sizeof(T))),
                                                     (512 << 10) / (g.C_in * xp_plane * int64_t(sizeof(T)))),
                                            1, g.N);

  const int threads = static_cast<int>(std::min<int64_t>(omp_get_max_threads(), all_run_tiles));
  const int64_t gyt_size = g.groups * chunk * P * group_width, xp_size = g.C_in * chunk * xp_plane;
  Scratch<T> gyt_stage(threads * gyt_size), xp_stage(threads * xp_size);
  Scratch<T> acc(all_run_tiles * row_tiles * tile_size);
  // Run k of a group: channel k / (KH·row_runs), kernel row (k / row_runs) mod KH, first column (k mod row_runs)·Q.
  auto run_channel = [&](int64_t tile, int64_t k) { return tile / run_tiles * cin + k / (g.KH * row_runs); };

  parallel_for(all_run_tiles, true, [&](int64_t lo, int64_t hi, int tid) {
    T* gyt = gyt_stage.get() + tid * gyt_size;
    T* xp = xp_stage.get() + tid * xp_size;
    // The input channels this thread's tiles read.
    const int64_t c_lo = run_channel(lo, lo % run_tiles * U);
    const int64_t c_hi = run_channel(hi - 1, std::min<int64_t>(group_runs, (hi - 1) % run_tiles * U + U) - 1) + 1;
    const int64_t steps = (hi - lo) * row_tiles;
    for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
      const int64_t cs = std::min(chunk, g.N - n0);
      transpose_output_gradient(g, gy + n0 * g.C_out * P, cs, cvec, gyt);
      // The chunk's input planes, sample by sample: the channels of a sample are contiguous.
      for (int64_t s = 0; s < cs; ++s)
        pad_planes(x + ((n0 + s) * g.C_in + c_lo) * HW, HW, g.H, g.W, g.pad_h, g.pad_w, xp_rows, xp_cols,
                   xp + (c_lo * chunk + s) * xp_plane, chunk * xp_plane, c_hi - c_lo);
      // The next chunk's inputs and output gradients, requested a share at a time between tiles.
      const int64_t next = std::clamp<int64_t>(g.N - n0 - cs, 0, chunk);
      Prefetcher next_x(x + ((n0 + cs) * g.C_in + c_lo) * HW, (c_hi - c_lo) * HW * int64_t(sizeof(T)),
                        g.C_in * HW * int64_t(sizeof(T)), next, steps);
      Prefetcher next_gy(gy + (n0 + cs) * g.C_out * P, next * g.C_out * P * int64_t(sizeof(T)), 0, 1, steps);
      for (int64_t tile = lo; tile < hi; ++tile) {
        const int64_t grp = tile / run_tiles, k0 = tile % run_tiles * U;
        const int runs = static_cast<int>(std::min<int64_t>(U, group_runs - k0));
        conv::WeightTileArgs<T> a;
        for (int u = 0; u < runs; ++u) {
          const int64_t k = k0 + u, p = k / row_runs % g.KH, q0 = k % row_runs * Q;
          a.x[u] = xp + run_channel(tile, k) * chunk * xp_plane + g.dilation_h * p * xp_cols + g.dilation_w * q0;
        }
        a.samples = cs;
        a.rows = g.OH;
        a.cols = g.OW;
        a.gy_position_stride = group_width;
        a.gy_sample_stride = P * group_width;
        a.x_row_stride = g.stride_h * xp_cols;
        a.x_col_stride = g.stride_w;
        a.x_sample_stride = xp_plane;
        a.first = n0 == 0;
        for (int64_t rt = 0; rt < row_tiles; ++rt) {
          const int rv = static_cast<int>(std::min<int64_t>(RV, cvec - rt * RV));
          a.gy = gyt + grp * cs * P * group_width + rt * RV * W;
          a.acc = acc.get() + (tile * row_tiles + rt) * tile_size;
          conv::kWeightTiles<T>[rv - 1][Q - 1][runs - 1](a);
          next_x.step();
          next_gy.step();
        }
      }
    }
    // gw[o, tap] from the accumulators: lane l of row vector r of row tile rt is output channel
    // (rt·RV + r)·W + l; tap u·Q + t of tile run k0 + u.
    for (int64_t tile = lo; tile < hi; ++tile) {
      const int64_t grp = tile / run_tiles, k0 = tile % run_tiles * U;
      const int64_t runs = std::min<int64_t>(U, group_runs - k0);
      for (int64_t rt = 0; rt < row_tiles; ++rt) {
        const int64_t rv = std::min<int64_t>(RV, cvec - rt * RV);
        const T* sums = acc.get() + (tile * row_tiles + rt) * tile_size;
        for (int64_t r = 0; r < rv; ++r)
          for (int64_t l = 0; l < W; ++l) {
            const int64_t o = (rt * RV + r) * W + l;
            if (o >= cout) break;
            for (int64_t u = 0; u < runs; ++u)
              for (int64_t t = 0; t < Q; ++t) {
                const int64_t k = k0 + u, c = k / (g.KH * row_runs), p = k / row_runs % g.KH, q = k % row_runs * Q + t;
                gw[(grp * cout + o) * group_taps + (c * g.KH + p) * g.KW + q] = sums[((r * runs + u) * Q + t) * W + l];
              }
          }
      }
    }
  });
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
    ELBO_CHECK(ts[i]->shape() == *shapes[i], op, ": operand ", ts[i]->str(), " should have shape ", shapes[i]->str());
    ELBO_CHECK(ts[i]->is_contiguous(), op, ": operand ", ts[i]->str(), " must be contiguous");
    ELBO_CHECK(ts[i]->dtype() == out.dtype() && ts[i]->device() == Device::cpu, op, ": operands ", ts[i]->str(),
               " and ", out.str(), " differ in dtype or are not on the cpu");
  }
}

void check_epilogue(const char* op, const Epilogue* e, const Tensor& out) {
  if (!e || !e->bias.defined()) return;
  const Tensor& b = e->bias;
  ELBO_CHECK(b.ndim() == 1 && b.size(0) == out.size(1) && b.dtype() == out.dtype() && b.is_contiguous() &&
                 b.device() == Device::cpu,
             op, ": bias ", b.str(), " does not match the output ", out.str(), " (expects a contiguous [",
             out.size(1), "] of its dtype)");
}

Shape x_shape(const ConvGeometry& g) { return Shape{g.N, g.C_in, g.H, g.W}; }
Shape w_shape(const ConvGeometry& g) { return Shape{g.C_out, g.C_in / g.groups, g.KH, g.KW}; }
Shape y_shape(const ConvGeometry& g) { return Shape{g.N, g.C_out, g.OH, g.OW}; }

}  // namespace

void conv2d_forward(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& y, const Epilogue* e) {
  check_operands("conv2d_forward", g, x, x_shape(g), w, w_shape(g), y, y_shape(g));
  check_epilogue("conv2d_forward", e, y);
  dispatch_floating(y.dtype(), "conv2d_forward", [&](auto t) {
    forward<decltype(t)>(g, x.data<decltype(t)>(), w.data<decltype(t)>(), y.data<decltype(t)>(), e);
  });
}

void conv2d_backward_input(const ConvGeometry& g, const Tensor& gy, const Tensor& w, const Tensor& gx,
                           const Epilogue* e) {
  check_operands("conv2d_backward_input", g, gy, y_shape(g), w, w_shape(g), gx, x_shape(g));
  check_epilogue("conv2d_backward_input", e, gx);
  dispatch_floating(gx.dtype(), "conv2d_backward_input", [&](auto t) {
    backward_input<decltype(t)>(g, gy.data<decltype(t)>(), w.data<decltype(t)>(), gx.data<decltype(t)>(), e);
  });
}

void conv2d_backward_weight(const ConvGeometry& g, const Tensor& x, const Tensor& gy, const Tensor& gw) {
  check_operands("conv2d_backward_weight", g, x, x_shape(g), gy, y_shape(g), gw, w_shape(g));
  dispatch_floating(gw.dtype(), "conv2d_backward_weight", [&](auto t) {
    backward_weight<decltype(t)>(g, x.data<decltype(t)>(), gy.data<decltype(t)>(), gw.data<decltype(t)>());
  });
}

}  // namespace elbo::cpu
