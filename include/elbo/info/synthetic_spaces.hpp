// The nine synthetic representation spaces of Murphy, Dillavou & Bassett (2024), §4.1 (v3; the
// notebook Similarity_comparison_synthetic; reference notes §3.1), and the comparison of similarity
// measures on them.
//
// Each space embeds the same 64 points x = 0..63 as diagonal Gaussian posteriors (means, ln σ²):
//   i     spiral  μ = √x (cos 2π·0.2√x, sin 2π·0.2√x),  ln σ² = 0.1
//   ii    the same spiral,                               ln σ² = 2.1
//   iii   the same spiral,                               ln σ² = 0.1 + √x − 4.5
//   iv    square spiral from the origin, moving up, right, down, left; the step starts at 0.5 and
//         grows by 0.1 at every turn; the side length (in steps) starts at 1 and grows by 1 after
//         every second turn;                             ln σ² = 0
//   v     the same square spiral,                        ln σ² = 2.5
//   vi    a line, μ = linspace(−32, 32, 64) (1-D),       ln σ² = −1
//   vii   two clusters of 32: (−6.4, 0), (6.4, 0),       ln σ² = 1
//   viii  four clusters of 16: (−5.6, 5.6), (5.6, 5.6), (5.6, −5.6), (−5.6, −5.6),  ln σ² = 1
//   ix    four clusters of 16: (−5.6, 5.6), (−5.6, −5.6), (5.6, −5.6), (5.6, 5.6),  ln σ² = (1, 4):
//         vertically stretched, so the clusters above and below each other overlap
//
// Measures between every pair of spaces (cka.hpp, nmi_vi.hpp): linear CKA, CKA of the coefficient
// matrices, RBF CKA, fingerprint NMI and VI, and (optionally) Monte Carlo NMI and VI; then Spearman's
// rank correlation between every two measures over the 36 pairs of distinct spaces. (The paper also
// compares the stochastic shape metric of Duong et al. and a decoder-based Jensen–Shannon
// divergence; those need an optimiser and a trained classifier per space and are not computed here.)
#pragma once
#include <string>
#include <vector>

#include "elbo/info/mutual_information.hpp"
#include "elbo/tensor.hpp"

namespace elbo::info {

struct RepresentationSpace {
  std::string name;       // "i" .. "ix"
  Tensor means, logvars;  // [64, d] f64, d = 1 or 2
};

std::vector<RepresentationSpace> synthetic_spaces();

struct MeasureTable {
  std::vector<std::string> measures;  // e.g. "cka_linear", "nmi_fingerprint", "vi_monte_carlo"
  std::vector<Tensor> values;         // values[m]: [S, S] f64, measure m between every two spaces
  Tensor spearman;                    // [#measures, #measures]: ρ over the pairs u < v
};

struct SpaceComparisonOptions {
  bool monte_carlo = true;  // include the Monte Carlo NMI and VI
  MonteCarloOptions monte_carlo_options{.samples = 10000};  // as the notebook: 5 × 2000 samples
};

// Every measure between every pair of `spaces` (all with the same number of points).
MeasureTable compare_spaces(const std::vector<RepresentationSpace>& spaces, const SpaceComparisonOptions& options = {});

// Spearman's ρ: Pearson's correlation of the ranks, tied values sharing their mean rank.
double spearman_correlation(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace elbo::info
