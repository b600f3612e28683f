// Counter-based random numbers: Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011).
//
// A draw is a pure function of (seed, stream, counter): no generator state, so any thread or
// device computes draw number k without producing draws 0..k−1, and a parallel loop gives the
// same numbers whatever the thread count. The 64-bit seed is Philox's key; the 128-bit counter
// holds the block index (low 64 bits) and the stream (high 64 bits). One block gives four
// 32-bit words.
//
//   uniform draw j : word (j mod 4) of block j/4, mapped to (0, 1) as (w + 0.5)·2^−32
//   normal draw j  : words 2(j mod 2) and 2(j mod 2)+1 of block j/2 as u1, u2 (Box–Muller),
//                    z = √(−2 ln u1) · cos(2π u2), computed in double
#pragma once
#include <array>
#include <cmath>
#include <cstdint>

namespace elbo {

// The Philox4x32-10 bijection (host and device).
#if defined(__CUDACC__)
#define ELBO_HOST_DEVICE __host__ __device__
#else
#define ELBO_HOST_DEVICE
#endif

struct Philox4x32 {
  uint32_t v[4];
};

ELBO_HOST_DEVICE inline Philox4x32 philox4x32_10(uint64_t key, uint64_t block, uint64_t stream) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;    // round multipliers
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;  // key schedule increments
  uint32_t c0 = static_cast<uint32_t>(block), c1 = static_cast<uint32_t>(block >> 32);
  uint32_t c2 = static_cast<uint32_t>(stream), c3 = static_cast<uint32_t>(stream >> 32);
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kMul0) * c0;
    uint64_t p1 = static_cast<uint64_t>(kMul1) * c2;
    uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return {{c0, c1, c2, c3}};
}

ELBO_HOST_DEVICE inline double philox_word_to_unit(uint32_t w) { return (static_cast<double>(w) + 0.5) * 0x1p-32; }

// Uniform draw j of (seed, stream), in (0, 1).
ELBO_HOST_DEVICE inline double philox_uniform(uint64_t seed, uint64_t stream, uint64_t j) {
  Philox4x32 r = philox4x32_10(seed, j >> 2, stream);
  return philox_word_to_unit(r.v[j & 3]);
}

// Standard normal draw j of (seed, stream).
ELBO_HOST_DEVICE inline double philox_normal(uint64_t seed, uint64_t stream, uint64_t j) {
  Philox4x32 r = philox4x32_10(seed, j >> 1, stream);
  int lane = static_cast<int>(j & 1) * 2;
  double u1 = philox_word_to_unit(r.v[lane]), u2 = philox_word_to_unit(r.v[lane + 1]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2);
}

// A generator handle for host code that draws one number at a time: (seed, stream) and a counter.
struct Rng {
  uint64_t seed = 0;
  uint64_t stream = 0;
  uint64_t counter = 0;
  double uniform() { return philox_uniform(seed, stream, counter++); }
  double normal() { return philox_normal(seed, stream, counter++); }
  // Integer in [0, n), from one uniform draw (n well below 2^32).
  uint64_t below(uint64_t n) {
    uint64_t k = static_cast<uint64_t>(uniform() * static_cast<double>(n));
    return k < n ? k : n - 1;
  }
};

}  // namespace elbo
