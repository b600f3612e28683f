// Fingerprints of stochastic channels (Murphy, Dillavou & Bassett 2024, §1.3 of the reference notes).
//
// A channel U is a stochastic encoder p(u|x): one latent dimension of a VAE, a subspace of
// several dimensions, or a hard label (a deterministic channel). Its fingerprint is the N×N matrix
// of Bhattacharyya coefficients between its posteriors at N fixed data points x_1..x_N,
//
//     C^U_ij = BC(p(u|x_i), p(u|x_j)) ∈ [0, 1],   C^U_ii = 1       (bhattacharyya.hpp)
//
// the pairwise distinguishability of the data through the channel: 1 means indistinguishable, 0
// perfectly distinguishable. Every estimator in mutual_information.hpp and nmi_vi.hpp reads
// channels only through these matrices, so every model must be evaluated on the *same* points in
// the *same* order: the FingerprintSample below fixes them (drawn once from a seed and kept), and a
// ChannelSet remembers the sample its posteriors came from so that comparisons can check it.
//
// Coefficients of the three kinds of channel:
//   gaussian (one dimension d, or a subspace S of dimensions: the product over d ∈ S)
//       C_ij = Π_{d∈S} √(2 σ_id σ_jd / (σ_id² + σ_jd²)) · exp(−(μ_id − μ_jd)² / (4 (σ_id² + σ_jd²)))
//   labels (a hard channel, e.g. a ground-truth factor):   C_ij = [label_i = label_j]
//   coefficients: the matrices themselves, given as [M, N, N] (values in [0, 1], unit diagonal)
//
// N×N matrices of every channel are never stored together (500 channels at N = 1000 would take
// 2 GB): the estimators compute row i of every channel's matrix when they need it.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/tensor.hpp"

namespace elbo::info {

// N distinct indices into a dataset of `dataset_size` examples, in the order drawn.
struct FingerprintSample {
  uint64_t seed = 0;
  int64_t dataset_size = 0;
  std::vector<int64_t> indices;
};

// Draws n distinct indices by a partial Fisher–Yates shuffle of 0..dataset_size−1 whose k-th swap
// partner is uniform draw k of Philox stream (seed, 0): the same sample for the same seed on every
// machine and thread count.
FingerprintSample draw_fingerprint_sample(int64_t dataset_size, int64_t n, uint64_t seed);

// Rows sample.indices of x (x is [dataset_size, ...], any dtype): [N, ...] in sample order.
Tensor take_fingerprint_rows(const Tensor& x, const FingerprintSample& sample);

enum class ChannelKind { gaussian, labels, coefficients };

// M channels evaluated at the same N points. Build one with the functions below.
struct ChannelSet {
  ChannelKind kind = ChannelKind::gaussian;
  int64_t num_points = 0;    // N
  int64_t num_channels = 0;  // M
  // Precision of the estimators' arithmetic: f32 (fast; sums of products accumulate in f32 and
  // logarithms are summed exactly, see nmi_vi.hpp) or f64. Defaults to the inputs' dtype (f64 for labels).
  DType dtype = DType::f32;
  Tensor means, logvars;              // gaussian: [N, D] posteriors
  std::vector<int64_t> dim_start;     // gaussian: channel c is dimensions [dim_start[c], dim_start[c+1])
  Tensor labels;                      // labels: [N, M] integers; channel k is column k
  Tensor coefficients;                // coefficients: [M, N, N]
  std::vector<int64_t> sample_indices;  // the fingerprint sample the points are (empty: not recorded)
};

// One channel per latent dimension: means and logvars [N, D] (f32 or f64) give D channels.
ChannelSet gaussian_channels(const Tensor& means, const Tensor& logvars, const FingerprintSample* sample = nullptr);
// Consecutive groups of dimensions as channels (subspaces): the group sizes must sum to D.
// E.g. 50 models × 10 latent dimensions as 50 ten-dimensional channels: dims_per_channel = {10, 10, …}.
ChannelSet gaussian_subspaces(const Tensor& means, const Tensor& logvars, const std::vector<int64_t>& dims_per_channel,
                              const FingerprintSample* sample = nullptr);
// Hard channels from integer labels [N, K] (or [N] for one): coefficient 1 between equal labels.
ChannelSet label_channels(const Tensor& labels, const FingerprintSample* sample = nullptr);
// Channels given by their coefficient matrices [M, N, N] (or [N, N] for one).
ChannelSet coefficient_channels(const Tensor& coefficients, const FingerprintSample* sample = nullptr);

// Channel c's N×N coefficient matrix, f64 (for inspection and for the per-pair reference estimators).
Tensor coefficient_matrix(const ChannelSet& set, int64_t channel);
// The listed channels of `set`, in the order listed, as a new set (same points, same sample).
ChannelSet select_channels(const ChannelSet& set, const std::vector<int64_t>& channels);

// Checks that two sets describe the same points (same N, and the same sample when both recorded one).
void check_same_points(const char* what, const ChannelSet& a, const ChannelSet& b);

}  // namespace elbo::info
