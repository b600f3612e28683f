// Distances between diagonal Gaussian posteriors: the Bhattacharyya distance and coefficient,
// and the Kullback–Leibler divergence.
//
// For p_i = N(μ_i, diag σ_i²) and p_j = N(μ_j, diag σ_j²) in d dimensions, with the mean variance
// σ̄_k² = (σ_ik² + σ_jk²)/2 of each dimension k (Bhattacharyya 1943; Kailath 1967, eq. 15 for
// Gaussians; Murphy, Dillavou & Bassett 2024, §1.2 of the reference notes):
//
//     D_B(i, j) = Σ_k [ (μ_ik − μ_jk)² / (8 σ̄_k²)  +  ½ ln σ̄_k²  −  ¼ (ln σ_ik² + ln σ_jk²) ]
//     BC(i, j)  = exp(−D_B(i, j)) = ∫ √(p_i(u) p_j(u)) du  ∈ (0, 1],    BC(i, i) = 1
//
// Because the covariances are diagonal, the distance of a subspace is the sum of the distances
// of its dimensions (and the coefficient the product of theirs): no d×d matrix is ever formed.
// In one dimension the coefficient is
//
//     BC(i, j) = √(2 σ_i σ_j / (σ_i² + σ_j²)) · exp(−(μ_i − μ_j)² / (4 (σ_i² + σ_j²)))
//
// The KL divergence (Kullback & Leibler 1951), summed over dimensions likewise:
//
//     D_KL(p_i ‖ p_j) = ½ Σ_k [ σ_ik²/σ_jk² + (μ_jk − μ_ik)²/σ_jk² + ln σ_jk² − ln σ_ik² − 1 ]
//
// Matrices are computed in f64 from inputs of either floating dtype. Posteriors are given as
// means [N, d] and log-variances [N, d] (ln σ², as VAE encoders output them).
#pragma once
#include <cstdint>

#include "elbo/tensor.hpp"

namespace elbo::info {

// One pair of d-dimensional diagonal Gaussians given by pointers to their d means and
// log-variances.
double bhattacharyya_distance(const double* mean_a, const double* logvar_a, const double* mean_b,
                              const double* logvar_b, int64_t d);
double bhattacharyya_coefficient(const double* mean_a, const double* logvar_a, const double* mean_b,
                                 const double* logvar_b, int64_t d);
double kl_divergence(const double* mean_a, const double* logvar_a, const double* mean_b, const double* logvar_b,
                     int64_t d);

// [N, N] f64 matrices between the N posteriors of one (sub)space: means and logvars are [N, d]
// (a 1-D tensor [N] is one channel).
Tensor bhattacharyya_distance_matrix(const Tensor& means, const Tensor& logvars);
Tensor bhattacharyya_coefficient_matrix(const Tensor& means, const Tensor& logvars);
// D[i, j] = D_KL(p_i ‖ p_j) (not symmetric).
Tensor kl_divergence_matrix(const Tensor& means, const Tensor& logvars);

// [Na, Nb] f64 distances between two sets of posteriors of the same dimension d.
Tensor bhattacharyya_distance_matrix(const Tensor& means_a, const Tensor& logvars_a, const Tensor& means_b,
                                     const Tensor& logvars_b);

// Means or log-variances as a contiguous f64 [N, d] tensor ([N] becomes [N, 1]), after checking
// that `means` and `logvars` have equal shapes and finite values. `what` names the caller in errors.
void check_posteriors(const char* what, const Tensor& means, const Tensor& logvars);
Tensor posterior_f64(const Tensor& x);

}  // namespace elbo::info
