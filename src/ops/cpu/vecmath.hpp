// Vectorised f32 math: exp, expm1, log, log1p, tanh, sigmoid, softplus, written once for any
// "lane type" V:
//
//     float     one lane, plain C++ (the fallback, and the path for strided elements)
//     F32x8     8 lanes of AVX2 + FMA        (when compiled with __AVX2__ and __FMA__)
//     F32x16    16 lanes of AVX-512F          (when compiled with __AVX512F__)
//     double    one lane; the f64 math functions forward to <cmath>
//
// VecF32 names the widest type this build has. Kernels apply a function to whole vectors and
// to the last partial vector of a run with masked loads and stores, so every element runs the
// same instruction sequence wherever it falls.
//
// Bit-identity across lane types. Every step below is one IEEE-754 operation rounded to nearest
// (add, mul, div, sqrt, fused multiply-add, compare, select, integer bit manipulation), so a
// function gives the same bits on F32x16, F32x8 and float. Two rules keep it so:
//   * a product that feeds a sum is always written as an explicit fma(a, b, c): the compiler
//     may otherwise fuse a·b + c in one instantiation and not in another;
//   * min(a, b) is `a < b ? a : b` and max(a, b) is `a > b ? a : b`, as the x86 instructions
//     are: when an operand is NaN the second one is returned. Clamps are written
//     min(limit, x), so a NaN x passes through and NaN propagates.
// Accuracy, as the largest error found against <cmath> in double over every 7th f32 bit pattern
// (tests/ops/test_vecmath.cpp sweeps every 4099th): exp 1.01 ulp, expm1 1.43, log 0.80,
// log1p 1.44, tanh 2.42, sigmoid 2.33, softplus 1.94, denormal inputs and results included.
#pragma once
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#if defined(__AVX2__) || defined(__AVX512F__)
// GCC 12's AVX-512 headers fill unused lanes from _mm512_undefined_*(), which trips its own
// uninitialised-value warnings once inlined (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace elbo::vm {

// ---- one-lane types: float and double ----------------------------------------------------------

inline float fma(float a, float b, float c) { return std::fma(a, b, c); }
inline double fma(double a, double b, double c) { return std::fma(a, b, c); }
inline float select(bool m, float a, float b) { return m ? a : b; }
inline double select(bool m, double a, double b) { return m ? a : b; }
inline float min(float a, float b) { return a < b ? a : b; }
inline double min(double a, double b) { return a < b ? a : b; }
inline float max(float a, float b) { return a > b ? a : b; }
inline double max(double a, double b) { return a > b ? a : b; }
inline float abs(float x) { return std::fabs(x); }
inline double abs(double x) { return std::fabs(x); }
inline float sqrt(float x) { return std::sqrt(x); }
inline double sqrt(double x) { return std::sqrt(x); }
inline float pow(float a, float b) { return std::pow(a, b); }
inline double pow(double a, double b) { return std::pow(a, b); }

// The bits of a float as a signed 32-bit integer, and back; integer → float conversion.
inline int32_t as_int(float x) { return std::bit_cast<int32_t>(x); }
inline float as_float(int32_t i) { return std::bit_cast<float>(i); }
inline float to_float(int32_t i) { return static_cast<float>(i); }
template <int N> int32_t shift_left(int32_t i) { return static_cast<int32_t>(static_cast<uint32_t>(i) << N); }
template <int N> int32_t shift_right(int32_t i) { return i >> N; }  // arithmetic (C++20)

// ---- AVX2 + FMA: 8 lanes ------------------------------------------------------------------------
#if defined(__AVX2__) && defined(__FMA__)

struct M8 {  // a lane mask: all bits set where true
  __m256 m;
};
inline M8 operator&(M8 a, M8 b) { return {_mm256_and_ps(a.m, b.m)}; }
inline M8 operator|(M8 a, M8 b) { return {_mm256_or_ps(a.m, b.m)}; }

struct I32x8 {
  __m256i v;
  I32x8(__m256i v) : v(v) {}
  I32x8(int32_t s) : v(_mm256_set1_epi32(s)) {}
};
inline I32x8 operator+(I32x8 a, I32x8 b) { return _mm256_add_epi32(a.v, b.v); }
inline I32x8 operator-(I32x8 a, I32x8 b) { return _mm256_sub_epi32(a.v, b.v); }
inline I32x8 operator&(I32x8 a, I32x8 b) { return _mm256_and_si256(a.v, b.v); }
inline I32x8 operator|(I32x8 a, I32x8 b) { return _mm256_or_si256(a.v, b.v); }
template <int N> I32x8 shift_left(I32x8 i) { return _mm256_slli_epi32(i.v, N); }
template <int N> I32x8 shift_right(I32x8 i) { return _mm256_srai_epi32(i.v, N); }

struct F32x8 {
  static constexpr int width = 8;
  __m256 v;
  F32x8() = default;
  F32x8(__m256 v) : v(v) {}
  F32x8(float s) : v(_mm256_set1_ps(s)) {}
  // Lanes [0, n) of p, zero elsewhere; memory past p[n − 1] is not touched.
  static __m256i first(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static F32x8 load(const float* p) { return _mm256_loadu_ps(p); }
  static F32x8 load(const float* p, int64_t n) { return _mm256_maskload_ps(p, first(n)); }
  void store(float* p) const { _mm256_storeu_ps(p, v); }
  void store(float* p, int64_t n) const { _mm256_maskstore_ps(p, first(n), v); }
};
inline F32x8 operator+(F32x8 a, F32x8 b) { return _mm256_add_ps(a.v, b.v); }
inline F32x8 operator-(F32x8 a, F32x8 b) { return _mm256_sub_ps(a.v, b.v); }
inline F32x8 operator*(F32x8 a, F32x8 b) { return _mm256_mul_ps(a.v, b.v); }
inline F32x8 operator/(F32x8 a, F32x8 b) { return _mm256_div_ps(a.v, b.v); }
inline F32x8 operator-(F32x8 a) { return _mm256_xor_ps(a.v, _mm256_set1_ps(-0.0f)); }
inline M8 operator<(F32x8 a, F32x8 b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ)}; }
inline M8 operator<=(F32x8 a, F32x8 b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_LE_OQ)}; }
inline M8 operator>(F32x8 a, F32x8 b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_GT_OQ)}; }
inline M8 operator>=(F32x8 a, F32x8 b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_GE_OQ)}; }
inline M8 operator==(F32x8 a, F32x8 b) { return {_mm256_cmp_ps(a.v, b.v, _CMP_EQ_OQ)}; }
inline F32x8 fma(F32x8 a, F32x8 b, F32x8 c) { return _mm256_fmadd_ps(a.v, b.v, c.v); }
inline F32x8 select(M8 m, F32x8 a, F32x8 b) { return _mm256_blendv_ps(b.v, a.v, m.m); }
inline F32x8 min(F32x8 a, F32x8 b) { return _mm256_min_ps(a.v, b.v); }
inline F32x8 max(F32x8 a, F32x8 b) { return _mm256_max_ps(a.v, b.v); }
inline F32x8 abs(F32x8 x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x.v); }
inline F32x8 sqrt(F32x8 x) { return _mm256_sqrt_ps(x.v); }
inline I32x8 as_int(F32x8 x) { return _mm256_castps_si256(x.v); }
inline F32x8 as_float(I32x8 i) { return _mm256_castsi256_ps(i.v); }
inline F32x8 to_float(I32x8 i) { return _mm256_cvtepi32_ps(i.v); }

#endif

// ---- AVX-512F: 16 lanes -------------------------------------------------------------------------
#if defined(__AVX512F__)

struct M16 {
  __mmask16 m;
};
inline M16 operator&(M16 a, M16 b) { return {static_cast<__mmask16>(a.m & b.m)}; }
inline M16 operator|(M16 a, M16 b) { return {static_cast<__mmask16>(a.m | b.m)}; }

struct I32x16 {
  __m512i v;
  I32x16(__m512i v) : v(v) {}
  I32x16(int32_t s) : v(_mm512_set1_epi32(s)) {}
};
inline I32x16 operator+(I32x16 a, I32x16 b) { return _mm512_add_epi32(a.v, b.v); }
inline I32x16 operator-(I32x16 a, I32x16 b) { return _mm512_sub_epi32(a.v, b.v); }
inline I32x16 operator&(I32x16 a, I32x16 b) { return _mm512_and_si512(a.v, b.v); }
inline I32x16 operator|(I32x16 a, I32x16 b) { return _mm512_or_si512(a.v, b.v); }
template <int N> I32x16 shift_left(I32x16 i) { return _mm512_slli_epi32(i.v, N); }
template <int N> I32x16 shift_right(I32x16 i) { return _mm512_srai_epi32(i.v, N); }

struct F32x16 {
  static constexpr int width = 16;
  __m512 v;
  F32x16() = default;
  F32x16(__m512 v) : v(v) {}
  F32x16(float s) : v(_mm512_set1_ps(s)) {}
  static __mmask16 first(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static F32x16 load(const float* p) { return _mm512_loadu_ps(p); }
  static F32x16 load(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(first(n), p); }
  void store(float* p) const { _mm512_storeu_ps(p, v); }
  void store(float* p, int64_t n) const { _mm512_mask_storeu_ps(p, first(n), v); }
};
inline F32x16 operator+(F32x16 a, F32x16 b) { return _mm512_add_ps(a.v, b.v); }
inline F32x16 operator-(F32x16 a, F32x16 b) { return _mm512_sub_ps(a.v, b.v); }
inline F32x16 operator*(F32x16 a, F32x16 b) { return _mm512_mul_ps(a.v, b.v); }
inline F32x16 operator/(F32x16 a, F32x16 b) { return _mm512_div_ps(a.v, b.v); }
inline F32x16 operator-(F32x16 a) {
  return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a.v), _mm512_set1_epi32(INT32_MIN)));
}
inline M16 operator<(F32x16 a, F32x16 b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ)}; }
inline M16 operator<=(F32x16 a, F32x16 b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_LE_OQ)}; }
inline M16 operator>(F32x16 a, F32x16 b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_GT_OQ)}; }
inline M16 operator>=(F32x16 a, F32x16 b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_GE_OQ)}; }
inline M16 operator==(F32x16 a, F32x16 b) { return {_mm512_cmp_ps_mask(a.v, b.v, _CMP_EQ_OQ)}; }
inline F32x16 fma(F32x16 a, F32x16 b, F32x16 c) { return _mm512_fmadd_ps(a.v, b.v, c.v); }
inline F32x16 select(M16 m, F32x16 a, F32x16 b) { return _mm512_mask_blend_ps(m.m, b.v, a.v); }
inline F32x16 min(F32x16 a, F32x16 b) { return _mm512_min_ps(a.v, b.v); }
inline F32x16 max(F32x16 a, F32x16 b) { return _mm512_max_ps(a.v, b.v); }
inline F32x16 abs(F32x16 x) {
  return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x.v), _mm512_set1_epi32(INT32_MAX)));
}
inline F32x16 sqrt(F32x16 x) { return _mm512_sqrt_ps(x.v); }
inline I32x16 as_int(F32x16 x) { return _mm512_castps_si512(x.v); }
inline F32x16 as_float(I32x16 i) { return _mm512_castsi512_ps(i.v); }
inline F32x16 to_float(I32x16 i) { return _mm512_cvtepi32_ps(i.v); }

#endif

// ---- the lane types of a build --------------------------------------------------------------------

#if defined(__AVX512F__)
using VecF32 = F32x16;
#elif defined(__AVX2__) && defined(__FMA__)
using VecF32 = F32x8;
#else
using VecF32 = float;
#endif

// The lane type of contiguous runs of T: SIMD for f32; f64 stays scalar (and auto-vectorised).
template <class T> using Vec = std::conditional_t<std::is_same_v<T, float>, VecF32, T>;

template <class V> constexpr bool is_simd = !std::is_arithmetic_v<V>;
template <class V> constexpr int width = [] {
  if constexpr (is_simd<V>) return V::width;
  else return 1;
}();

// The lane types whose lanes are f32: the routines below are f32 algorithms.
template <class V> struct has_f32_lanes : std::false_type {};
template <> struct has_f32_lanes<float> : std::true_type {};
#if defined(__AVX2__) && defined(__FMA__)
template <> struct has_f32_lanes<F32x8> : std::true_type {};
#endif
#if defined(__AVX512F__)
template <> struct has_f32_lanes<F32x16> : std::true_type {};
#endif
template <class V> concept F32Lanes = has_f32_lanes<V>::value;

// Lanes [0, n) from p (n ≤ width; the rest zero) and back, for the last partial vector of a run.
template <class V, class T> V load(const T* p) {
  if constexpr (is_simd<V>) return V::load(p);
  else return *p;
}
template <class V, class T> V load(const T* p, int64_t n) {
  if constexpr (is_simd<V>) return V::load(p, n);
  else return n > 0 ? *p : T(0);
}
template <class V, class T> void store(T* p, V v) {
  if constexpr (is_simd<V>) v.store(p);
  else *p = v;
}
template <class V, class T> void store(T* p, V v, int64_t n) {
  if constexpr (is_simd<V>) v.store(p, n);
  else if (n > 0) *p = v;
}

// a^b lane by lane with <cmath>'s pow (no vector version: accuracy needs a double-length log).
template <class V>
  requires is_simd<V>
V pow(V a, V b) {
  alignas(64) float x[V::width], y[V::width];
  a.store(x);
  b.store(y);
  for (int i = 0; i < V::width; ++i) x[i] = std::pow(x[i], y[i]);
  return V::load(x);
}

// ---- exp and expm1 --------------------------------------------------------------------------------
//
// Range reduction (Cody & Waite): e^x = 2^n · e^r with n = round(x / ln 2), r = x − n·ln 2,
// |r| ≤ ln2/2. n comes from adding 1.5·2^23 to x·log2(e), which leaves round(x·log2 e) in the
// low mantissa bits (no float → int conversion, so NaN and ±inf need no special case there).
// ln 2 is split as C1 + C2 with C1 = 0.693359375 (9 significant bits, so n·C1 is exact) and
// C2 = −2.12194440e−4; two fmas give r with an error far below an ulp.
//
// Polynomial (Cephes expf, S. L. Moshier): e^r − 1 = r + r²·P(r), P of degree 5, a minimax fit
// on [−ln2/2, ln2/2]. Keeping the "− 1" separate gives expm1 without cancellation.
//
// Scaling: 2^n is built from its bits, (n + 127) << 23. n spans [−150, 128] after clamping x to
// [−104, 88.8], beyond the range of one normal power of two, so the result is multiplied by
// 2^⌊n/2⌋ and then 2^(n − ⌊n/2⌋): both are normal, and the second product rounds once into the
// denormal range (or overflows to +inf) exactly as the true e^x does.
namespace detail {
// e^r − 1 for |r| ≤ ln2/2.
template <class V> V expm1_reduced(V r) {
  V p = fma(V(1.9875691500e-4f), r, V(1.3981999507e-3f));
  p = fma(p, r, V(8.3334519073e-3f));
  p = fma(p, r, V(4.1665795894e-2f));
  p = fma(p, r, V(1.6666665459e-1f));
  p = fma(p, r, V(5.0000001201e-1f));
  return fma(p, r * r, r);
}
// 2^k for integer k in [−126, 127], from its bits.
template <class I> auto pow2(I k) { return as_float(shift_left<23>(k + I(127))); }

constexpr float kRoundShift = 0x1.8p23f;  // 1.5·2^23
constexpr float kLog2e = 0x1.715476p+0f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
}  // namespace detail

// e^x; exact 0 below −103.97, +inf above 88.72, NaN → NaN.
template <F32Lanes V> V exp(V x) {
  using namespace detail;
  x = min(V(88.8f), max(V(-104.0f), x));
  V t = fma(x, V(kLog2e), V(kRoundShift));  // kRoundShift + round(x·log2 e)
  V n = t - V(kRoundShift);
  V r = fma(n, V(-kLn2Hi), x);
  r = fma(n, V(-kLn2Lo), r);
  V p = expm1_reduced(r) + V(1.0f);
  auto k = as_int(t) - as_int(V(kRoundShift));  // n as an integer
  auto k_half = shift_right<1>(k);
  return (p * pow2(k_half)) * pow2(k - k_half);
}

// e^x − 1, accurate near 0 (for elu). With s = 2^n and q = e^r − 1:
//     e^x − 1 = s·(1 + q) − 1 = fma(s, q, s − 1),
// where s − 1 is exact for n ≤ 24 and the fma rounds once. For n = 0 this is q itself, so
// small arguments lose nothing to cancellation. Above x = 87, e^x − 1 is e^x in f32 and the
// product form of exp is used (s = 2^128 has no f32 representation). Below x = −87 the result is
// −1.
template <F32Lanes V> V expm1(V x) {
  using namespace detail;
  x = min(V(88.8f), max(V(-87.0f), x));
  V t = fma(x, V(kLog2e), V(kRoundShift));
  V n = t - V(kRoundShift);
  V r = fma(n, V(-kLn2Hi), x);
  r = fma(n, V(-kLn2Lo), r);
  V q = expm1_reduced(r);
  auto k = as_int(t) - as_int(V(kRoundShift));
  V s = pow2(k);
  V small = fma(s, q, s - V(1.0f));
  auto k_half = shift_right<1>(k);
  V large = ((q + V(1.0f)) * pow2(k_half)) * pow2(k - k_half);
  return select(x > V(87.0f), large, small);
}

// ---- log and log1p --------------------------------------------------------------------------------
//
// Range reduction: x = 2^e · m with m ∈ [√½, √2) read from the bits (denormal x is first
// scaled by 2^23), so ln x = e·ln 2 + ln(1 + f), f = m − 1 ∈ [−0.293, 0.414] (exact).
// Polynomial (Cephes logf, S. L. Moshier): ln(1 + f) = f − f²/2 + f³·P(f), P of degree 8, a
// minimax fit on that interval. e·ln 2 is added in two parts (C1 = 0.693359375 exact,
// C2 = −2.12194440e−4) around the polynomial so the large term comes last.
namespace detail {
// ln(1 + f) + e·ln 2 for f ∈ [√½ − 1, √2 − 1].
template <class V> V log_reduced(V f, V e) {
  V p = fma(V(7.0376836292e-2f), f, V(-1.1514610310e-1f));
  p = fma(p, f, V(1.1676998740e-1f));
  p = fma(p, f, V(-1.2420140846e-1f));
  p = fma(p, f, V(1.4249322787e-1f));
  p = fma(p, f, V(-1.6668057665e-1f));
  p = fma(p, f, V(2.0000714765e-1f));
  p = fma(p, f, V(-2.4999993993e-1f));
  p = fma(p, f, V(3.3333331174e-1f));
  V f2 = f * f;
  V y = (f * f2) * p;
  y = fma(e, V(kLn2Lo), y);
  y = fma(f2, V(-0.5f), y);
  return fma(e, V(kLn2Hi), f + y);
}
}  // namespace detail

// ln x. −inf at ±0, NaN below 0 and for NaN, +inf at +inf.
template <F32Lanes V> V log(V x) {
  using namespace detail;
  const float inf = INFINITY;
  auto denormal = x < V(0x1p-126f);
  V scaled = select(denormal, x * V(0x1p23f), x);
  auto bits = as_int(scaled);
  // scaled = 2^(e + 1) · m with m = mantissa | exponent of 0.5 ∈ [0.5, 1)
  V e = to_float(shift_right<23>(bits) - 126) - select(denormal, V(23.0f), V(0.0f));
  V m = as_float((bits & 0x007fffff) | 0x3f000000);
  auto below = m < V(0.70710678f);
  e = e - select(below, V(1.0f), V(0.0f));
  V f = select(below, m + m, m) - V(1.0f);
  V y = log_reduced(f, e);
  y = select(x > V(0.0f), y, select(x == V(0.0f), V(-inf), V(NAN)));
  return select(x == V(inf), V(inf), y);
}

// ln(1 + x), accurate near 0. u = 1 + x is rounded; its rounding error c = x − (u − 1) is
// restored to first order: ln(1 + x) = ln(u) + ln(1 + c/u) ≈ ln(u) + c/u. (u − 1 is exact
// whenever c matters: for u ∈ [½, 2], by Sterbenz's lemma.) −inf at −1, NaN below −1.
template <F32Lanes V> V log1p(V x) {
  V u = x + V(1.0f);
  V c = x - (u - V(1.0f));
  auto finite = (x > V(-1.0f)) & (x < V(INFINITY));
  return log(u) + select(finite, c / u, V(0.0f));
}

// ---- tanh, sigmoid, softplus --------------------------------------------------------------------

// tanh x = sign(x) · e/(e + 2) with e = e^(2|x|) − 1 (expm1): no cancellation anywhere, so small
// and large |x| are both accurate. |x| is clamped to 10, where tanh is 1 in f32. The sign is
// copied bitwise, so tanh(−0) = −0.
template <F32Lanes V> V tanh(V x) {
  V a = min(V(10.0f), abs(x));
  V e = expm1(a + a);
  V t = e / (e + V(2.0f));
  return as_float(as_int(t) | (as_int(x) & INT32_MIN));
}
inline double tanh(double x) { return std::tanh(x); }

// The f64 versions forward to <cmath>.
inline double exp(double x) { return std::exp(x); }
inline double expm1(double x) { return std::expm1(x); }
inline double log(double x) { return std::log(x); }
inline double log1p(double x) { return std::log1p(x); }

// σ(x) = 1/(1 + e^−x) = e^x/(1 + e^x). With e = e^−|x| ∈ (0, 1], the form with e in the
// numerator is taken for x < 0, so exp never overflows and σ keeps full relative accuracy deep in
// the negative tail (down to denormal results).
template <class V> V sigmoid(V x) {
  V e = exp(-abs(x));
  return select(x >= V(0.0f), V(1.0f), e) / (V(1.0f) + e);
}

// softplus(x) = ln(1 + e^x) = max(x, 0) + ln(1 + e^−|x|): the exp never overflows, and log1p keeps
// the small tail (e^−|x| ≪ 1) accurate.
template <class V> V softplus(V x) { return max(V(0.0f), x) + log1p(exp(-abs(x))); }

// ---- sums over a contiguous run, in a fixed order ------------------------------------------------
//
// Σ x[i] (i < n) in double. Element i is added to partial sum i mod 32 (32 independent chains keep
// the vector adders busy); the partials are then combined by a fixed pairwise tree, p[j] += p[j + w]
// for w = 16, 8, 4, 2, 1. The order depends on n alone: not on the vector width, not on threads.
template <class T> double sum_lanes(const T* x, int64_t n) {
  constexpr int kLanes = 32;
  double p[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) p[j] += static_cast<double>(x[i + j]);
  for (int j = 0; i + j < n; ++j) p[j] += static_cast<double>(x[i + j]);
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) p[j] += p[j + w];
  return p[0];
}

// Σ x[i]·y[i] in double, in the order of sum_lanes (each product is exact for f32 inputs).
template <class T> double dot_lanes(const T* x, const T* y, int64_t n) {
  constexpr int kLanes = 32;
  double p[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) p[j] = std::fma(static_cast<double>(x[i + j]), static_cast<double>(y[i + j]), p[j]);
  for (int j = 0; i + j < n; ++j) p[j] = std::fma(static_cast<double>(x[i + j]), static_cast<double>(y[i + j]), p[j]);
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) p[j] += p[j + w];
  return p[0];
}

// max(a, v), NaN if either is NaN (unlike max above, which is the x86 instruction).
template <class T> T max_propagating(T a, T v) { return (v > a || v != v) ? v : a; }

// max_i x[i] (−inf for n = 0), NaN if any element is NaN. Max is exact, so the order is free.
template <class T> T max_lanes(const T* x, int64_t n) {
  constexpr int kLanes = 32;
  T p[kLanes];
  for (T& v : p) v = -INFINITY;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) p[j] = max_propagating(p[j], x[i + j]);
  for (int j = 0; i + j < n; ++j) p[j] = max_propagating(p[j], x[i + j]);
  for (int j = 1; j < kLanes; ++j) p[0] = max_propagating(p[0], p[j]);
  return p[0];
}

}  // namespace elbo::vm
