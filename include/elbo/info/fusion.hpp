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
// Optimiser: Adam (the authors used SGD with lr 3 for 20 000 steps). Initialisation as theirs:
// μ ~ N(0, 0.05²) (Philox, options.seed), ln σ² = 0.
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
  double information;        // Î(D_k)
  double information_twice;  // Î(2 D_k) = Î(U_k, U_k′; X)
};
FusionMember fusion_member(const Tensor& means, const Tensor& logvars);
// S = mean over members of sim(D(means, logvars), D_k): the objective, differentiable in means and
// logvars. Î(D) and Î(2D) are computed once, Î(D + D_k) once per member.
Tensor fusion_objective(const Tensor& means, const Tensor& logvars, const std::vector<FusionMember>& members,
                        FusionSimilarity kind);

struct FusionOptions {
  int64_t dims = 2;  // dimension d of the fused space
  int64_t steps = 2000;
  double lr = 0.02;  // Adam
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
