// Rows of coefficient matrices, computed on demand: the inner kernel of every fingerprint
// estimator (formulas in include/elbo/info/fingerprint.hpp). Internal to src/info.
//
// A PreparedChannels<T> holds a ChannelSet's data transposed to one contiguous run of N values per
// latent dimension (or label column), in the arithmetic type T (float or double), so that row i of
// channel c, C^c_i· = (C^c_i1 .. C^c_iN), is one vectorised pass over j. For a Gaussian dimension
//
//     s = σ_i² + σ_j²,   q = 1/√s,   C_ij = (c_i · c_j) · q · exp(−((μ_i − μ_j) · q)² / 4),
//
// with c = 2^¼ · σ^½ precomputed per point, so that c_i c_j q = √(2 σ_i σ_j / s). Every operation is
// symmetric in i and j, so C_ij and C_ji have the same bits, and the diagonal is set to exactly 1.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/info/fingerprint.hpp"

namespace elbo::info::detail {

template <class T>
struct PreparedChannels {
  ChannelKind kind = ChannelKind::gaussian;
  int64_t channels = 0, points = 0;
  std::vector<T> mean, var, scale;  // gaussian: [dimension][point]
  std::vector<int64_t> dim_start;   // gaussian: channel c spans dimensions [dim_start[c], dim_start[c+1])
  std::vector<int64_t> label;       // labels: [channel][point]
  std::vector<T> coefficient;       // coefficients: [channel][i][j]
};

template <class T> PreparedChannels<T> prepare_channels(const ChannelSet& set);

// out[j] = C^c_ij for every point j: row i of channel c.
template <class T> void fill_coefficient_row(const PreparedChannels<T>& p, int64_t c, int64_t i, T* out);
// out[c·ld + j] = C^c_ij for every channel c and point j (ld ≥ points).
template <class T> void fill_coefficient_rows(const PreparedChannels<T>& p, int64_t i, T* out, int64_t ld);

extern template PreparedChannels<float> prepare_channels<float>(const ChannelSet&);
extern template PreparedChannels<double> prepare_channels<double>(const ChannelSet&);
extern template void fill_coefficient_row<float>(const PreparedChannels<float>&, int64_t, int64_t, float*);
extern template void fill_coefficient_row<double>(const PreparedChannels<double>&, int64_t, int64_t, double*);
extern template void fill_coefficient_rows<float>(const PreparedChannels<float>&, int64_t, float*, int64_t);
extern template void fill_coefficient_rows<double>(const PreparedChannels<double>&, int64_t, double*, int64_t);

}  // namespace elbo::info::detail
