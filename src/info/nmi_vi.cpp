// Generalised NMI and VI; the formulas, the batched algorithm and its precision are described in
// elbo/info/nmi_vi.hpp.
#include "elbo/info/nmi_vi.hpp"
#include "elbo/info/whole_space.hpp"

#include <cblas.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "elbo/autograd.hpp"
#include "elbo/info/bhattacharyya.hpp"
#include "elbo/info/units.hpp"
#include "elbo/ops/backend.hpp"
#include "elbo/ops.hpp"
#include "info/coefficient_rows.hpp"
#include "ops/cpu/vecmath.hpp"

namespace elbo::info {

namespace {

// ---- exact sums of logarithms: 64-bit fixed point --------------------------------------------------
//
// A logarithm x (in nats) is kept as the integer round(x · 2³²). Integer addition is exact and
// associative, so a sum of such terms does not depend on the order of the additions: the points i
// can be shared among threads in any way. round(x · 2³²) is computed with the "magic number"
// 1.5·2⁵²: adding it to the exact product x·2³² (|x| < 2¹⁹) rounds to an integer, which then sits
// in the low bits of the double's representation.
constexpr double kFixedPerNat = 0x1p32;
constexpr double kMagic = 0x1.8p52;

inline int64_t to_fixed(double nats) {
  return std::bit_cast<int64_t>(nats * kFixedPerNat + kMagic) - std::bit_cast<int64_t>(kMagic);
}
inline double fixed_to_nats(int64_t fixed) { return static_cast<double>(fixed) / kFixedPerNat; }

// sum[k] += round(ln x[k] · 2³²) for k < n. In f32 the logarithms are vectorised (vecmath.hpp,
// ≤ 0.8 ulp) into `scratch` first.
void add_fixed_logs(const float* x, int64_t n, float* scratch, int64_t* sum) {
  using V = vm::VecF32;
  constexpr int64_t W = vm::width<V>;
  int64_t j = 0;
  for (; j + W <= n; j += W) vm::store(scratch + j, vm::log(vm::load<V>(x + j)));
  if (j < n) vm::store(scratch + j, vm::log(vm::load<V>(x + j, n - j)), n - j);
  for (int64_t k = 0; k < n; ++k) sum[k] += to_fixed(static_cast<double>(scratch[k]));
}
void add_fixed_logs(const double* x, int64_t n, double*, int64_t* sum) {
  for (int64_t k = 0; k < n; ++k) sum[k] += to_fixed(std::log(x[k]));
}

// G = R_a R_bᵀ (R_a is m_a × n, R_b is m_b × n, row-major). For one set (same), only G's upper
// triangle is computed (syrk). OpenBLAS runs single-threaded here: each point is one thread's work.
void gram(bool same, int64_t ma, int64_t mb, int64_t n, const float* ra, const float* rb, float* g) {
  if (same)
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, static_cast<int>(ma), static_cast<int>(n), 1.0f, ra,
                static_cast<int>(n), 0.0f, g, static_cast<int>(ma));
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(ma), static_cast<int>(mb),
                static_cast<int>(n), 1.0f, ra, static_cast<int>(n), rb, static_cast<int>(n), 0.0f, g,
                static_cast<int>(mb));
}
void gram(bool same, int64_t ma, int64_t mb, int64_t n, const double* ra, const double* rb, double* g) {
  if (same)
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, static_cast<int>(ma), static_cast<int>(n), 1.0, ra,
                static_cast<int>(n), 0.0, g, static_cast<int>(ma));
  else
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(ma), static_cast<int>(mb),
                static_cast<int>(n), 1.0, ra, static_cast<int>(n), rb, static_cast<int>(n), 0.0, g,
                static_cast<int>(mb));
}

// Σ_i ln(·) over the fingerprint points, in fixed point, for every quantity of nmi_vi.hpp.
struct LogSums {
  std::vector<int64_t> joint;                   // [m_a·m_b]: Σ_i ln G_i[a, b] (one set: upper triangle)
  std::vector<int64_t> self_a, self_b;          // Σ_i ln Σ_j (C_ij)²
  std::vector<int64_t> marginal_a, marginal_b;  // Σ_i ln Σ_j C_ij

  LogSums(int64_t ma, int64_t mb)
      : joint(static_cast<size_t>(ma * mb)), self_a(static_cast<size_t>(ma)), self_b(static_cast<size_t>(mb)),
        marginal_a(self_a.size()), marginal_b(self_b.size()) {}
  void add(const LogSums& o) {  // exact: the order threads add in does not matter
    for (size_t k = 0; k < joint.size(); ++k) joint[k] += o.joint[k];
    for (size_t k = 0; k < self_a.size(); ++k) self_a[k] += o.self_a[k], marginal_a[k] += o.marginal_a[k];
    for (size_t k = 0; k < self_b.size(); ++k) self_b[k] += o.self_b[k], marginal_b[k] += o.marginal_b[k];
  }
};

// b == nullptr: all pairs within a.
template <class T>
LogSums log_sums(const ChannelSet& a, const ChannelSet* b) {
  backend(Device::cpu);  // makes OpenBLAS use this CPU's kernels, single-threaded (context.hpp)
  const bool same = b == nullptr;
  const int64_t n = a.num_points, ma = a.num_channels, mb = same ? ma : b->num_channels;
  // Each fixed-point term is at most ln N · 2³²; N of them must stay below 2⁶³.
  ELBO_CHECK(n >= 1 && n <= 10000000, "channel_similarity: ", n, " fingerprint points (at most 10^7)");
  detail::PreparedChannels<T> pa = detail::prepare_channels<T>(a), pb;
  if (!same) pb = detail::prepare_channels<T>(*b);
  LogSums total(ma, mb);
#pragma omp parallel
  {
    std::vector<T> rows_a(static_cast<size_t>(ma * n)), rows_b(same ? 0 : static_cast<size_t>(mb * n));
    std::vector<T> g(static_cast<size_t>(ma * mb)), scratch(static_cast<size_t>(std::max(ma, mb)));
    LogSums mine(ma, mb);
#pragma omp for schedule(dynamic, 1) nowait
    for (int64_t i = 0; i < n; ++i) {
      detail::fill_coefficient_rows(pa, i, rows_a.data(), n);
      for (int64_t c = 0; c < ma; ++c)
        mine.marginal_a[static_cast<size_t>(c)] += to_fixed(std::log(vm::sum_lanes(rows_a.data() + c * n, n)));
      if (same) {
        gram(true, ma, ma, n, rows_a.data(), rows_a.data(), g.data());
        for (int64_t c = 0; c < ma; ++c)  // the upper triangle, row c from column c
          add_fixed_logs(g.data() + c * ma + c, ma - c, scratch.data(), mine.joint.data() + c * ma + c);
      } else {
        detail::fill_coefficient_rows(pb, i, rows_b.data(), n);
        for (int64_t c = 0; c < mb; ++c)
          mine.marginal_b[static_cast<size_t>(c)] += to_fixed(std::log(vm::sum_lanes(rows_b.data() + c * n, n)));
        for (int64_t c = 0; c < ma; ++c) {
          const T* r = rows_a.data() + c * n;
          mine.self_a[static_cast<size_t>(c)] += to_fixed(std::log(vm::dot_lanes(r, r, n)));
        }
        for (int64_t c = 0; c < mb; ++c) {
          const T* r = rows_b.data() + c * n;
          mine.self_b[static_cast<size_t>(c)] += to_fixed(std::log(vm::dot_lanes(r, r, n)));
        }
        gram(false, ma, mb, n, rows_a.data(), rows_b.data(), g.data());
        for (int64_t c = 0; c < ma; ++c)
          add_fixed_logs(g.data() + c * mb, mb, scratch.data(), mine.joint.data() + c * mb);
      }
    }
#pragma omp critical(elbo_info_log_sums)
    total.add(mine);
  }
  if (same) {  // mirror the upper triangle; the diagonal is (U, U′)
    for (int64_t u = 0; u < ma; ++u) {
      total.self_a[static_cast<size_t>(u)] = total.joint[static_cast<size_t>(u * ma + u)];
      for (int64_t v = u + 1; v < ma; ++v) total.joint[static_cast<size_t>(v * ma + u)] = total.joint[static_cast<size_t>(u * ma + v)];
    }
    total.self_b = total.self_a;
    total.marginal_b = total.marginal_a;
  }
  return total;
}

// The sums of logarithms in nats, however they were computed (LogSums, or the tensor program below).
struct NatSums {
  std::vector<double> joint;                   // [m_a·m_b]: Σ_i ln G_i[a, b]
  std::vector<double> self_a, self_b;          // Σ_i ln Σ_j (C_ij)²
  std::vector<double> marginal_a, marginal_b;  // Σ_i ln Σ_j C_ij
};

NatSums to_nats(const LogSums& s) {
  auto convert = [](const std::vector<int64_t>& fixed) {
    std::vector<double> nats(fixed.size());
    for (size_t k = 0; k < fixed.size(); ++k) nats[k] = fixed_to_nats(fixed[k]);
    return nats;
  };
  return {convert(s.joint), convert(s.self_a), convert(s.self_b), convert(s.marginal_a), convert(s.marginal_b)};
}

// The information estimates and the NMI/VI algebra from the sums of logarithms:
//     Î(·;X) = log2 N − (Σ_i ln ·) / (N ln 2)
SimilarityMatrices assemble(const NatSums& s, int64_t n, int64_t ma, int64_t mb) {
  const double log2_n = std::log2(static_cast<double>(n)), per_point_bits = 1.0 / (static_cast<double>(n) * kLn2);
  auto bits = [&](double nats) { return log2_n - nats * per_point_bits; };
  SimilarityMatrices r;
  r.information_a = empty(Shape{ma}, DType::f64);
  r.information_b = empty(Shape{mb}, DType::f64);
  r.self_information_a = empty(Shape{ma}, DType::f64);
  r.self_information_b = empty(Shape{mb}, DType::f64);
  for (Tensor* t : {&r.joint_information, &r.mutual_information, &r.nmi, &r.vi}) *t = empty(Shape{ma, mb}, DType::f64);
  std::vector<double> twice_a(static_cast<size_t>(ma)), twice_b(static_cast<size_t>(mb));  // I(U,U′;X)
  double *ia = r.information_a.data<double>(), *ib = r.information_b.data<double>();
  double *ha = r.self_information_a.data<double>(), *hb = r.self_information_b.data<double>();
  for (int64_t u = 0; u < ma; ++u) {
    ia[u] = bits(s.marginal_a[static_cast<size_t>(u)]);
    twice_a[static_cast<size_t>(u)] = bits(s.self_a[static_cast<size_t>(u)]);
    ha[u] = 2.0 * ia[u] - twice_a[static_cast<size_t>(u)];
  }
  for (int64_t v = 0; v < mb; ++v) {
    ib[v] = bits(s.marginal_b[static_cast<size_t>(v)]);
    twice_b[static_cast<size_t>(v)] = bits(s.self_b[static_cast<size_t>(v)]);
    hb[v] = 2.0 * ib[v] - twice_b[static_cast<size_t>(v)];
  }
  double *joint = r.joint_information.data<double>(), *mutual = r.mutual_information.data<double>();
  double *nmi = r.nmi.data<double>(), *vi = r.vi.data<double>();
  for (int64_t u = 0; u < ma; ++u)
    for (int64_t v = 0; v < mb; ++v) {
      size_t k = static_cast<size_t>(u * mb + v);
      joint[k] = bits(s.joint[k]);
      mutual[k] = ia[u] + ib[v] - joint[k];
      nmi[k] = mutual[k] / std::sqrt(ha[u] * hb[v]);
      vi[k] = 2.0 * joint[k] - twice_a[static_cast<size_t>(u)] - twice_b[static_cast<size_t>(v)];
    }
  return r;
}

// ---- the same sums as a program of tensor operations, on any device --------------------------------
//
// For a chunk of P fingerprint points i, row i of every channel's coefficient matrix at once, from
// the Bhattacharyya distance of two one-dimensional Gaussians (bhattacharyya.hpp) summed over each
// channel's dimensions d:
//
//     s = σ_id² + σ_jd²,    D_cij = Σ_{d ∈ c} [ (μ_id − μ_jd)² / (4 s) + ½ ln( s / (2 √(σ_id² σ_jd²)) ) ]
//     R[p, c, j] = exp(−D_cij)                                   [P, M, N]
//     G[p] = R[p] · R[p]ᵀ                                        [P, M, M]   one batched GEMM
//
// and then Σ_p ln G[p] and Σ_p ln Σ_j R[p, c, j], in f64, added up over the chunks. (At j = i the
// ratio is exactly 1 and D exactly 0, as the CPU path's diagonal.) Every step is an elbo op, so the
// program runs wherever the tensors live: on a GPU the elementwise passes and the batched GEMM
// (cuBLAS) do all the work. The intermediates of a chunk take about 10·P·D·N elements.
NatSums log_sums_by_tensor_ops(const ChannelSet& set, Device device, int64_t chunk_points) {
  ELBO_CHECK(set.kind == ChannelKind::gaussian,
             "channel_similarity_by_tensor_ops: needs Gaussian channels (posteriors); label and coefficient "
             "channels run on the CPU (channel_similarity)");
  NoGradGuard no_grad;
  const DType dt = set.dtype;
  const int64_t n = set.num_points, m = set.num_channels, dims = set.means.size(1);
  if (chunk_points <= 0)  // about 64 MB of f32 per intermediate
    chunk_points = std::clamp<int64_t>((int64_t{16} << 20) / std::max<int64_t>(1, dims * n), 1, 256);
  // Posteriors on the device, in the set's arithmetic type: σ² = exp(ln σ²) taken in f64, as the CPU path.
  const Tensor means = to_device(to_dtype(set.means, dt), device);
  const Tensor vars = to_device(to_dtype(exp(to_dtype(set.logvars, DType::f64)), dt), device);
  const Tensor means_t = reshape(contiguous(transpose(means, 0, 1)), Shape{1, dims, n});  // μ_jd as [1, D, N]
  const Tensor vars_t = reshape(contiguous(transpose(vars, 0, 1)), Shape{1, dims, n});
  // Channels of several dimensions: D summed over each channel's dimensions by a 0/1 matrix [1, M, D].
  Tensor membership;
  if (dims != m) {
    std::vector<double> ones(static_cast<size_t>(m * dims), 0.0);
    for (int64_t c = 0; c < m; ++c)
      for (int64_t d = set.dim_start[static_cast<size_t>(c)]; d < set.dim_start[static_cast<size_t>(c) + 1]; ++d)
        ones[static_cast<size_t>(c * dims + d)] = 1.0;
    membership = from_vector(Shape{1, m, dims}, ones, dt, device);
  }
  Tensor joint = zeros(Shape{m, m}, DType::f64, device), marginal = zeros(Shape{m}, DType::f64, device);
  for (int64_t i0 = 0; i0 < n; i0 += chunk_points) {
    const int64_t p = std::min(chunk_points, n - i0);
    const Tensor mu_i = reshape(slice(means, 0, i0, i0 + p), Shape{p, dims, 1});
    const Tensor var_i = reshape(slice(vars, 0, i0, i0 + p), Shape{p, dims, 1});
    const Tensor s = var_i + vars_t;                                                      // [P, D, N]
    const Tensor distance = square(mu_i - means_t) / (s * 4.0) + log(s / (sqrt(var_i * vars_t) * 2.0)) * 0.5;
    const Tensor rows = exp(-(membership.defined() ? matmul(membership, distance) : distance));  // R [P, M, N]
    marginal = marginal + sum(to_dtype(log(sum(rows, {2})), DType::f64), {0});
    joint = joint + sum(to_dtype(log(matmul(rows, transpose(rows, 1, 2))), DType::f64), {0});
  }
  NatSums sums;
  sums.joint = to_device(joint, Device::cpu).to_vector();
  sums.marginal_a = to_device(marginal, Device::cpu).to_vector();
  sums.self_a.resize(static_cast<size_t>(m));
  for (int64_t c = 0; c < m; ++c) sums.self_a[static_cast<size_t>(c)] = sums.joint[static_cast<size_t>(c * m + c)];
  sums.self_b = sums.self_a;
  sums.marginal_b = sums.marginal_a;
  return sums;
}

}  // namespace

SimilarityMatrices channel_similarity(const ChannelSet& set) {
  ELBO_CHECK(set.num_channels >= 1, "channel_similarity: the channel set is empty");
  LogSums s = set.dtype == DType::f64 ? log_sums<double>(set, nullptr) : log_sums<float>(set, nullptr);
  return assemble(to_nats(s), set.num_points, set.num_channels, set.num_channels);
}

SimilarityMatrices channel_similarity(const ChannelSet& set, Device device) {
  if (device == Device::cpu) return channel_similarity(set);
  return channel_similarity_by_tensor_ops(set, device);
}

SimilarityMatrices channel_similarity_by_tensor_ops(const ChannelSet& set, Device device, int64_t chunk_points) {
  ELBO_CHECK(set.num_channels >= 1, "channel_similarity: the channel set is empty");
  ELBO_CHECK(device_available(device), "channel_similarity: device ", device_name(device),
             " is not available (a GPU needs a build with -DELBO_CUDA=ON and a visible device)");
  NatSums s = log_sums_by_tensor_ops(set, device, chunk_points);
  return assemble(s, set.num_points, set.num_channels, set.num_channels);
}

SimilarityMatrices channel_similarity(const ChannelSet& rows, const ChannelSet& columns) {
  ELBO_CHECK(rows.num_channels >= 1 && columns.num_channels >= 1, "channel_similarity: a channel set is empty");
  check_same_points("channel_similarity", rows, columns);
  // f32 only when both sets ask for it: labels (f64 by default) keep the exact path.
  bool f32 = rows.dtype == DType::f32 && columns.dtype == DType::f32;
  LogSums s = f32 ? log_sums<float>(rows, &columns) : log_sums<double>(rows, &columns);
  return assemble(to_nats(s), rows.num_points, rows.num_channels, columns.num_channels);
}

PairSimilarity pair_similarity(const Tensor& coefficients_u, const Tensor& coefficients_v) {
  ELBO_CHECK(coefficients_u.defined() && coefficients_u.ndim() == 2 && coefficients_u.size(0) == coefficients_u.size(1),
             "pair_similarity: need square N×N coefficient matrices, got ",
             coefficients_u.defined() ? coefficients_u.str() : "undefined");
  ELBO_CHECK(coefficients_v.defined() && coefficients_v.shape() == coefficients_u.shape(),
             "pair_similarity: the coefficient matrices ", coefficients_u.str(), " and ",
             coefficients_v.defined() ? coefficients_v.str() : "undefined", " must have the same shape");
  std::vector<double> cu = coefficients_u.to_vector(), cv = coefficients_v.to_vector();
  const int64_t n = coefficients_u.size(0);
  // Î = −(1/N) Σ_i log2((1/N) Σ_j c_ij) for c = C^U, C^V, (C^U)², (C^V)², C^U ⊙ C^V
  double iu = 0, iv = 0, iuu = 0, ivv = 0, iuv = 0;
  for (int64_t i = 0; i < n; ++i) {
    double su = 0, sv = 0, suu = 0, svv = 0, suv = 0;
    for (int64_t j = 0; j < n; ++j) {
      double a = cu[static_cast<size_t>(i * n + j)], b = cv[static_cast<size_t>(i * n + j)];
      su += a, sv += b, suu += a * a, svv += b * b, suv += a * b;
    }
    const double nn = static_cast<double>(n);
    iu -= std::log2(su / nn), iv -= std::log2(sv / nn), iuu -= std::log2(suu / nn), ivv -= std::log2(svv / nn),
        iuv -= std::log2(suv / nn);
  }
  const double nn = static_cast<double>(n);
  PairSimilarity p;
  p.information_u = iu / nn;
  p.information_v = iv / nn;
  p.joint_information = iuv / nn;
  p.self_information_u = 2 * p.information_u - iuu / nn;
  p.self_information_v = 2 * p.information_v - ivv / nn;
  p.mutual_information = p.information_u + p.information_v - p.joint_information;
  p.nmi = p.mutual_information / std::sqrt(p.self_information_u * p.self_information_v);
  p.vi = 2 * p.joint_information - iuu / nn - ivv / nn;
  return p;
}

EstimatedSimilarity similarity_from_estimates(const Estimate& information_u, const Estimate& information_v,
                                              const Estimate& joint_uu, const Estimate& joint_vv,
                                              const Estimate& joint_uv) {
  const Estimate &a = information_u, &b = information_v, &aa = joint_uu, &bb = joint_vv, &ab = joint_uv;
  EstimatedSimilarity r;
  r.mutual_information.value = a.value + b.value - ab.value;
  r.mutual_information.error = std::sqrt(a.error * a.error + b.error * b.error + ab.error * ab.error);
  const double num = a.value + b.value - ab.value, p = 2 * a.value - aa.value, q = 2 * b.value - bb.value;
  const double root = std::sqrt(p * q);
  r.nmi.value = num / root;
  const double d_a = (1 - num / p) / root, d_b = (1 - num / q) / root, d_ab = -1 / root;
  const double d_aa = num / (2 * p * root), d_bb = num / (2 * q * root);
  r.nmi.error = std::sqrt(d_a * d_a * a.error * a.error + d_b * d_b * b.error * b.error +
                          d_ab * d_ab * ab.error * ab.error + d_aa * d_aa * aa.error * aa.error +
                          d_bb * d_bb * bb.error * bb.error);
  r.vi.value = 2 * ab.value - aa.value - bb.value;
  r.vi.error = std::sqrt(4 * ab.error * ab.error + aa.error * aa.error + bb.error * bb.error);
  return r;
}

MonteCarloSimilarity monte_carlo_similarity(const Tensor& means_u, const Tensor& logvars_u, const Tensor& means_v,
                                            const Tensor& logvars_v, const MonteCarloOptions& options) {
  check_posteriors("monte_carlo_similarity", means_u, logvars_u);
  check_posteriors("monte_carlo_similarity", means_v, logvars_v);
  ELBO_CHECK(means_u.size(0) == means_v.size(0), "monte_carlo_similarity: the two spaces hold ", means_u.size(0),
             " and ", means_v.size(0), " posteriors; they must embed the same data points");
  // The five estimates in the stream layout documented in nmi_vi.hpp, which is whole_space.hpp's for K = 2.
  WholeSpaceOptions o;
  o.samples = options.samples;
  o.seed = options.seed;
  o.stream = options.stream;
  const WholeSpaceSimilarity w = whole_space_similarity({{means_u, logvars_u}, {means_v, logvars_v}}, o);
  MonteCarloSimilarity r;
  r.information_u = w.information[0];
  r.information_v = w.information[1];
  r.joint_uu = w.self_joint[0];
  r.joint_vv = w.self_joint[1];
  r.joint_uv = w.joint[1];
  r.nmi = w.nmi[1];
  r.vi = w.vi[1];
  return r;
}

Estimate inverse_variance_mean(const std::vector<Estimate>& estimates) {
  ELBO_CHECK(!estimates.empty(), "inverse_variance_mean: no estimates");
  double weights = 0, sum = 0;
  for (const Estimate& e : estimates) {
    ELBO_CHECK(e.error > 0, "inverse_variance_mean: an estimate has standard error ", e.error, " (need > 0)");
    double w = 1 / (e.error * e.error);
    weights += w;
    sum += w * e.value;
  }
  return {sum / weights, 1 / std::sqrt(weights)};
}

}  // namespace elbo::info
