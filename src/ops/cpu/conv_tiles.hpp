// The two register tiles every CPU convolution kernel is built from (conv.cpp shows how the
// convolutions reduce to them), over one SIMD register type per element type.
//
//   tap_tile  out[r][v] = Σ_c Σ_t w[c, t, r] · in_v[c·channel_stride + tap_offset[t]]
//             MR output channels (rows r) × NV vectors of output positions (v). Each tap t reads
//             one vector of the staged input at a fixed offset from the output position; the
//             weights are broadcast. Used by the forward pass and by the input gradient.
//
//   dot_tile  acc[r][t] += Σ_v gy[v, r] · x_t[v]        (lane-wise; lanes are summed at the end)
//             MO output channels × NT taps of the weight gradient: dot products along the
//             output positions v, one vector at a time.
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

// ---- dot_tile -----------------------------------------------------------------------------------

// 4 × 6: 24 accumulators and 10 loads per 24 FMAs. (With 8 × 3 the compiler folds the gy
// load into each FMA, 27 loads per 24 FMAs, and the tile runs at 75% of the FMA rate.)
constexpr int kMaxDotRows = 4;  // MO: output channels of the gradient tile
constexpr int kMaxDotTaps = 6;  // NT: taps of the gradient tile

template <class T>
struct DotTileArgs {
  using Mask = typename Lanes<T>::Mask;
  T* acc = nullptr;       // [MO][NT][lanes]: lane-wise partial sums, read and written back
  const T* gy = nullptr;  // the output gradient plane of the tile's first row, sample 0
  const T* x[kMaxDotTaps] = {};  // per tap: the staged input at the tap's offset, sample 0
  int64_t vectors = 0, samples = 0;  // vectors per plane, samples
  int64_t gy_row_stride = 0, gy_sample_stride = 0, x_sample_stride = 0;
  Mask last = 0;       // the lanes of a plane's last vector that lie in the plane
  bool first = false;  // start the sums from zero rather than from acc
};

// acc[r][t] += gy[r] · x_t, lane by lane, for one vector at offset `at`. The gy loads of a
// plane's last vector are masked (past its end lie the next plane's values); the x lanes there
// only meet those zeros.
template <class T, int MO, int NT, bool Last>
inline void dot_step(typename Lanes<T>::V (&acc)[MO][NT], const T* const (&gy)[MO], const T* const (&x)[NT],
                     int64_t at, typename Lanes<T>::Mask last) {
  using L = Lanes<T>;
  typename L::V xt[NT];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) xt[t] = L::load(x[t] + at);
#pragma GCC unroll 16
  for (int r = 0; r < MO; ++r) {
    const typename L::V g = Last ? L::load(last, gy[r] + at) : L::load(gy[r] + at);
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) acc[r][t] = L::fma(g, xt[t], acc[r][t]);
  }
}

template <class T, int MO, int NT>
void dot_tile(const DotTileArgs<T>& a) {
  using L = Lanes<T>;
  using V = typename L::V;
  constexpr int W = L::width;
  V acc[MO][NT];
#pragma GCC unroll 16
  for (int r = 0; r < MO; ++r)
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) acc[r][t] = a.first ? L::zero() : L::load(a.acc + (r * NT + t) * W);
  // Whole vectors unmasked; a partial last vector through its mask.
  const int64_t whole = a.last == L::all ? a.vectors : a.vectors - 1;
  for (int64_t s = 0; s < a.samples; ++s) {
    const T* x[NT];
    const T* gy[MO];
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) x[t] = a.x[t] + s * a.x_sample_stride;
#pragma GCC unroll 16
    for (int r = 0; r < MO; ++r) gy[r] = a.gy + s * a.gy_sample_stride + r * a.gy_row_stride;
    for (int64_t v = 0; v < whole; ++v) dot_step<T, MO, NT, false>(acc, gy, x, v * W, a.last);
    if (whole < a.vectors) dot_step<T, MO, NT, true>(acc, gy, x, whole * W, a.last);
  }
#pragma GCC unroll 16
  for (int r = 0; r < MO; ++r)
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) L::store(a.acc + (r * NT + t) * W, L::all, acc[r][t]);
}

// ---- dispatch: the instantiation for a tile's run-time shape -------------------------------------

template <class T>
using TapTileFn = void (*)(const TapTileArgs<T>&);
template <class T>
using DotTileFn = void (*)(const DotTileArgs<T>&);

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

template <class T, int MO, int... NT>
constexpr void fill_dot_row(DotTileFn<T>* row, std::integer_sequence<int, NT...>) {
  ((row[NT] = &dot_tile<T, MO, NT + 1>), ...);
}
template <class T, int... R>
constexpr auto make_dot_tiles(std::integer_sequence<int, R...>) {
  std::array<std::array<DotTileFn<T>, kMaxDotTaps>, kMaxDotRows> table{};
  (fill_dot_row<T, R + 1>(table[R].data(), std::make_integer_sequence<int, kMaxDotTaps>{}), ...);
  return table;
}
// kDotTiles<T>[rows − 1][taps − 1].
template <class T>
inline constexpr auto kDotTiles = make_dot_tiles<T>(std::make_integer_sequence<int, kMaxDotRows>{});

}  // namespace elbo::cpu::conv
