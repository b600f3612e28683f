// Monte Carlo samples of I(U;X) for a channel whose posteriors p(u|x_m), m = 1..N, are diagonal
// Gaussians: the inner kernel of monte_carlo_information (mutual_information.cpp) and of
// whole_space_similarity (whole_space.cpp). Internal to src/info; the formulas and their source are
// in include/elbo/info/mutual_information.hpp (estimator 2).
//
// A joint channel (U, V) of two spaces given x (the encoders' noise independent) is a list of parts,
// one GaussianMixture each: u = (u_U, u_V) and ln p(u|x_m) = ln p_U(u_U|x_m) + ln p_V(u_V|x_m), which
// is the density of the concatenated posterior [μ_U, μ_V], [lv_U, lv_V] without building it; the
// pair (U, U′) is the same mixture listed twice. Sample s of a joint channel of d dimensions in all:
//
//     i   = ⌊N · (uniform draw s of Philox (seed, stream))⌋
//     u_k = μ_ik + σ_ik ε_k,   ε_k = normal draw s·d + k of (seed, stream + 1),  k = 0..d−1 over the
//           parts in order (the first part takes ε_0 .. ε_{d_U − 1})
//     value = [ln p(u|x_i) − ln((1/N) Σ_m p(u|x_m))] / ln 2          (bits)
//
// exactly the draws monte_carlo_information makes for the concatenated posterior. The N
// log-densities are computed one dimension at a time over all components (the data are stored
// dimension-major), so the loop over components is one vectorised pass.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "elbo/info/bhattacharyya.hpp"
#include "elbo/info/mutual_information.hpp"
#include "elbo/info/units.hpp"
#include "elbo/rng.hpp"

namespace elbo::info::detail {

// ln Σ_k exp(x_k), shifted by the maximum so that no term overflows.
inline double log_sum_exp(const double* x, int64_t n) {
  double m = -INFINITY;
  for (int64_t k = 0; k < n; ++k) m = std::max(m, x[k]);
  if (m == -INFINITY) return m;
  double s = 0.0;
  for (int64_t k = 0; k < n; ++k) s += std::exp(x[k] - m);
  return m + std::log(s);
}

// Mean and standard error (sample standard deviation / √n) of values, summed in index order.
inline Estimate mean_and_error(const double* values, int64_t count) {
  const double n = static_cast<double>(count);
  double sum = 0.0;
  for (int64_t k = 0; k < count; ++k) sum += values[k];
  double mean = sum / n, squares = 0.0;
  for (int64_t k = 0; k < count; ++k) squares += (values[k] - mean) * (values[k] - mean);
  double error = count > 1 ? std::sqrt(squares / (n - 1.0) / n) : 0.0;
  return {mean, error};
}

// Index j of (seed, stream) as a uniform draw from {0 .. n − 1}.
inline int64_t draw_index(uint64_t seed, uint64_t stream, uint64_t j, int64_t n) {
  int64_t k = static_cast<int64_t>(philox_uniform(seed, stream, j) * static_cast<double>(n));
  return std::min(k, n - 1);
}

// The N diagonal Gaussian components of one space, f64, dimension-major:
//     ln p(u|x_m) = log_norm[m] − Σ_k (u_k − μ_mk)² · half_inv_var[k][m],
//     log_norm[m] = −½ Σ_k (ln σ_mk² + ln 2π),   half_inv_var = 1 / (2σ²).
struct GaussianMixture {
  int64_t count = 0, dims = 0;
  std::vector<double> mean, half_inv_var, stddev;  // [dims][count]
  std::vector<double> log_norm;                    // [count]

  GaussianMixture(const char* what, const Tensor& means, const Tensor& logvars) {
    check_posteriors(what, means, logvars);
    Tensor m = posterior_f64(means), lv = posterior_f64(logvars);
    count = m.size(0);
    dims = m.size(1);
    const double *pm = m.data<double>(), *pl = lv.data<double>();
    const size_t size = static_cast<size_t>(count * dims);
    mean.resize(size), half_inv_var.resize(size), stddev.resize(size);
    log_norm.assign(static_cast<size_t>(count), 0.0);
    constexpr double kLog2Pi = 1.837877066409345483560659472811235279;  // ln 2π
    for (int64_t c = 0; c < count; ++c)
      for (int64_t k = 0; k < dims; ++k) {
        const double logvar = pl[c * dims + k];
        const size_t at = static_cast<size_t>(k * count + c);
        mean[at] = pm[c * dims + k];
        half_inv_var[at] = 0.5 * std::exp(-logvar);
        stddev[at] = std::exp(0.5 * logvar);
        log_norm[static_cast<size_t>(c)] -= 0.5 * (logvar + kLog2Pi);
      }
  }
};

// ln p(u|x_c) for one component c (u has the mixture's dims).
inline double log_density(const GaussianMixture& g, const double* u, int64_t c) {
  double log_p = g.log_norm[static_cast<size_t>(c)];
  for (int64_t k = 0; k < g.dims; ++k) {
    const size_t at = static_cast<size_t>(k * g.count + c);
    const double diff = u[k] - g.mean[at];
    log_p -= diff * diff * g.half_inv_var[at];
  }
  return log_p;
}

// u = μ_c + σ_c ⊙ ε with ε normal draws first .. first + dims − 1 of (seed, stream).
inline void sample_component(const GaussianMixture& g, int64_t c, uint64_t seed, uint64_t stream, uint64_t first,
                             double* u) {
  for (int64_t k = 0; k < g.dims; ++k) {
    const size_t at = static_cast<size_t>(k * g.count + c);
    u[k] = g.mean[at] + g.stddev[at] * philox_normal(seed, stream, first + static_cast<uint64_t>(k));
  }
}

// A joint channel: its parts (one pointer per space; the same pointer twice for (U, U′)).
struct JointChannel {
  std::vector<const GaussianMixture*> parts;
  int64_t dims() const {
    int64_t d = 0;
    for (const GaussianMixture* p : parts) d += p->dims;
    return d;
  }
};

// Samples first .. first + count − 1 of the estimator for `channel` (bits) into values[0 .. count − 1].
// Scratch: u [kSampleBlock · channel.dims()], log_p [kSampleBlock · N]; count ≤ kSampleBlock.
//
// The samples of a block share each pass over the components: for a tile of kComponentTile
// components at a time, each dimension's means and 1/(2σ²) are read once for all the block's samples
// while they sit in the L1 cache. Every log-density still takes the same operations in the same order
// (its part's log_norm, then the dimensions in order), so a sample's value has the same bits whatever
// block it falls in.
inline constexpr int64_t kSampleBlock = 8, kComponentTile = 256;

inline void monte_carlo_samples(const JointChannel& channel, uint64_t seed, uint64_t stream, int64_t first,
                                int64_t count, double* u, double* log_p, double* values) {
  const int64_t n = channel.parts[0]->count, d = channel.dims();
  int64_t index[kSampleBlock];
  for (int64_t b = 0; b < count; ++b) {
    const int64_t s = first + b;
    index[b] = draw_index(seed, stream, static_cast<uint64_t>(s), n);
    int64_t offset = 0;  // of the part's first dimension among the joint channel's d
    for (const GaussianMixture* part : channel.parts) {
      sample_component(*part, index[b], seed, stream + 1, static_cast<uint64_t>(s * d + offset), u + b * d + offset);
      offset += part->dims;
    }
  }
  for (int64_t tile = 0; tile < n; tile += kComponentTile) {
    const int64_t end = std::min(n, tile + kComponentTile);
    for (int64_t b = 0; b < count; ++b) {
      double* lp = log_p + b * n;
      std::copy(channel.parts[0]->log_norm.begin() + tile, channel.parts[0]->log_norm.begin() + end, lp + tile);
      for (size_t p = 1; p < channel.parts.size(); ++p)
        for (int64_t m = tile; m < end; ++m) lp[m] += channel.parts[p]->log_norm[static_cast<size_t>(m)];
    }
    int64_t offset = 0;
    for (const GaussianMixture* part : channel.parts) {
      for (int64_t k = 0; k < part->dims; ++k) {
        const double* mu = part->mean.data() + k * n;
        const double* h = part->half_inv_var.data() + k * n;
        for (int64_t b = 0; b < count; ++b) {
          const double uk = u[b * d + offset + k];
          double* lp = log_p + b * n;
          for (int64_t m = tile; m < end; ++m) {
            const double diff = uk - mu[m];
            lp[m] -= diff * diff * h[m];
          }
        }
      }
      offset += part->dims;
    }
  }
  const double log_n = std::log(static_cast<double>(n));
  for (int64_t b = 0; b < count; ++b) {
    const double* lp = log_p + b * n;
    const double log_marginal = log_sum_exp(lp, n) - log_n;  // ln (1/N) Σ_m p(u|x_m)
    values[b] = (lp[index[b]] - log_marginal) / kLn2;
  }
}

}  // namespace elbo::info::detail
