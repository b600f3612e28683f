// Generalised NMI and VI between stochastic channels (Murphy, Dillavou & Bassett 2024; reference
// notes §1.5), all pairs of channels at once.
//
// For hard clusterings U and V of the data, the classic similarity measures are the normalised
// mutual information with geometric-mean normalisation (Strehl & Ghosh 2002) and the variation of
// information (Meilă 2007):
//
//     NMI(U,V) = I(U;V) / √(H(U) H(V)),        VI(U,V) = H(U) + H(V) − 2 I(U;V)
//
// A soft channel (a VAE latent dimension) has H(U) ≠ I(U;X). The paper replaces H(U) by I(U;U′),
// where U′ is a second, independent draw from the same channel for the same x; for a hard channel
// I(U;U′) = H(U), so the classic measures are recovered. With U – X – U′ and U – X – V Markov chains
// (the encoders' noise is independent):
//
//     I(U;U′) = 2 I(U;X) − I(U,U′;X),            I(U;V) = I(U;X) + I(V;X) − I(U,V;X)
//     NMI(U,V) = I(U;V) / √(I(U;U′) I(V;V′))
//     VI(U,V)  = I(U;U′) + I(V;V′) − 2 I(U;V) = 2 I(U,V;X) − I(U,U′;X) − I(V,V′;X)        (bits)
//
// Fingerprint estimates. Each I(·;X) is the pairwise estimator of mutual_information.hpp applied to
// the fingerprint of the joint channel. Given x the posteriors are independent, so the joint channel
// (U,V) has coefficient C^U ⊙ C^V and (U,U′) has (C^U)² (the authors' compute_pairwise_similarities):
//
//     Î(U,V;X) = −(1/N) Σ_i log2( (1/N) Σ_j C^U_ij C^V_ij )
//
// All pairs at once. For fixed i, the sums Σ_j C^U_ij C^V_ij over all pairs (U, V) form the Gram
// matrix G_i = R_i R_iᵀ of the M×N matrix R_i whose row U is channel U's row i of coefficients:
//
//     Î(U,V;X) = log2 N − (1/(N ln 2)) Σ_i ln G_i[U, V]
//
// That is N symmetric rank-N products (BLAS syrk, M²N/2 multiply-adds each) and one logarithm per
// entry, with one R_i per thread in memory; G_i[U,U] gives I(U,U′;X) and the row sums of R_i give
// I(U;X). Against labels (a rectangular set of channels) G_i = R_i S_iᵀ (BLAS gemm).
//
// Precision and determinism. With a set's dtype f32, R_i and G_i are f32 (G_i sums N products of
// numbers in [0, 1] with f32 fused multiply-adds: relative error ≲ √N·2⁻²⁴) and ln G_i is taken in
// f32; the N logarithms of each entry are summed exactly, in 64-bit fixed point with 2³² units per
// nat, so points may be handled by any thread in any order and the result has the same bits at every
// thread count. The f32 path agrees with f64 to about 1e-6 bits. With dtype f64 everything is double
// (the fixed-point rounding, at most 2⁻³³ nats per term, bounds the error at about 2e-10 bits).
//
// NMI is NaN for a channel that carries no information (I(U;U′) = 0). Small negative VI and NMI
// slightly above 1 are estimation noise; optics.hpp clips them before clustering.
#pragma once
#include <vector>

#include "elbo/info/fingerprint.hpp"
#include "elbo/info/mutual_information.hpp"
#include "elbo/tensor.hpp"

namespace elbo::info {

// Results for row channels a (M_a of them) against column channels b (M_b); f64 tensors, bits.
// For all pairs within one set, the a and b fields are equal and the matrices symmetric.
struct SimilarityMatrices {
  Tensor information_a, information_b;            // Î(U;X)            [M_a], [M_b]
  Tensor self_information_a, self_information_b;  // Î(U;U′), the generalised entropy
  Tensor joint_information;                       // Î(U,V;X)          [M_a, M_b] (diagonal of all pairs: Î(U,U′;X))
  Tensor mutual_information;                      // Î(U;V)
  Tensor nmi;
  Tensor vi;
};

// Every pair of channels of one set: [M, M].
SimilarityMatrices channel_similarity(const ChannelSet& set);
// The same on `device`: the CPU path above for Device::cpu, channel_similarity_by_tensor_ops for a GPU.
SimilarityMatrices channel_similarity(const ChannelSet& set, Device device);
// Every pair of one set of Gaussian channels (one dimension or several per channel), computed as a
// program of elbo's tensor operations on `device`, `chunk_points` fingerprint points at a time (0:
// about 64 MB per intermediate): the coefficient rows of a chunk from Bhattacharyya distances, their
// Gram matrices by one batched GEMM, the logarithms summed in f64. The path a GPU runs (a CUDA
// build); on the CPU it agrees with channel_similarity(set) to rounding (about 1e-6 bits in f32) but
// is slower than the fused path, and serves to test the program. Labels and coefficient channels:
// CPU only.
SimilarityMatrices channel_similarity_by_tensor_ops(const ChannelSet& set, Device device, int64_t chunk_points = 0);
// Every channel of `rows` against every channel of `columns` (e.g. latent channels against
// ground-truth factors given as label_channels): [M_a, M_b]. Both sets must hold the same points.
SimilarityMatrices channel_similarity(const ChannelSet& rows, const ChannelSet& columns);

// The definition for one pair, from the two N×N coefficient matrices, by direct double loops in f64
// (a reference for the batched path, and a convenience for two matrices at hand).
struct PairSimilarity {
  double information_u = 0, information_v = 0;            // Î(U;X), Î(V;X)
  double self_information_u = 0, self_information_v = 0;  // Î(U;U′), Î(V;V′)
  double joint_information = 0;                           // Î(U,V;X)
  double mutual_information = 0, nmi = 0, vi = 0;
};
PairSimilarity pair_similarity(const Tensor& coefficients_u, const Tensor& coefficients_v);

// Monte Carlo versions for whole latent spaces (reference notes §1.5, the authors' notebook
// Comparing_full_latent_spaces_with_Monte_Carlo): posteriors of the same N data points under
// two models, means_u/logvars_u [N, d_u] and means_v/logvars_v [N, d_v]. Five independent Monte Carlo
// estimates (mutual_information.hpp), the k-th (k = 0..4) on Philox streams options.stream + 2k and + 2k + 1:
//     I(U;X), I(V;X), I(U,U′;X) (U tiled with itself: [μ_u, μ_u], [lv_u, lv_u]), I(V,V′;X),
//     I(U,V;X) (the concatenation [μ_u, μ_v], [lv_u, lv_v])
// (whole_space_similarity of whole_space.hpp for K = 2 computes them, for any number of models)
// and NMI and VI from them, with first-order propagated standard errors: for VI,
// σ² = 4σ²(I_UV) + σ²(I_UU′) + σ²(I_VV′); for NMI = n/√(pq) with n = I_U + I_V − I_UV,
// p = 2I_U − I_UU′, q = 2I_V − I_VV′, the partial derivatives (1 − n/p)/√(pq) (for I_U),
// (1 − n/q)/√(pq) (I_V), −1/√(pq) (I_UV), n/(2p√(pq)) (I_UU′) and n/(2q√(pq)) (I_VV′).
struct MonteCarloSimilarity {
  Estimate information_u, information_v;  // I(U;X), I(V;X)
  Estimate joint_uu, joint_vv, joint_uv;  // I(U,U′;X), I(V,V′;X), I(U,V;X)
  Estimate nmi, vi;
};
// The algebra above on five independent estimates: I(U;V) = I_U + I_V − I_UV (σ² the sum of the
// three σ²), NMI and VI with the propagated errors. monte_carlo_similarity and
// whole_space_similarity (whole_space.hpp) both use it.
struct EstimatedSimilarity {
  Estimate mutual_information, nmi, vi;
};
EstimatedSimilarity similarity_from_estimates(const Estimate& information_u, const Estimate& information_v,
                                              const Estimate& joint_uu, const Estimate& joint_vv,
                                              const Estimate& joint_uv);
MonteCarloSimilarity monte_carlo_similarity(const Tensor& means_u, const Tensor& logvars_u, const Tensor& means_v,
                                            const Tensor& logvars_v, const MonteCarloOptions& options = {});

// The inverse-variance weighted mean of estimates, Σ w_k x_k / Σ w_k with w_k = 1/σ_k², and its
// standard error 1/√(Σ w_k) (how the authors combine pairs of models).
Estimate inverse_variance_mean(const std::vector<Estimate>& estimates);

}  // namespace elbo::info
