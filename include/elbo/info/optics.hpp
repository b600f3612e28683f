// OPTICS clustering on a precomputed distance matrix, with scikit-learn's semantics, and the
// "hotspot" pipeline of Murphy, Dillavou & Bassett (2024) (reference notes §2.4).
//
// OPTICS (Ankerst, Breunig, Kriegel & Sander 1999) orders the points so that nearby points are
// neighbours in the ordering, and gives each its reachability distance. With min_samples = k:
//
//     core(p)        = distance from p to its k-th nearest point, p itself included (∞ above max_eps)
//     reach(o ← p)   = max(core(p), d(p, o))
//
// Processing: repeatedly take the unprocessed point of smallest reachability (the smallest index on
// ties, ∞ included: the first point is point 0), append it to the ordering, and, if its core
// distance is finite, lower every unprocessed neighbour o's reachability to reach(o ← p) when that is
// strictly smaller, recording p as o's predecessor. As scikit-learn does, core and reach distances
// are rounded to 15 decimals (numpy.around) before they are compared, so ties break the same way.
//
// Clusters: the ξ-steep method (Ankerst et al. 1999, §4.3, Figure 19), as scikit-learn implements it
// (with its corrections of Definitions 9 and 11 of the paper, a sentinel ∞ appended to the
// reachability plot r, steep areas extended over at most min_samples non-steep points, and the
// predecessor correction of Schubert & Gertz 2018, "Improving the cluster structure extracted from
// OPTICS plots", Algorithm 2). With ξ' = 1 − ξ and the ratio q[k] = r[k] / r[k+1] on the plot
// (IEEE division: ∞/∞ and 0/0 are NaN, which is neither):
//     steep upward at k:  q[k] ≤ ξ'     steep downward: q[k] ≥ 1/ξ'     upward: q[k] < 1     downward: q[k] > 1
// Each steep upward area closes candidate clusters with the steep downward areas before it;
// clusters are listed smaller (nested) first, and labels go to the first listed cluster that covers
// a point and overlaps no labelled point. Unclustered points have label −1.
//
// Predecessor correction: scikit-learn up to 1.2 compared ordering[predecessor[e]] (an index into
// the ordering, with −1 wrapping to the last point) where the algorithm needs predecessor[e];
// scikit-learn 1.3 fixed it (pull request 26459). `paper` (the default) is the fixed form;
// `sklearn_1_2` reproduces the old results exactly.
//
// Hotspots: channels carrying less than 0.01 bits are dropped first; the distance between channels
// is clip(VI, 0) or −ln clip(NMI, 10⁻⁴, 1); then OPTICS with min_samples = 20 and ξ = 0.05 (the
// authors' structure_from_trained_models.py). Clusters are the hotspots: groups of nearly
// identical channels found across an ensemble. The clip of NMI at 1 is added here: estimates a hair
// above 1 would give negative distances, which scikit-learn rejects.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "elbo/info/nmi_vi.hpp"
#include "elbo/tensor.hpp"

namespace elbo::info {

enum class PredecessorCorrection { paper, sklearn_1_2, none };

struct OpticsOptions {
  int64_t min_samples = 5;         // k, including the point itself (scikit-learn's default 5)
  double max_eps = INFINITY;       // neighbourhood radius
  double xi = 0.05;                // steepness, in (0, 1)
  int64_t min_cluster_size = 0;    // 0: min_samples
  PredecessorCorrection correction = PredecessorCorrection::paper;
};

struct OpticsResult {
  std::vector<int64_t> ordering;          // points in processing order
  std::vector<double> reachability;       // by point; ∞ for the first point of each connected part
  std::vector<double> core_distances;     // by point
  std::vector<int64_t> predecessor;       // by point; −1 for none
  std::vector<int64_t> labels;            // by point; −1 for noise
  std::vector<std::array<int64_t, 2>> clusters;  // [start, end] positions in the ordering, inclusive
};

// OPTICS on a square matrix of finite, non-negative distances (any floating dtype).
OpticsResult optics(const Tensor& distances, const OpticsOptions& options = {});

enum class HotspotDistance { vi, nmi };

struct HotspotOptions {
  HotspotDistance distance = HotspotDistance::vi;
  double min_information = 0.01;  // bits: channels with Î(U;X) below are dropped before clustering
  OpticsOptions optics{.min_samples = 20};
};

struct Hotspots {
  std::vector<int64_t> channels;  // the kept channels (indices into the similarity matrices)
  Tensor distances;               // [K, K] f64 distances between the kept channels
  OpticsResult clustering;        // on the kept channels: labels[k] belongs to channels[k]
};

// Hotspots from the all-pairs results of channel_similarity (square matrices).
Hotspots find_hotspots(const SimilarityMatrices& similarity, const HotspotOptions& options = {});

}  // namespace elbo::info
