// A synthetic ensemble whose hotspots are known, for the ensemble analysis and `elbo info` tests.
//
// Three ground-truth signals s_k(i) ~ Uniform(−2, 2), independent, at N data points with dataset
// indices 1000 + 7i. Model m has `latents` channels: signal k sits in latent (k + m) mod latents with
// mean s_k(i) + 0.05·z (z standard normal, a fresh draw per model) and σ = 0.3; every other latent is
// collapsed (mean 0.001·z, log-variance 0), carrying ~0 bits. So the channels copying signal k form one
// hotspot of `models` members, one per model, and the collapsed channels fall under 0.01 bits.
// Factor k is s_k binned into 4 equal bins, so hotspot k has high NMI with factor k only.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/io/npy.hpp"
#include "elbo/rng.hpp"
#include "elbo/tensor.hpp"

namespace elbo::testing {

struct SyntheticMember {
  Tensor means, logvars, indices, factors;  // [N, L] f32, [N, L] f32, [N] i64, [N, 3] i64
};

inline constexpr int64_t kSignals = 3;

inline double synthetic_signal(int64_t k, int64_t i) { return -2.0 + 4.0 * philox_uniform(11, static_cast<uint64_t>(k), static_cast<uint64_t>(i)); }

// The latent of model m that copies signal k.
inline int64_t signal_latent(int64_t k, int64_t m, int64_t latents) { return (k + m) % latents; }

inline SyntheticMember synthetic_member(int64_t m, int64_t n, int64_t latents) {
  std::vector<double> means(static_cast<size_t>(n * latents)), logvars(means.size()), indices(static_cast<size_t>(n)),
      factors(static_cast<size_t>(n * kSignals));
  for (int64_t i = 0; i < n; ++i) {
    indices[static_cast<size_t>(i)] = static_cast<double>(1000 + 7 * i);
    for (int64_t l = 0; l < latents; ++l) {
      const double z = philox_normal(23, static_cast<uint64_t>(m), static_cast<uint64_t>(i * latents + l));
      means[static_cast<size_t>(i * latents + l)] = 0.001 * z;
      logvars[static_cast<size_t>(i * latents + l)] = 0.0;
    }
    for (int64_t k = 0; k < kSignals; ++k) {
      const double s = synthetic_signal(k, i);
      const int64_t l = signal_latent(k, m, latents);
      means[static_cast<size_t>(i * latents + l)] = s + 0.05 * philox_normal(29, static_cast<uint64_t>(m), static_cast<uint64_t>(i * kSignals + k));
      logvars[static_cast<size_t>(i * latents + l)] = std::log(0.3 * 0.3);
      factors[static_cast<size_t>(i * kSignals + k)] = std::min(3.0, std::floor((s + 2.0)));
    }
  }
  return {from_vector(Shape{n, latents}, means), from_vector(Shape{n, latents}, logvars),
          from_vector(Shape{n}, indices, DType::i64), from_vector(Shape{n, kSignals}, factors, DType::i64)};
}

// Writes model m's posteriors to `dir` in the format of info/ensemble_analysis.hpp.
inline void write_synthetic_member(const std::string& dir, int64_t m, int64_t n, int64_t latents, bool with_factors = true) {
  const SyntheticMember s = synthetic_member(m, n, latents);
  io::write_npy(dir + "/means.npy", s.means);
  io::write_npy(dir + "/logvars.npy", s.logvars);
  io::write_npy(dir + "/indices.npy", s.indices);
  if (with_factors) io::write_npy(dir + "/factors.npy", s.factors);
}

}  // namespace elbo::testing
