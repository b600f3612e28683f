// Ensemble fusion through autodiff; formulas in elbo/info/fusion.hpp.
#include "elbo/info/fusion.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/info/bhattacharyya.hpp"
#include "elbo/info/units.hpp"
#include "elbo/nn/optim.hpp"
#include "elbo/ops.hpp"

namespace elbo::info {

Tensor differentiable_bhattacharyya_distances(const Tensor& means, const Tensor& logvars) {
  ELBO_CHECK(means.defined() && means.ndim() == 2 && means.shape() == logvars.shape(),
             "differentiable_bhattacharyya_distances: need means and logvars [N, d], got ",
             means.defined() ? means.str() : "undefined", " and ", logvars.defined() ? logvars.str() : "undefined");
  const int64_t n = means.size(0), d = means.size(1);
  Tensor mean_i = reshape(means, Shape{n, 1, d}), mean_j = reshape(means, Shape{1, n, d});
  Tensor lv_i = reshape(logvars, Shape{n, 1, d}), lv_j = reshape(logvars, Shape{1, n, d});
  Tensor mean_var = (exp(lv_i) + exp(lv_j)) * 0.5;  // σ̄²   [N, N, d]
  Tensor diff = mean_i - mean_j;
  // (μ_i − μ_j)²/(8σ̄²) + ½ ln σ̄² − ¼ (ln σ_i² + ln σ_j²), summed over dimensions
  Tensor per_dim = square(diff) / (mean_var * 8.0) + log(mean_var) * 0.5 - (lv_i + lv_j) * 0.25;
  return sum(per_dim, {2});
}

Tensor fingerprint_information(const Tensor& distances) {
  ELBO_CHECK(distances.defined() && distances.ndim() == 2 && distances.size(0) == distances.size(1),
             "fingerprint_information: need a square [N, N] distance matrix, got ",
             distances.defined() ? distances.str() : "undefined");
  const double log_n = std::log(static_cast<double>(distances.size(0)));
  // (ln N − mean_i logsumexp_j(−D_ij)) / ln 2
  return (log_n - mean(logsumexp(-distances, {1}))) * (1.0 / kLn2);
}

namespace {

// sim from Î(D), Î(2D) (tensors), Î(D + D_k) (a tensor) and the member's constants.
Tensor similarity(const Tensor& info_d, const Tensor& info_2d, const Tensor& joint, double info_k, double info_2k,
                  FusionSimilarity kind) {
  if (kind == FusionSimilarity::exp_neg_vi) {
    Tensor vi = joint * 2.0 - info_2d - info_2k;  // 2 Î(D + D_k) − Î(2D) − Î(2D_k)
    return exp(vi * -kLn2);                       // 2^(−VI)
  }
  Tensor mutual = info_d + info_k - joint;  // Î(D) + Î(D_k) − Î(D + D_k)
  if (kind == FusionSimilarity::mutual_information) return mutual;
  Tensor self_u = info_d * 2.0 - info_2d;
  return mutual / sqrt(self_u * (2.0 * info_k - info_2k));
}

}  // namespace

Tensor fusion_similarity(const Tensor& d, const Tensor& dk, FusionSimilarity kind) {
  ELBO_CHECK(dk.defined() && dk.shape() == d.shape(), "fusion_similarity: the member's fingerprint ",
             dk.defined() ? dk.str() : "undefined", " must have the fused fingerprint's shape ", d.str());
  Tensor k = dk.detach().to(d.dtype());
  return similarity(fingerprint_information(d), fingerprint_information(d * 2.0), fingerprint_information(d + k),
                    fingerprint_information(k).item(), fingerprint_information(k * 2.0).item(), kind);
}

FusionMember fusion_member(const Tensor& means, const Tensor& logvars) {
  NoGradGuard no_grad;
  FusionMember m;
  m.distances = bhattacharyya_distance_matrix(means, logvars);
  m.information = fingerprint_information(m.distances).item();
  m.information_twice = fingerprint_information(m.distances * 2.0).item();
  return m;
}

Tensor fusion_objective(const Tensor& means, const Tensor& logvars, const std::vector<FusionMember>& members,
                        FusionSimilarity kind) {
  ELBO_CHECK(!members.empty(), "fusion_objective: no ensemble members");
  Tensor d = differentiable_bhattacharyya_distances(means, logvars);
  Tensor info_d = fingerprint_information(d), info_2d = fingerprint_information(d * 2.0);
  Tensor total;
  for (const FusionMember& m : members) {
    ELBO_CHECK(m.distances.shape() == d.shape(), "fusion_objective: a member's fingerprint ", m.distances.str(),
               " does not match the fused one ", d.str());
    Tensor joint = fingerprint_information(d + m.distances.to(d.dtype()));
    Tensor s = similarity(info_d, info_2d, joint, m.information, m.information_twice, kind);
    total = total.defined() ? total + s : s;
  }
  return total * (1.0 / static_cast<double>(members.size()));
}

FusedPosterior fuse(const std::vector<Tensor>& member_means, const std::vector<Tensor>& member_logvars,
                    const FusionOptions& o) {
  ELBO_CHECK(!member_means.empty() && member_means.size() == member_logvars.size(), "fuse: got ", member_means.size(),
             " members' means and ", member_logvars.size(), " members' log-variances");
  ELBO_CHECK(o.dims >= 1 && o.steps >= 0 && o.lr > 0, "fuse: need dims ≥ 1, steps ≥ 0 and lr > 0");
  std::vector<FusionMember> members;
  int64_t n = -1;
  for (size_t k = 0; k < member_means.size(); ++k) {
    members.push_back(fusion_member(member_means[k], member_logvars[k]));
    int64_t nk = members.back().distances.size(0);
    ELBO_CHECK(n < 0 || nk == n, "fuse: member ", k, " has ", nk, " fingerprint points, member 0 has ", n);
    n = nk;
  }
  FusedPosterior r;
  r.means = mul(normal(Shape{n, o.dims}, o.seed, 0, 0, DType::f64), o.init_std);
  r.logvars = zeros(Shape{n, o.dims}, DType::f64);
  r.means.requires_grad_(true);
  r.logvars.requires_grad_(true);
  nn::Optimizer adam = nn::adam({r.means, r.logvars}, o.lr);
  for (int64_t step = 0; step < o.steps; ++step) {
    adam.zero_grad();
    Tensor s = fusion_objective(r.means, r.logvars, members, o.similarity);
    r.objective.push_back(s.item());
    neg(s).backward();  // maximise S
    adam.step();
  }
  r.means = r.means.detach();
  r.logvars = r.logvars.detach();
  return r;
}

double continuity(const Tensor& means, const Tensor& logvars, double percentile) {
  ELBO_CHECK(percentile > 0 && percentile <= 100, "continuity: percentile ", percentile, " must be in (0, 100]");
  Tensor d = bhattacharyya_distance_matrix(means, logvars);
  const int64_t n = d.size(0);
  ELBO_CHECK(n >= 2, "continuity: need at least two points");
  std::vector<double> dv = d.to_vector(), adjacent;
  for (int64_t k = 0; k + 1 < n; ++k) adjacent.push_back(dv[static_cast<size_t>(k * n + k + 1)]);
  std::vector<double> sorted = adjacent;
  std::sort(sorted.begin(), sorted.end());
  // numpy.percentile's default ("linear"): position p/100 · (m − 1) between sorted values.
  double pos = percentile / 100.0 * static_cast<double>(sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  double q = sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
  return sorted.back() / q;
}

}  // namespace elbo::info
