// Ensemble fusion ("ensemble learning" in v1, "model fusion" in v3) of Murphy, Dillavou & Bassett
// (2024), §4.4 (reference notes §2.6).
//
// K weak learners (e.g. β-VAEs with a 1-D latent space trained on the circle, each unable to
// represent it continuously) are given by their posteriors at the N fingerprint points. Their
// fingerprints D_k (Bhattacharyya distance matrices, bhattacharyya.hpp) are fixed. A free posterior
// (μ_i, ln σ_i²) ∈ ℝ^d × ℝ^d for each fingerprint point is optimised so that its own fingerprint D
// resembles every member's:
//
//     maximise  S(μ, ln σ²) = (1/K) Σ_k sim(D, D_k)
//
// where, with Î(D) = −(1/N) Σ_i log2( (1/N) Σ_j exp(−D_ij) ) (the fingerprint estimator, computed
// as (ln N − mean_i logsumexp_j(−D_ij)) / ln 2 so that it is differentiable and never underflows),
//
//     mutual_information   I(U;V)  = Î(D) + Î(D_k) − Î(D + D_k)                         (bits)
//     exp_neg_vi           exp(−VI) = 2^(−VI_bits), VI = 2 Î(D + D_k) − Î(2D) − Î(2D_k)
//                          (the authors' exp(−VI) with VI in nats is the same number)
//     nmi                  I(U;V) / √((2Î(D) − Î(2D)) (2Î(D_k) − Î(2D_k)))
//
// The fused fingerprint D is built from elbo's differentiable ops (the formula of bhattacharyya.hpp
// on [N, N, d] broadcasts), so the gradient of S reaches μ and ln σ² through autodiff. The authors'
// fusion notebook used logsumexp without the 1/N (a constant offset that cancels in exp(−VI) but
// biases their NMI); the log-mean form here is the faithful one for all three.
//
// Optimiser: Adam by default, or SGD (the authors': lr 3 for 20 000 steps). Initialisation as
// theirs: μ ~ N(0, 0.05²) (Philox, options.seed), ln σ² = 0.
//
// The gradient, written out (fusion_objective_gradient; fuse() uses it, and the tests check it
// against autodiff of fusion_objective). In coefficients C = exp(−D), C_k = exp(−D_k), with the
// row sums
//
//     z_i = Σ_j C_ij,     y_i = Σ_j C_ij²,     z^k_i = Σ_j C_ij C^k_ij
//
// the three informations are a = Î(D) = log2 N − (1/N) Σ_i log2 z_i, b = Î(2D) (y_i for z_i) and
// c_k = Î(D + D_k) (z^k_i for z_i), and their derivatives with respect to each entry D_ij are
//
//     ∂a/∂D_ij = C_ij / (N ln2 z_i),   ∂b/∂D_ij = 2 C_ij² / (N ln2 y_i),   ∂c_k/∂D_ij = C_ij C^k_ij / (N ln2 z^k_i)
//
// The objective's derivative is ∂S = A ∂a + B ∂b + Σ_k Γ_k ∂c_k, with (a_k = Î(D_k), b_k = Î(2D_k)):
//
//     mutual_information  s_k = a + a_k − c_k:          A = 1,  B = 0,  Γ_k = −1/K
//     exp_neg_vi          s_k = 2^−(2c_k − b − b_k):    A = 0,  B = (ln2/K) Σ_k s_k,  Γ_k = −2 ln2 s_k / K
//     nmi                 s_k = m_k / √(p p_k), m_k = a + a_k − c_k, p = 2a − b, p_k = 2a_k − b_k:
//                         A = (1/K) Σ_k (1/√(p p_k) − s_k/p),  B = (1/K) Σ_k s_k/(2p),  Γ_k = −1/(K √(p p_k))
//
// so that G_ij = ∂S/∂D_ij = C_ij [A/z_i + 2B C_ij/y_i + Σ_k Γ_k C^k_ij/z^k_i] / (N ln2). Entry (i, j) and
// entry (j, i) both depend on points i and j; with H = G + Gᵀ, v̄ = (σ_id² + σ_jd²)/2 and Δ = μ_id − μ_jd,
// the derivatives of D_ij = Σ_d [Δ²/(8v̄) + ½ ln v̄ − ¼(ln σ_id² + ln σ_jd²)] give
//
//     ∂S/∂μ_id     = Σ_j H_ij Δ / (4v̄)
//     ∂S/∂ln σ_id² = Σ_j H_ij [ (σ_id²/2)(1/(2v̄) − Δ²/(8v̄²)) − ¼ ]
//
// One step costs 2·K·N² multiply-adds for the member sums, and N² exponentials for C (computed from
// bhattacharyya.hpp's coefficient form, √(2σ_iσ_j/(σ_i²+σ_j²))·exp(−Δ²/(4(σ_i²+σ_j²))) per dimension),
// instead of autodiff's K passes of exponentials over N² entries forward and backward. Coefficients
// below e^−300 (D_ij > 300) are taken as 0: they are 10^−130 of z_i ≥ 1 (the j = i term), and no
// product of two of them is then a denormal number. Rows i are shared among threads (from 2^15 pairs
// of points on; below, a parallel region costs more than the loop), each row's sums
// run in a fixed order and the sums over rows run on one thread: the bits do not depend on the
// thread count.
//
// Quality of the fused arrangement (§4.4, v3 "continuity"): the Bhattacharyya distances between
// posteriors of adjacent fingerprint points (in their given order, no wrap-around),
// d_k = D(k, k + 1), give continuity = max_k d_k / percentile_90(d) (numpy's linear interpolation):
// 1 for an even chain, large when the chain is cut somewhere.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/tensor.hpp"

namespace elbo::info {

enum class FusionSimilarity { mutual_information, exp_neg_vi, nmi };

// D for posteriors means, logvars [N, d] from differentiable ops (gradients flow to both): [N, N].
Tensor differentiable_bhattacharyya_distances(const Tensor& means, const Tensor& logvars);
// Î(D) in bits as a differentiable scalar.
Tensor fingerprint_information(const Tensor& distances);
// sim(D, D_k) as a differentiable scalar.
Tensor fusion_similarity(const Tensor& distances, const Tensor& member_distances, FusionSimilarity kind);

// A member's fixed fingerprint with its two constant terms, computed once.
struct FusionMember {
  Tensor distances;          // D_k [N, N] f64
  Tensor coefficients;       // C_k = exp(−D_k) [N, N] f64, 0 where D_k > 300
  double information;        // Î(D_k)
  double information_twice;  // Î(2 D_k) = Î(U_k, U_k′; X)
};
FusionMember fusion_member(const Tensor& means, const Tensor& logvars);
// S = mean over members of sim(D(means, logvars), D_k): the objective, differentiable in means and
// logvars. Î(D) and Î(2D) are computed once, Î(D + D_k) once per member.
Tensor fusion_objective(const Tensor& means, const Tensor& logvars, const std::vector<FusionMember>& members,
                        FusionSimilarity kind);

// S and its gradient with respect to means and logvars [N, d] f64 (the formulas above, no autodiff):
// returns S and writes grad_means, grad_logvars (allocated when undefined or of another shape).
double fusion_objective_gradient(const Tensor& means, const Tensor& logvars, const std::vector<FusionMember>& members,
                                 FusionSimilarity kind, Tensor& grad_means, Tensor& grad_logvars);

enum class FusionOptimizer { adam, sgd };

struct FusionOptions {
  int64_t dims = 2;  // dimension d of the fused space
  int64_t steps = 2000;
  double lr = 0.02;
  FusionOptimizer optimizer = FusionOptimizer::adam;  // nn::adam (PyTorch's defaults) or plain nn::sgd
  FusionSimilarity similarity = FusionSimilarity::exp_neg_vi;
  uint64_t seed = 0;
  double init_std = 0.05;
};

struct FusedPosterior {
  Tensor means, logvars;                 // [N, d] f64
  std::vector<double> objective;         // S before each step
};

// Fuses members given by their posteriors at the fingerprint points: member_means[k] and
// member_logvars[k] are [N, d_k] (any dimensions, f32 or f64).
FusedPosterior fuse(const std::vector<Tensor>& member_means, const std::vector<Tensor>& member_logvars,
                    const FusionOptions& options = {});

// max / 90th percentile of the Bhattacharyya distances between consecutive points' posteriors.
double continuity(const Tensor& means, const Tensor& logvars, double percentile = 90.0);

}  // namespace elbo::info
