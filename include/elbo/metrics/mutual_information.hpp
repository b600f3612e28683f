// Plug-in mutual information and entropy of discrete samples, in nats, as
// sklearn.metrics.mutual_info_score computes them (disentanglement_lib's discrete_mutual_info and
// discrete_entropy call it):
//
//   I(a; b) = Σ_{u,v} (n_uv / n) · log( n · n_uv / (n_u · n_v) )      n_uv the contingency counts
//   H(a)    = I(a; a) = −Σ_u (n_u / n) log(n_u / n)                  the empirical entropy
//
// Labels are arbitrary int64 values. The result is clipped at 0, as sklearn does.
#pragma once
#include <cstdint>
#include <vector>

namespace elbo::metrics {

double mutual_info_score(const int64_t* a, const int64_t* b, int64_t n);
double discrete_entropy(const int64_t* a, int64_t n);

// m[i, j] = I(codes_i; factors_j) for label columns codes[D, n] and factors[K, n] (column-major):
// the [D, K] matrix (row-major) of disentanglement_lib's discrete_mutual_info.
std::vector<double> discrete_mutual_info(const int64_t* codes, int64_t D, const int64_t* factors, int64_t K, int64_t n);

}  // namespace elbo::metrics
