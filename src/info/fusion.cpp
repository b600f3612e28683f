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

// Loops over fewer pairs of points than this run on one thread: a parallel region costs more than
// the work (the fusion makes several per step, tens of thousands of steps).
constexpr int64_t kParallelPairs = 1 << 15;

// Coefficients below e^−300 (distances above 300) count as 0 (fusion.hpp).
constexpr double kNegligibleDistance = 300.0;
const double kNegligibleCoefficient = std::exp(-kNegligibleDistance);

FusionMember fusion_member(const Tensor& means, const Tensor& logvars) {
  NoGradGuard no_grad;
  FusionMember m;
  m.distances = bhattacharyya_distance_matrix(means, logvars);
  m.information = fingerprint_information(m.distances).item();
  m.information_twice = fingerprint_information(m.distances * 2.0).item();
  m.coefficients = empty_like(m.distances);
  const double* d = m.distances.data<double>();
  double* c = m.coefficients.data<double>();
  for (int64_t e = 0; e < m.distances.numel(); ++e) c[e] = d[e] > kNegligibleDistance ? 0.0 : std::exp(-d[e]);
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

namespace {

// Σ_j a_j b_j and Σ_j a_j in a fixed order: eight interleaved partial sums, combined pairwise.
double dot(const double* a, const double* b, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; ++l) acc[l] = std::fma(a[j + l], b[j + l], acc[l]);
  for (int l = 0; j < n; ++j, ++l) acc[l] = std::fma(a[j], b[j], acc[l]);
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

double sum(const double* a, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; ++l) acc[l] += a[j + l];
  for (int l = 0; j < n; ++j, ++l) acc[l] += a[j];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

}  // namespace

double fusion_objective_gradient(const Tensor& means, const Tensor& logvars, const std::vector<FusionMember>& members,
                                 FusionSimilarity kind, Tensor& grad_means, Tensor& grad_logvars) {
  ELBO_CHECK(means.defined() && means.ndim() == 2 && means.shape() == logvars.shape() && means.dtype() == DType::f64 &&
                 logvars.dtype() == DType::f64,
             "fusion_objective_gradient: need means and logvars f64[N, d], got ",
             means.defined() ? means.str() : "undefined", " and ", logvars.defined() ? logvars.str() : "undefined");
  ELBO_CHECK(!members.empty(), "fusion_objective_gradient: no ensemble members");
  const int64_t n = means.size(0), dims = means.size(1), num_members = static_cast<int64_t>(members.size());
  for (const FusionMember& m : members)
    ELBO_CHECK(m.coefficients.defined() && m.coefficients.shape() == (Shape{n, n}) &&
                   m.coefficients.dtype() == DType::f64 && m.coefficients.is_contiguous(),
               "fusion_objective_gradient: a member's coefficients ",
               m.coefficients.defined() ? m.coefficients.str() : "undefined", " must be f64[", n, ", ", n,
               "] (build members with fusion_member)");
  Tensor mu_t = means.detach().contiguous(), lv_t = logvars.detach().contiguous();
  const double* mu = mu_t.data<double>();
  const double* lv = lv_t.data<double>();
  // Working memory from the caching allocator: after the first step no call reaches the system.
  Tensor scratch = empty(Shape{2 * n * dims + 2 * n * n + (2 + num_members) * n + num_members}, DType::f64);
  double* var = scratch.data<double>();  // σ² [N, d]
  double* sd = var + n * dims;           // σ [N, d]
  double* coef = sd + n * dims;          // C [N, N]
  double* grad_d = coef + n * n;         // G [N, N]
  double* z = grad_d + n * n;            // z_i [N]
  double* y = z + n;                     // y_i [N]
  double* zk = y + n;                    // z^k_i [K, N]
  double* gamma = zk + num_members * n;  // Γ_k [K]
  auto member_row = [&](int64_t k, int64_t i) {
    return members[static_cast<size_t>(k)].coefficients.data<double>() + i * n;
  };
  for (int64_t e = 0; e < n * dims; ++e) {
    var[e] = std::exp(lv[e]);  // σ²
    sd[e] = std::exp(0.5 * lv[e]);  // σ
  }

  // C_ij = √(Π_d 2σ_iσ_j/(σ_i²+σ_j²)) · exp(−Σ_d Δ²/(4(σ_i²+σ_j²))) for j > i, mirrored to C_ji (each
  // entry written once; rows dealt round-robin, as row i has n − i − 1 entries), then the row sums z_i, y_i.
#pragma omp parallel for schedule(static, 1) if (n * n > kParallelPairs)
  for (int64_t i = 0; i < n; ++i) {
    coef[i * n + i] = 1.0;
    for (int64_t j = i + 1; j < n; ++j) {
      double ratio = 1.0, exponent = 0.0;
      for (int64_t d = 0; d < dims; ++d) {
        const int64_t id = i * dims + d, jd = j * dims + d;
        const double sum_var = var[id] + var[jd], delta = mu[id] - mu[jd];
        ratio *= 2.0 * sd[id] * sd[jd] / sum_var;
        exponent += delta * delta / (4.0 * sum_var);
      }
      const double c = std::sqrt(ratio) * std::exp(-exponent);
      coef[i * n + j] = coef[j * n + i] = c < kNegligibleCoefficient ? 0.0 : c;
    }
  }
#pragma omp parallel for schedule(static) if (n * n > kParallelPairs)
  for (int64_t i = 0; i < n; ++i) {
    const double* row = coef + i * n;
    z[i] = sum(row, n);
    y[i] = dot(row, row, n);
  }
  // z^k_i = Σ_j C_ij C^k_ij
#pragma omp parallel for schedule(static) if ((num_members + 1) * n * n > kParallelPairs)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < num_members; ++k) zk[k * n + i] = dot(coef + i * n, member_row(k, i), n);

  // a, b, c_k in bits: log2 N − (1/N) Σ_i log2(row sum), the sums over i in order.
  auto information = [&](const double* sums) {
    double total = 0;
    for (int64_t i = 0; i < n; ++i) total += std::log(sums[i]);
    return (std::log(static_cast<double>(n)) - total / static_cast<double>(n)) / kLn2;
  };
  const double a = information(z), b = information(y);
  const double inv_k = 1.0 / static_cast<double>(num_members);
  double objective = 0, coef_a = 0, coef_b = 0;
  for (int64_t k = 0; k < num_members; ++k) {
    const FusionMember& m = members[static_cast<size_t>(k)];
    const double c = information(zk + k * n);
    double s = 0, g = 0;
    if (kind == FusionSimilarity::mutual_information) {  // s_k = a + a_k − c_k
      s = a + m.information - c;
      coef_a += inv_k;
      g = -inv_k;
    } else if (kind == FusionSimilarity::exp_neg_vi) {  // s_k = 2^−(2c_k − b − b_k)
      s = std::exp(-kLn2 * (2.0 * c - b - m.information_twice));
      coef_b += kLn2 * s * inv_k;
      g = -2.0 * kLn2 * s * inv_k;
    } else {  // s_k = (a + a_k − c_k) / √(p p_k)
      const double p = 2.0 * a - b, pk = 2.0 * m.information - m.information_twice, root = std::sqrt(p * pk);
      s = (a + m.information - c) / root;
      coef_a += (1.0 / root - s / p) * inv_k;
      coef_b += s / (2.0 * p) * inv_k;
      g = -inv_k / root;
    }
    objective += s;
    gamma[k] = g;
  }
  objective *= inv_k;

  // G_ij = C_ij [A/z_i + 2B C_ij/y_i + Σ_k Γ_k C^k_ij/z^k_i] / (N ln2)
  const double scale = 1.0 / (static_cast<double>(n) * kLn2);
#pragma omp parallel for schedule(static) if ((num_members + 1) * n * n > kParallelPairs)
  for (int64_t i = 0; i < n; ++i) {
    double* g = grad_d + i * n;
    const double* row = coef + i * n;
    const double over_z = coef_a / z[i], over_y = 2.0 * coef_b / y[i];
    for (int64_t j = 0; j < n; ++j) g[j] = over_z + over_y * row[j];
    for (int64_t k = 0; k < num_members; ++k) {
      const double w = gamma[k] / zk[k * n + i];
      const double* ck = member_row(k, i);
      for (int64_t j = 0; j < n; ++j) g[j] = std::fma(w, ck[j], g[j]);
    }
    for (int64_t j = 0; j < n; ++j) g[j] *= row[j] * scale;
  }

  // ∂S/∂μ_id = Σ_j H_ij Δ/(4v̄),  ∂S/∂ln σ_id² = Σ_j H_ij [(σ_id²/2)(1/(2v̄) − Δ²/(8v̄²)) − ¼],  H = G + Gᵀ
  if (!grad_means.defined() || grad_means.shape() != means.shape() || grad_means.dtype() != DType::f64)
    grad_means = empty(means.shape(), DType::f64);
  if (!grad_logvars.defined() || grad_logvars.shape() != means.shape() || grad_logvars.dtype() != DType::f64)
    grad_logvars = empty(means.shape(), DType::f64);
  double* gm = grad_means.data<double>();
  double* gl = grad_logvars.data<double>();
#pragma omp parallel for schedule(static) if (n * n > kParallelPairs)
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t d = 0; d < dims; ++d) {
      const double vi = var[i * dims + d];
      double sum_mu = 0, sum_lv = 0;
      for (int64_t j = 0; j < n; ++j) {
        if (j == i) continue;  // D_ii = 0 whatever the point's parameters
        const double h = grad_d[i * n + j] + grad_d[j * n + i];
        const double inv_mean_var = 2.0 / (vi + var[j * dims + d]);  // 1/v̄
        const double delta = mu[i * dims + d] - mu[j * dims + d];
        sum_mu += h * (0.25 * delta * inv_mean_var);
        sum_lv += h * (0.5 * vi * inv_mean_var * (0.5 - 0.125 * delta * delta * inv_mean_var) - 0.25);
      }
      gm[i * dims + d] = sum_mu;
      gl[i * dims + d] = sum_lv;
    }
  }
  return objective;
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
  nn::Optimizer optimizer = o.optimizer == FusionOptimizer::sgd ? nn::sgd({r.means, r.logvars}, o.lr)
                                                                : nn::adam({r.means, r.logvars}, o.lr);
  Tensor grad_means, grad_logvars;
  r.objective.reserve(static_cast<size_t>(o.steps));
  for (int64_t step = 0; step < o.steps; ++step) {
    r.objective.push_back(
        fusion_objective_gradient(r.means, r.logvars, members, o.similarity, grad_means, grad_logvars));
    mul_(grad_means, -1.0);  // maximise S: descend on −S
    mul_(grad_logvars, -1.0);
    r.means.set_grad(grad_means);
    r.logvars.set_grad(grad_logvars);
    optimizer.step();
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
