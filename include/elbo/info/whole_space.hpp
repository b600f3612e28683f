// Whole latent spaces of an ensemble compared by Monte Carlo (Murphy, Dillavou & Bassett 2024, §4.3;
// reference notes §1.4c, §1.5, §2.7; the authors' notebook Comparing_full_latent_spaces_with_Monte_Carlo).
//
// Every model k of an ensemble embeds the same N data points: its whole latent space U_k is the
// diagonal Gaussian channel p(u|x_m) = N(μ_k(x_m), diag exp(lv_k(x_m))) of d_k dimensions, with p(x)
// uniform over the N points. Fingerprints (nmi_vi.hpp) saturate at log2 of their point count and
// the product of d Bhattacharyya coefficients vanishes quickly, so for a space of many dimensions
// the information is estimated instead by Monte Carlo over all N points (mutual_information.hpp,
// estimator 2; unbiased, with a standard error):
//
//     Î(U;X) = mean over samples of  log2 p(u|x_s) − log2((1/N) Σ_m p(u|x_m)),   s ~ U{1..N}, u ~ p(u|x_s)
//
// For the K models this estimates, each once:
//     I(U_k;X)            k = 0..K−1
//     I(U_k,U_k′;X)       U_k′ a second, independent draw from model k (the channel [μ_k, μ_k], [lv_k, lv_k])
//     I(U_a,U_b;X)        every pair a < b (the channel [μ_a, μ_b], [lv_a, lv_b])
// K + K + K(K−1)/2 estimates instead of the 5 per pair of monte_carlo_similarity, and from them, per
// pair, the generalised similarities of nmi_vi.hpp (similarity_from_estimates):
//
//     I(U_a;U_b) = I(U_a;X) + I(U_b;X) − I(U_a,U_b;X),     I(U;U′) = 2 I(U;X) − I(U,U′;X)
//     NMI = I(U_a;U_b) / √(I(U_a;U_a′) I(U_b;U_b′)),       VI = 2 I(U_a,U_b;X) − I(U_a,U_a′;X) − I(U_b,U_b′;X)
//
// with first-order propagated standard errors (the five estimates are independent: each has its own
// random streams). Pairs share their models' estimates, so the errors of two pairs with a model in
// common are correlated; each pair's error is still its own error.
//
// Random streams (Philox, rng.hpp), from options.stream = t: estimate e uses streams t + 2e (data
// points) and t + 2e + 1 (noise), with e numbered
//     I(U_k;X): e = k,   I(U_k,U_k′;X): e = K + k,   I(U_a,U_b;X): e = 2K + (index of (a, b) among the
//     pairs a < b in row-major order)
// and each is exactly the sample sequence monte_carlo_information draws on the same streams for the
// concatenated posterior (mutual_information.hpp). For K = 2 the layout is monte_carlo_similarity's
// (which is computed by this function). Every sample writes its own slot and each estimate sums its
// samples in order, so the results have the same bits at any thread count and in any work order.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "elbo/info/mutual_information.hpp"
#include "elbo/info/nmi_vi.hpp"
#include "elbo/tensor.hpp"

namespace elbo::info {

// One model's posteriors at the N data points: means and log-variances [N, d] (or [N]), f32 or f64.
struct LatentSpace {
  Tensor means, logvars;
};

struct WholeSpaceOptions {
  int64_t samples = 2000;  // Monte Carlo samples per estimate (the authors' notebook: 2000)
  uint64_t seed = 0;
  uint64_t stream = 0;     // the first Philox stream (layout above)
  // Called now and then from the calling thread with the samples done and the total over all
  // estimates (for a progress line); may be empty.
  std::function<void(int64_t done, int64_t total)> on_progress = nullptr;
};

struct WholeSpaceSimilarity {
  int64_t spaces = 0;  // K
  int64_t points = 0;  // N
  int64_t samples = 0;
  std::vector<Estimate> information;  // [K] Î(U_k;X), bits
  std::vector<Estimate> self_joint;   // [K] Î(U_k,U_k′;X)
  // [K·K] row-major, symmetric, bits. Off the diagonal, for the pair (a, b): the joint information
  // Î(U_a,U_b;X), Î(U_a;U_b), NMI and VI. On the diagonal: joint = self_joint, mutual_information =
  // Î(U;U′) (the generalised entropy, σ² = 4σ²(I) + σ²(I_UU′)), nmi = 1 and vi = 0 exactly (error 0).
  std::vector<Estimate> joint, mutual_information, nmi, vi;
  const Estimate& nmi_at(int64_t a, int64_t b) const { return nmi[static_cast<size_t>(a * spaces + b)]; }
  const Estimate& vi_at(int64_t a, int64_t b) const { return vi[static_cast<size_t>(a * spaces + b)]; }
};

// All the estimates above for K ≥ 1 spaces holding the same N ≥ 2 points.
WholeSpaceSimilarity whole_space_similarity(const std::vector<LatentSpace>& spaces, const WholeSpaceOptions& options = {});

// The ensemble's figures as the authors report them: inverse-variance weighted means
// (inverse_variance_mean) of I(U_k;X)/log2 N over the models and of NMI and VI over the pairs a < b.
// An estimate that is not finite (NMI of a space that carries no information) or has no error (a
// degenerate space whose every sample has the same value) cannot be weighted and is left out;
// `used` counts the ones in. `spread` is the sample standard deviation of the values that are in
// (0 for fewer than two): how much models or pairs differ, beside the error of the weighted mean.
struct CombinedEstimate {
  Estimate mean;
  double spread = 0;
  int64_t used = 0;
};
struct WholeSpaceSummary {
  CombinedEstimate information_fraction;  // Î(U;X) / log2 N over the K models
  CombinedEstimate nmi, vi;               // over the K(K−1)/2 pairs (used = 0 for K = 1)
};
WholeSpaceSummary summarise_whole_spaces(const WholeSpaceSimilarity& result);

}  // namespace elbo::info
