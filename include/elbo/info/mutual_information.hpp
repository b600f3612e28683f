// The information a stochastic channel U carries about the data, I(U;X), for channels given by
// diagonal Gaussian posteriors p(u|x) at data points x_1..x_N with p(x) uniform over them.
// Every result is in bits (units.hpp converts to nats).
//
// With p(u) = (1/N) Σ_j p(u|x_j) a mixture, I(U;X) = H(U) − H(U|X) has no closed form. Estimators:
//
// 1. Pairwise-distance estimators (Kolchinsky & Tracey 2017, "Estimating mixture entropy with
//    pairwise distances", Entropy 19:361, §3–4 for the entropy, §6 for mutual information): for a
//    distance D between components,
//
//        Î_D(U;X) = −(1/N) Σ_i log2( (1/N) Σ_j exp(−D_ij) )          (0 ≤ Î_D ≤ log2 N)
//
//    With D = the Bhattacharyya distance (a Chernoff α-divergence, α = ½) it is a lower bound on
//    I(U;X); with D = the KL divergence D_KL(p_i ‖ p_j) an upper bound. The lower bound from a
//    channel's fingerprint C = exp(−D_B) is the estimator of Murphy, Dillavou & Bassett (2024)
//    (reference notes §1.4a; their utils.compute_pairwise_similarities), Î = −(1/N) Σ_i log2 mean_j C_ij.
//    The j = i term is included, so Î saturates at log2 N: fingerprints suit channels carrying a
//    handful of bits.
//
// 2. Monte Carlo over a whole dataset (reference notes §1.4c; the authors' utils.monte_carlo_info):
//
//        s ~ Uniform{1..N},  u ~ p(u|x_s):   Î = mean[ log2 p(u|x_s) − log2( (1/N) Σ_m p(u|x_m) ) ]
//
//    reported with its standard error (sample standard deviation / √samples). It is unbiased for
//    I(U;X) (the mixture is evaluated exactly; only the expectation is sampled). Like every quantity
//    with p(x) uniform over N points, I(U;X) ≤ log2 N.
//
// 3. Batch bounds (Poole, Ozair, van den Oord, Alemi & Tucker 2019, "On variational bounds of
//    mutual information", §2: InfoNCE and the leave-one-out upper bound; reference notes §1.4d):
//    for a batch of B points drawn i.i.d. from the data, u_k ~ p(u|x_k), P_kl = p(u_k|x_l),
//
//        InfoNCE lower = mean_k ln[ P_kk / ((1/B) Σ_l P_kl) ]                (≤ ln B)
//        LOO upper     = mean_k ln[ P_kk / ((1/(B−1)) Σ_{l≠k} P_kl) ]
//
//    averaged over batches, converted to bits. The authors' code divides the leave-one-out sum by B
//    instead of B − 1, which shifts the bound up by ln(B/(B−1)); this uses B − 1.
//
// Random draws come from Philox (rng.hpp): Monte Carlo and batch results are a pure function of
// (seed, stream) and do not depend on the thread count.
#pragma once
#include <cstdint>

#include "elbo/info/fingerprint.hpp"
#include "elbo/tensor.hpp"

namespace elbo::info {

// A Monte Carlo estimate and its standard error (same units).
struct Estimate {
  double value = 0.0;
  double error = 0.0;
};

// Î_D from a matrix of distances D [N, N] (any floating dtype); bits. Computed in f64 with a
// log-sum-exp per row.
double pairwise_distance_information(const Tensor& distances);

// The Kolchinsky–Tracey lower (Bhattacharyya) and upper (KL) bounds for the (sub)space whose
// posteriors are means and logvars [N, d]; bits.
double information_lower_bound(const Tensor& means, const Tensor& logvars);
double information_upper_bound(const Tensor& means, const Tensor& logvars);

// Î(U;X) from the fingerprint of every channel of a set: [M] f64, bits.
Tensor channel_information(const ChannelSet& set);

// Monte Carlo estimate of I(U;X) for posteriors means, logvars [N, d] (the whole dataset, or any
// set of points with p(x) uniform over them). Sample s uses uniform draw s of Philox stream
// (seed, stream) for its data point and normal draws s·d .. s·d + d − 1 of (seed, stream + 1) for u.
struct MonteCarloOptions {
  int64_t samples = 20000;
  uint64_t seed = 0;
  uint64_t stream = 0;
};
Estimate monte_carlo_information(const Tensor& means, const Tensor& logvars, const MonteCarloOptions& options = {});

// InfoNCE lower and leave-one-out upper bounds, bits, each with the standard error over batches.
// Batch b's point k is uniform draw b·B + k of (seed, stream); its u uses normal draws of
// (seed, stream + 1) from (b·B + k)·d.
struct BatchBoundOptions {
  int64_t batch_size = 1024;
  int64_t batches = 8;
  uint64_t seed = 0;
  uint64_t stream = 0;
};
struct BatchBounds {
  Estimate lower;  // InfoNCE
  Estimate upper;  // leave-one-out
};
BatchBounds batch_information_bounds(const Tensor& means, const Tensor& logvars, const BatchBoundOptions& options = {});

}  // namespace elbo::info
