// Centered kernel alignment (CKA), the comparison measures of §4.1 of Murphy, Dillavou & Bassett
// (2024) besides NMI and VI (reference notes §6).
//
// For two N×N kernel (Gram) matrices K and L of the same N points, with the centering matrix
// H = I − 11ᵀ/N (Kornblith, Norouzi, Lee & Hinton 2019, "Similarity of neural network
// representations revisited", ICML, §3; Gretton et al. 2005 for HSIC):
//
//     HSIC(K, L) = tr(K H L H) / (N − 1)²,      CKA(K, L) = HSIC(K, L) / √(HSIC(K, K) HSIC(L, L))
//
// (the (N − 1)² cancels). Kernels used by the paper's notebook (Similarity_comparison_synthetic):
//   linear CKA        K = μ μᵀ, the Gram matrix of the posterior means [N, d]
//   RBF CKA           K_ij = exp(−‖μ_i − μ_j‖² / (2ℓ²)), ℓ = the mean posterior standard deviation
//                     of the space, mean over points and dimensions of exp(½ ln σ²)
//   coefficient CKA   K = C^U, the Bhattacharyya coefficient matrix (the fingerprint) of the space
// Spaces may have different dimensions; only the N points must be the same. Computed in f64.
#pragma once
#include "elbo/tensor.hpp"

namespace elbo::info {

// CKA of two N×N kernel matrices (any floating dtype).
double cka(const Tensor& k, const Tensor& l);

// Linear CKA of two representations x [N, d_x] and y [N, d_y].
double linear_cka(const Tensor& x, const Tensor& y);
// RBF CKA with the given length scales.
double rbf_cka(const Tensor& x, const Tensor& y, double length_x, double length_y);
// RBF CKA of two posterior spaces, ℓ = each space's mean posterior standard deviation.
double rbf_cka(const Tensor& means_x, const Tensor& logvars_x, const Tensor& means_y, const Tensor& logvars_y);
// CKA of the two spaces' Bhattacharyya coefficient matrices.
double coefficient_cka(const Tensor& means_x, const Tensor& logvars_x, const Tensor& means_y, const Tensor& logvars_y);

}  // namespace elbo::info
