// The histogram discretizer of disentanglement_lib (evaluation/metrics/utils.py,
// _histogram_discretize): each column of a sample is cut into num_bins equal-width bins spanning
// its own range, and each value replaced by its bin number 1 … num_bins, as
//
//   edges = np.histogram(column, num_bins)[1]          lo = min, hi = max (lo − ½, hi + ½ if equal)
//                                                      edges_i = lo + i·(hi − lo)/num_bins, edges_B = hi
//   label = np.digitize(column, edges[:-1])            = #{ i < num_bins : edges_i ≤ value }
//
// so the minimum gets 1 and the maximum num_bins. The edges are computed exactly as numpy's
// linspace computes them (product, then sum, each rounded), so the labels match numpy's bit for bit.
// Used by MIG, modularity, IRS and the unsupervised mutual-information score.
#pragma once
#include <cstdint>
#include <vector>

namespace elbo::metrics {

// values[n, columns] (row-major) → labels[columns, n] (column-major: one column after another).
std::vector<int64_t> histogram_discretize(const double* values, int64_t n, int64_t columns, int64_t num_bins);

}  // namespace elbo::metrics
