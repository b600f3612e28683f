// The information analysis of an ensemble of VAEs (Murphy, Dillavou & Bassett 2024, §2 of the
// reference notes): from every model's posteriors on the same data points, find the information
// fragments that recur across the ensemble ("hotspots").
//
// Pipeline (analyse_ensemble):
//   1. Fingerprint sample: P of the N data points the members were encoded on, drawn once from the
//      seed (fingerprint.hpp, draw_fingerprint_sample over the N rows; the paper used P = 1000).
//   2. Channels: every latent dimension of every model, model-major: channel c is latent
//      channel_latent[c] of model channel_model[c]. A channel is the Gaussian p(u|x) = N(μ, exp(logvar)).
//   3. Î(U;X) per channel, in bits, and the generalised NMI and VI of every pair of channels, from the
//      fingerprints (nmi_vi.hpp: channel_similarity).
//   4. Channels carrying less than min_information (0.01 bits) are dropped; OPTICS runs on the rest with
//      the distance clip(VI, 0) or −ln clip(NMI, 10⁻⁴, 1) (optics.hpp: find_hotspots; min_samples = 20,
//      ξ = 0.05 as the authors' structure_from_trained_models.py, other parameters scikit-learn's defaults).
//   5. Hotspots: the OPTICS ξ-clusters (points with label ≥ 0). Each label is one run of consecutive
//      positions of the OPTICS ordering; hotspots are numbered by position (hotspot 0 is the leftmost
//      in the reordered matrix), not by scikit-learn's label number.
//      Representative of a hotspot: its medoid, the member whose summed OPTICS distance to the other
//      members is smallest (ties: the smaller channel index), i.e. the member closest to the others.
//   6. Ground truth (when given): every factor (and the class label) is a hard channel,
//      C_ij = [factor_i = factor_j]; the NMI of every channel with every factor is the same estimator
//      (channel_similarity(channels, factors)).
//
// Input files (read_member_posteriors), one directory per model, the format `elbo encode` writes and
// any other framework can write with numpy.save:
//   means.npy    [N, L] f32 or f64   posterior means μ(x) of the N data points
//   logvars.npy  [N, L] f32 or f64   posterior log-variances ln σ²(x)
//   indices.npy  [N] integer         the dataset index of each row (distinct)
//   factors.npy  [N, K] integer      optional: ground-truth factor values of each row
//   labels.npy   [N] integer         optional: class labels
//   factor_names.txt                 optional: K names, one per line (else "factor 0", …)
// Members may differ in L; they must hold the same set of indices (rows of a member in another order
// are matched by index).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "elbo/info/fingerprint.hpp"
#include "elbo/info/nmi_vi.hpp"
#include "elbo/info/optics.hpp"
#include "elbo/tensor.hpp"

namespace elbo::info {

// One model's posteriors, as read from its directory.
struct MemberPosteriors {
  std::string dir;
  Tensor means, logvars;         // [N, L] f32 or f64, finite
  std::vector<int64_t> indices;  // [N] distinct dataset indices
  Tensor factors;                // [N, K] i64, or undefined
  Tensor labels;                 // [N] i64, or undefined
  std::vector<std::string> factor_names;  // K names (from factor_names.txt), or empty
};

// Reads and checks one directory (format above). Errors name the file and what is wrong: a missing
// file, a shape that disagrees with means.npy, a non-finite mean or log-variance (with its row and
// column), a non-integer factor, a repeated index.
MemberPosteriors read_member_posteriors(const std::string& dir);

// For each member, the row holding each of the first member's dataset indices: rows[m][r] is the
// row of member m whose index is members[0].indices[r]. Errors name the member whose rows differ
// in number or hold an index the first member lacks.
std::vector<std::vector<int64_t>> match_member_rows(const std::vector<MemberPosteriors>& members);

struct EnsembleOptions {
  int64_t points = 1000;  // fingerprint points P (≤ N); 0: all N rows, in file order
  uint64_t seed = 0;      // of the fingerprint sample
  HotspotOptions hotspots;  // distance (vi), min_information (0.01 bits), OPTICS (min_samples 20, ξ 0.05)
  // Called with a short description at the start of each stage (for progress lines); may be empty.
  std::function<void(const std::string&)> on_stage;
  // Where the all-pairs NMI/VI run (channel_similarity(set, device)); the rest runs on the CPU.
  Device device = Device::cpu;
};

struct Hotspot {
  std::vector<int64_t> channels;  // members (channel indices), in OPTICS order
  int64_t first = 0, last = 0;    // their positions in the OPTICS ordering, inclusive
  int64_t representative = -1;    // the medoid (channel index)
  int64_t models = 0;             // distinct models with a member
  double mean_information = 0;    // mean Î(U;X) of the members, bits
  double mean_nmi = 1;            // mean NMI over pairs of distinct members (1 for a single member)
  std::vector<double> nmi_factors;  // mean NMI of the members with each factor (empty without factors)
};

struct EnsembleAnalysis {
  std::vector<std::string> member_dirs;
  int64_t rows = 0;                     // N, rows per member
  std::vector<int64_t> point_rows;      // the P fingerprint points, as rows of the first member
  std::vector<int64_t> point_indices;   // their dataset indices
  std::vector<int64_t> channel_model, channel_latent;  // [M] for channel c
  SimilarityMatrices similarity;        // all pairs of the M channels: information_a [M] = Î(U;X), nmi, vi [M, M]
  Hotspots clustering;                  // kept channels, their distances and OPTICS on them
  std::vector<int64_t> ordering;        // kept channels (channel indices) in OPTICS order
  std::vector<double> reachability;     // the reachability plot: reachability of ordering[k] (∞ starts a part)
  std::vector<Hotspot> hotspots;        // by position in the ordering
  std::vector<int64_t> channel_hotspot; // [M]: the hotspot of channel c, −1 for none (or dropped)
  std::vector<std::string> factor_names;  // K: the factors, then "label" when labels were given
  Tensor nmi_factors;                   // [M, K] f64 NMI of each channel with each factor, or undefined
  std::vector<std::pair<std::string, double>> stage_seconds;  // wall time of each stage
};

// The whole pipeline on the members (at least one; every member with the same indices).
EnsembleAnalysis analyse_ensemble(const std::vector<MemberPosteriors>& members, const EnsembleOptions& options = {});

}  // namespace elbo::info
