// The two register tiles every CPU convolution kernel is built from (conv.cpp shows how the
// convolutions reduce to them), over one SIMD register type per element type.
//
//   tap_tile  out[r][v] = Σ_c Σ_t w[c, t, r] · in_v[c·channel_stride + tap_offset[t]]
//             MR output channels (rows r) × NV vectors of output positions (v). Each tap t reads
//             one vector of the staged input at a fixed offset from the output position; the
//             weights are broadcast. Used by the forward pass and by the input gradient.
//
//   weight_tile  acc[r][t] += gy_r[v] · x[v + tap t]    for every output position v in turn
//             RV vectors of output channels (rows r) × NT taps of the weight gradient: outer
//             products of one vector of output-channel gradients (gy stored position-major)
//             and each tap's input value, broadcast. Each accumulator is one weight's gradient.
//
// The inner loops load whole vectors without masks: the staging in conv.cpp puts zeros wherever
// a tap falls outside its input (a masked load costs a shuffle-port µop per vector, which takes
// 20–45% off the FMA rate here). Only the last vector of a plane is stored through a mask.
// Each accumulator sums its terms in a fixed order, so results never depend on the threads.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

#if defined(__AVX512F__)
// GCC 12's AVX-512 headers fill unused lanes from _mm512_undefined_*(), which trips its own
// uninitialised-value warnings once inlined (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace elbo::cpu::conv {

// The mask of lanes l with lo ≤ l < hi, among `width` lanes.
template <class Mask, int width>
constexpr Mask lane_range(int64_t lo, int64_t hi) {
  lo = lo < 0 ? 0 : lo;
  hi = hi > width ? width : hi;
  return lo >= hi ? Mask(0) : static_cast<Mask>(((1u << (hi - lo)) - 1u) << lo);
}

// ---- Lanes<T>: one 64-byte register of T (16 floats or 8 doubles) and a bit mask of its lanes --
// The portable version is a plain array; with AVX-512 the same operations are single instructions.
template <class T>
struct Lanes {
  static constexpr int width = 64 / static_cast<int>(sizeof(T));
  using Mask = std::conditional_t<width == 16, uint16_t, uint8_t>;
  static constexpr Mask all = static_cast<Mask>((1u << width) - 1);
  static Mask lanes(int64_t lo, int64_t hi) { return lane_range<Mask, width>(lo, hi); }
  static Mask first(int64_t n) { return lane_range<Mask, width>(0, n); }
  struct V {
    T v[width];
  };
  static V zero() { return V{}; }
  static V load(const T* p) {
    V r;
    for (int l = 0; l < width; ++l) r.v[l] = p[l];
    return r;
  }
  // Lanes whose mask bit is clear read zero and touch no memory.
  static V load(Mask m, const T* p) {
    V r{};
    for (int l = 0; l < width; ++l)
      if (m >> l & 1) r.v[l] = p[l];
    return r;
  }
  static V fma(T a, V b, V c) {
    for (int l = 0; l < width; ++l) c.v[l] = std::fma(a, b.v[l], c.v[l]);
    return c;
  }
  static V fma(V a, V b, V c) {
    for (int l = 0; l < width; ++l) c.v[l] = std::fma(a.v[l], b.v[l], c.v[l]);
    return c;
  }
  static V add(V a, V b) {
    for (int l = 0; l < width; ++l) a.v[l] += b.v[l];
    return a;
  }
  static void store(T* p, Mask m, V x) {
    for (int l = 0; l < width; ++l)
      if (m >> l & 1) p[l] = x.v[l];
  }
  // Lanes 0, 2, 4, … of the 2·width lanes a, b.
  static V evens(V a, V b) {
    V r;
    for (int l = 0; l < width / 2; ++l) {
      r.v[l] = a.v[2 * l];
      r.v[l + width / 2] = b.v[2 * l];
    }
    return r;
  }
  // Stores e0, o0, e1, o1, … (2·width values) to p[0, n).
  static void store_interleaved(T* p, int64_t n, V even, V odd) {
    for (int64_t l = 0; l < width && 2 * l < n; ++l) {
      p[2 * l] = even.v[l];
      if (2 * l + 1 < n) p[2 * l + 1] = odd.v[l];
    }
  }
  // Σ of the lanes as a pairwise tree (the order the AVX-512 reduction uses).
  static T sum(V x) {
    for (int half = width / 2; half >= 1; half /= 2)
      for (int l = 0; l < half; ++l) x.v[l] += x.v[l + half];
    return x.v[0];
  }
  static V broadcast(const T* p) {
    V r;
    for (int l = 0; l < width; ++l) r.v[l] = *p;
    return r;
  }
  // Transposes width × width values: afterwards lane l of r[k] holds what lane k of r[l] held.
  static void transpose(V (&r)[width]) {
    for (int k = 0; k < width; ++k)
      for (int l = k + 1; l < width; ++l) std::swap(r[k].v[l], r[l].v[k]);
  }
};

#if defined(__AVX512F__)
template <>
struct Lanes<float> {
  static constexpr int width = 16;
  using Mask = uint16_t;
  static constexpr Mask all = 0xFFFF;
  static Mask lanes(int64_t lo, int64_t hi) { return lane_range<Mask, width>(lo, hi); }
  static Mask first(int64_t n) { return lane_range<Mask, width>(0, n); }
  using V = __m512;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V load(Mask m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static V fma(float a, V b, V c) { return _mm512_fmadd_ps(_mm512_set1_ps(a), b, c); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static void store(float* p, Mask m, V x) {
    if (m == all) _mm512_storeu_ps(p, x);
    else _mm512_mask_storeu_ps(p, m, x);
  }
  static float sum(V x) { return _mm512_reduce_add_ps(x); }
  static V broadcast(const float* p) { return _mm512_set1_ps(*p); }
  // Transposes 16 × 16 values: afterwards lane l of r[k] holds what lane k of r[l] held.
  // Pairs of rows are interleaved, then pairs of pairs, then the 128-bit quarters exchanged.
  static void transpose(V (&r)[16]) {
    V t[16];
    for (int i = 0; i < 8; ++i) {
      t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; ++i) {
      r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
      r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
      r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
      r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; ++i) {
      t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
      t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xDD);
      t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
      t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xDD);
    }
    for (int i = 0; i < 4; ++i) {
      r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
      r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);
      r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
      r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xDD);
    }
  }
  static V evens(V a, V b) {
    return _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b);
  }
  static void store_interleaved(float* p, int64_t n, V even, V odd) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    store(p, first(n), _mm512_permutex2var_ps(even, lo, odd));
    store(p + 16, first(n - 16), _mm512_permutex2var_ps(even, hi, odd));
  }
};

template <>
struct Lanes<double> {
  static constexpr int width = 8;
  using Mask = uint8_t;
  static constexpr Mask all = 0xFF;
  static Mask lanes(int64_t lo, int64_t hi) { return lane_range<Mask, width>(lo, hi); }
  static Mask first(int64_t n) { return lane_range<Mask, width>(0, n); }
  using V = __m512d;
  static V zero() { return _mm512_setzero_pd(); }
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static V load(Mask m, const double* p) { return _mm512_maskz_loadu_pd(m, p); }
  static V fma(double a, V b, V c) { return _mm512_fmadd_pd(_mm512_set1_pd(a), b, c); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static void store(double* p, Mask m, V x) {
    if (m == all) _mm512_storeu_pd(p, x);
    else _mm512_mask_storeu_pd(p, m, x);
  }
  static double sum(V x) { return _mm512_reduce_add_pd(x); }
  static V broadcast(const double* p) { return _mm512_set1_pd(*p); }
  // Transposes 8 × 8 values (through memory: the f64 kernels serve tests, not speed).
  static void transpose(V (&r)[8]) {
    alignas(64) double m[8][8];
    for (int k = 0; k < 8; ++k) _mm512_store_pd(m[k], r[k]);
    for (int k = 0; k < 8; ++k) r[k] = _mm512_set_pd(m[7][k], m[6][k], m[5][k], m[4][k], m[3][k], m[2][k], m[1][k], m[0][k]);
  }
  static V evens(V a, V b) { return _mm512_permutex2var_pd(a, _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), b); }
  static void store_interleaved(double* p, int64_t n, V even, V odd) {
    store(p, first(n), _mm512_permutex2var_pd(even, _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11), odd));
    store(p + 8, first(n - 8), _mm512_permutex2var_pd(even, _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15), odd));
  }
};
#endif

// ---- tap_tile -----------------------------------------------------------------------------------

constexpr int kMaxRows = 8;     // MR: output channels per tile
constexpr int kMaxVectors = 6;  // NV: vectors of output positions per tile

// Vectors per tile for a tile of `rows` channels: about 24 accumulators of the 32 registers.
constexpr int vectors_for_rows(int rows) { return rows >= 8 ? 3 : rows >= 5 ? 4 : 6; }

template <class T>
struct TapTileArgs {
  using Mask = typename Lanes<T>::Mask;
  const T* weights = nullptr;           // [channels][taps][MR], contiguous
  const int64_t* tap_offset = nullptr;  // [taps]: input offset of each tap from the output position
  int64_t channels = 0, taps = 0, channel_stride = 0;
  const T* in[kMaxVectors] = {};  // per vector: the staged input at its first position, channel 0
  T* out[kMaxVectors] = {};       // per vector: the output at its first position, row 0
  Mask store_mask[kMaxVectors] = {};
  int64_t out_row_stride = 0;  // elements between consecutive output channels
  bool accumulate = false;     // add to the output (the sum over earlier channels) instead of overwriting it
};

// The loops over the register tile are unrolled before register allocation (#pragma GCC unroll),
// so that the accumulators live in registers rather than in a stack array.
template <class T, int MR, int NV>
void tap_tile(const TapTileArgs<T>& a) {
  using L = Lanes<T>;
  using V = typename L::V;
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v)
      acc[r][v] = a.accumulate ? L::load(a.store_mask[v], a.out[v] + r * a.out_row_stride) : L::zero();
  const T* in[NV];
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v) in[v] = a.in[v];
  const T* w = a.weights;
  for (int64_t c = 0; c < a.channels; ++c) {
    const int64_t channel = c * a.channel_stride;
    for (int64_t t = 0; t < a.taps; ++t, w += MR) {
      const int64_t at = channel + a.tap_offset[t];
      V b[NV];
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) b[v] = L::load(in[v] + at);
      // out[r][v] += w[c, t, r] · in_v[tap t]
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r)
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) acc[r][v] = L::fma(w[r], b[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) L::store(a.out[v] + r * a.out_row_stride, a.store_mask[v], acc[r][v]);
}

// ---- weight_tile ---------------------------------------------------------------------------------

// Taps come in runs of Q consecutive kernel columns of one kernel row (Q > 1 needs dilation 1 along
// the columns, so that tap k of a run lies k elements after the run's first); a tile holds U runs.
constexpr int kMaxRowVectors = 2;  // RV: vectors of output channels per tile
constexpr int kMaxRun = 4;         // Q: taps per run
constexpr int kMaxTileTaps = 12;   // U·Q: taps per tile (2 × 12 = 24 accumulators)

constexpr int runs_per_tile(int run) { return kMaxTileTaps / run; }

template <class T>
struct WeightTileArgs {
  T* acc = nullptr;       // [RV][U·Q][lanes]: the running sums, read (unless first) and written back
  const T* gy = nullptr;  // gy at position 0 of sample 0, first vector of the tile's rows
  const T* x[kMaxTileTaps] = {};  // per run: the staged input of its first tap at position 0, sample 0
  int64_t samples = 0, rows = 0, cols = 0;  // output positions: rows × cols per sample
  int64_t gy_position_stride = 0, gy_sample_stride = 0;
  int64_t x_row_stride = 0, x_col_stride = 0, x_sample_stride = 0;  // input steps per output row, column, sample
  bool first = false;  // start the sums from zero rather than from acc
};

// For each output position in order (sample, row, column):
//     acc[r][u·Q + k] += gy[r] · x_u[position + k]      (one FMA per accumulator, the input broadcast)
// RV loads and U·Q broadcasts per RV·U·Q FMAs.
template <class T, int RV, int Q, int U>
void weight_tile(const WeightTileArgs<T>& a) {
  using L = Lanes<T>;
  using V = typename L::V;
  constexpr int W = L::width;
  V acc[RV][U * Q];
#pragma GCC unroll 16
  for (int r = 0; r < RV; ++r)
#pragma GCC unroll 16
    for (int t = 0; t < U * Q; ++t) acc[r][t] = a.first ? L::zero() : L::load(a.acc + (r * U * Q + t) * W);
  for (int64_t s = 0; s < a.samples; ++s)
    for (int64_t i = 0; i < a.rows; ++i) {
      const T* g = a.gy + s * a.gy_sample_stride + i * a.cols * a.gy_position_stride;
      const int64_t row = s * a.x_sample_stride + i * a.x_row_stride;
      const T* x[U];
#pragma GCC unroll 16
      for (int u = 0; u < U; ++u) x[u] = a.x[u] + row;
      for (int64_t j = 0; j < a.cols; ++j, g += a.gy_position_stride) {
        V gv[RV];
#pragma GCC unroll 16
        for (int r = 0; r < RV; ++r) gv[r] = L::load(g + r * W);
        const int64_t at = j * a.x_col_stride;
#pragma GCC unroll 16
        for (int u = 0; u < U; ++u)
#pragma GCC unroll 16
          for (int k = 0; k < Q; ++k) {
            const V xv = L::broadcast(x[u] + at + k);
#pragma GCC unroll 16
            for (int r = 0; r < RV; ++r) acc[r][u * Q + k] = L::fma(gv[r], xv, acc[r][u * Q + k]);
          }
      }
    }
#pragma GCC unroll 16
  for (int r = 0; r < RV; ++r)
#pragma GCC unroll 16
    for (int t = 0; t < U * Q; ++t) L::store(a.acc + (r * U * Q + t) * W, L::all, acc[r][t]);
}

// ---- dispatch: the instantiation for a tile's run-time shape -------------------------------------

template <class T>
using TapTileFn = void (*)(const TapTileArgs<T>&);
template <class T>
using WeightTileFn = void (*)(const WeightTileArgs<T>&);

template <class T, int MR, int... NV>
constexpr void fill_tap_row(TapTileFn<T>* row, std::integer_sequence<int, NV...>) {
  ((row[NV] = &tap_tile<T, MR, NV + 1>), ...);
}
template <class T, int... R>
constexpr auto make_tap_tiles(std::integer_sequence<int, R...>) {
  std::array<std::array<TapTileFn<T>, kMaxVectors>, kMaxRows> table{};
  (fill_tap_row<T, R + 1>(table[R].data(), std::make_integer_sequence<int, vectors_for_rows(R + 1)>{}), ...);
  return table;
}
// kTapTiles<T>[rows − 1][vectors − 1], for vectors ≤ vectors_for_rows(rows).
template <class T>
inline constexpr auto kTapTiles = make_tap_tiles<T>(std::make_integer_sequence<int, kMaxRows>{});

template <class T, int RV, int Q, int... U>
constexpr void fill_weight_row(WeightTileFn<T>* row, std::integer_sequence<int, U...>) {
  ((row[U] = &weight_tile<T, RV, Q, U + 1>), ...);
}
template <class T, int RV, int... Q>
constexpr void fill_weight_plane(std::array<std::array<WeightTileFn<T>, kMaxTileTaps>, kMaxRun>& plane,
                                 std::integer_sequence<int, Q...>) {
  (fill_weight_row<T, RV, Q + 1>(plane[Q].data(), std::make_integer_sequence<int, runs_per_tile(Q + 1)>{}), ...);
}
template <class T, int... RV>
constexpr auto make_weight_tiles(std::integer_sequence<int, RV...>) {
  std::array<std::array<std::array<WeightTileFn<T>, kMaxTileTaps>, kMaxRun>, kMaxRowVectors> table{};
  (fill_weight_plane<T, RV + 1>(table[RV], std::make_integer_sequence<int, kMaxRun>{}), ...);
  return table;
}
// kWeightTiles<T>[row vectors − 1][run − 1][runs − 1], for runs ≤ runs_per_tile(run).
template <class T>
inline constexpr auto kWeightTiles = make_weight_tiles<T>(std::make_integer_sequence<int, kMaxRowVectors>{});

}  // namespace elbo::cpu::conv
