// Generalised NMI and VI (info/nmi_vi.hpp): identical channels, hard labels against the classic
// plug-in measures, the batched all-pairs path against the per-pair definition (both precisions,
// subspaces, the rectangular form), thread invariance, Monte Carlo versions and their errors.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "elbo/info/bhattacharyya.hpp"
#include "elbo/info/nmi_vi.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using elbo::testing::check_thread_invariant;

namespace {

double at(const Tensor& t, int64_t u, int64_t v) { return t.to_vector()[static_cast<size_t>(u * t.size(1) + v)]; }

// Classic NMI (√ normalisation) and VI of two labelings from plug-in entropies, in bits.
void classic_nmi_vi(const std::vector<int>& a, const std::vector<int>& b, double& nmi, double& vi) {
  const double n = static_cast<double>(a.size());
  std::map<int, double> pa, pb;
  std::map<std::pair<int, int>, double> pab;
  for (size_t k = 0; k < a.size(); ++k) pa[a[k]] += 1 / n, pb[b[k]] += 1 / n, pab[{a[k], b[k]}] += 1 / n;
  double ha = 0, hb = 0, i = 0;
  for (auto& [k, p] : pa) ha -= p * std::log2(p);
  for (auto& [k, p] : pb) hb -= p * std::log2(p);
  for (auto& [k, p] : pab) i += p * std::log2(p / (pa[k.first] * pb[k.second]));
  nmi = i / std::sqrt(ha * hb);
  vi = ha + hb - 2 * i;
}

// Random 1-D Gaussian channels: M columns of N posteriors.
info::ChannelSet random_channels(int64_t n, int64_t m, uint64_t seed, DType dtype) {
  Tensor means = normal(Shape{n, m}, seed, 0, 0, dtype);
  Tensor logvars = add(mul(normal(Shape{n, m}, seed, 1, 0, dtype), 0.7), -1.5);
  return info::gaussian_channels(means, logvars);
}

}  // namespace

TEST_CASE("info: identical channels have NMI 1 and VI 0") {
  Tensor m = normal(Shape{300, 1}, 21, 0, 0, DType::f64);
  Tensor lv = full(Shape{300, 1}, -2.0, DType::f64);
  for (DType dt : {DType::f64, DType::f32}) {
    info::ChannelSet set = info::gaussian_channels(concat({m, m}, 1).to(dt), concat({lv, lv}, 1).to(dt));
    info::SimilarityMatrices s = info::channel_similarity(set);
    double tol = dt == DType::f64 ? 1e-12 : 1e-6;
    CHECK(std::abs(at(s.nmi, 0, 1) - 1.0) < tol);
    CHECK(std::abs(at(s.vi, 0, 1)) < tol);
    CHECK(at(s.nmi, 0, 0) == 1.0);
    CHECK(at(s.vi, 1, 1) == 0.0);
    // I(U;U) = I(U;U′) for identical channels, and Î(U;X) matches its own definition.
    CHECK(std::abs(at(s.mutual_information, 0, 1) - s.self_information_a.to_vector()[0]) < tol);
    CHECK(s.information_a.to_vector()[0] == doctest::Approx(1.243).epsilon(0.05));
  }
}

TEST_CASE("info: hard labels reproduce the classic NMI and VI") {
  // 4 classes; V relabels 30% of U's points at random.
  const int n = 300;
  std::vector<int> u(n), v(n);
  std::vector<double> both(2 * n);
  for (int k = 0; k < n; ++k) {
    u[static_cast<size_t>(k)] = static_cast<int>(philox_uniform(5, 0, static_cast<uint64_t>(k)) * 4);
    bool noisy = philox_uniform(5, 1, static_cast<uint64_t>(k)) < 0.3;
    v[static_cast<size_t>(k)] = noisy ? static_cast<int>(philox_uniform(5, 2, static_cast<uint64_t>(k)) * 4) : u[static_cast<size_t>(k)];
    both[static_cast<size_t>(2 * k)] = u[static_cast<size_t>(k)];
    both[static_cast<size_t>(2 * k + 1)] = v[static_cast<size_t>(k)];
  }
  double nmi, vi;
  classic_nmi_vi(u, v, nmi, vi);
  CHECK(nmi > 0.2);
  CHECK(nmi < 0.8);
  info::ChannelSet labels = info::label_channels(from_vector(Shape{n, 2}, both, DType::i64));
  info::SimilarityMatrices s = info::channel_similarity(labels);
  CHECK(std::abs(at(s.nmi, 0, 1) - nmi) < 1e-9);
  CHECK(std::abs(at(s.vi, 0, 1) - vi) < 1e-9);
  // For a hard channel I(U;U′) = H(U) = I(U;X).
  CHECK(std::abs(s.self_information_a.to_vector()[0] - s.information_a.to_vector()[0]) < 1e-9);
  // The same through 0/1 coefficient matrices, and through the per-pair definition.
  Tensor cu = info::coefficient_matrix(labels, 0), cv = info::coefficient_matrix(labels, 1);
  info::PairSimilarity p = info::pair_similarity(cu, cv);
  CHECK(std::abs(p.nmi - nmi) < 1e-9);
  CHECK(std::abs(p.vi - vi) < 1e-9);
  info::SimilarityMatrices sc =
      info::channel_similarity(info::coefficient_channels(concat({reshape(cu, {1, n, n}), reshape(cv, {1, n, n})}, 0)));
  CHECK(std::abs(at(sc.nmi, 0, 1) - nmi) < 1e-9);
  CHECK(std::abs(at(sc.vi, 0, 1) - vi) < 1e-9);
}

TEST_CASE("info: all-pairs NMI and VI equal the per-pair definition") {
  const int64_t n = 70, m = 9;
  for (DType dt : {DType::f64, DType::f32}) {
    info::ChannelSet set = random_channels(n, m, 31, dt);
    info::SimilarityMatrices s = info::channel_similarity(set);
    const double tol = dt == DType::f64 ? 1e-9 : 5e-6;
    for (int64_t u = 0; u < m; ++u)
      for (int64_t v = 0; v < m; ++v) {
        info::PairSimilarity p = info::pair_similarity(info::coefficient_matrix(set, u), info::coefficient_matrix(set, v));
        CHECK(std::abs(at(s.joint_information, u, v) - p.joint_information) < tol);
        CHECK(std::abs(at(s.mutual_information, u, v) - p.mutual_information) < tol);
        CHECK(std::abs(at(s.nmi, u, v) - p.nmi) < 10 * tol);
        CHECK(std::abs(at(s.vi, u, v) - p.vi) < tol);
        CHECK(at(s.nmi, u, v) == at(s.nmi, v, u));  // symmetric by construction
        if (u == 0) CHECK(std::abs(s.self_information_a.to_vector()[static_cast<size_t>(v)] - p.self_information_v) < tol);
      }
  }
}

TEST_CASE("info: subspace channels and the rectangular form equal the per-pair definition") {
  const int64_t n = 50;
  Tensor means = normal(Shape{n, 5}, 41, 0, 0, DType::f64);
  Tensor logvars = add(normal(Shape{n, 5}, 41, 1, 0, DType::f64), -1.0);
  info::ChannelSet sub = info::gaussian_subspaces(means, logvars, {2, 3});
  std::vector<double> lab(static_cast<size_t>(n) * 2);
  for (int64_t k = 0; k < n; ++k) {
    lab[static_cast<size_t>(2 * k)] = static_cast<double>(k % 3);
    lab[static_cast<size_t>(2 * k + 1)] = static_cast<double>((k / 7) % 2);
  }
  info::ChannelSet labels = info::label_channels(from_vector(Shape{n, 2}, lab, DType::i64));
  info::SimilarityMatrices r = info::channel_similarity(sub, labels);
  REQUIRE(r.nmi.shape() == Shape{2, 2});
  for (int64_t a = 0; a < 2; ++a) {
    Tensor ca = info::bhattacharyya_coefficient_matrix(slice(means, 1, 2 * a, 2 * a + 2 + a),
                                                       slice(logvars, 1, 2 * a, 2 * a + 2 + a));
    for (int64_t b = 0; b < 2; ++b) {
      info::PairSimilarity p = info::pair_similarity(ca, info::coefficient_matrix(labels, b));
      CHECK(std::abs(at(r.nmi, a, b) - p.nmi) < 1e-9);
      CHECK(std::abs(at(r.vi, a, b) - p.vi) < 1e-9);
      CHECK(std::abs(r.information_b.to_vector()[static_cast<size_t>(b)] - p.information_v) < 1e-9);
      CHECK(std::abs(r.self_information_a.to_vector()[static_cast<size_t>(a)] - p.self_information_u) < 1e-9);
    }
  }
  // Both precisions of the rectangular path agree (f32 on both sides).
  info::ChannelSet sub32 = info::gaussian_subspaces(means.to(DType::f32), logvars.to(DType::f32), {2, 3});
  info::ChannelSet labels32 = labels;
  labels32.dtype = DType::f32;
  info::SimilarityMatrices r32 = info::channel_similarity(sub32, labels32);
  elbo::testing::check_values(r32.vi, r.vi.to_vector(), 5e-6);
  info::FingerprintSample s1 = info::draw_fingerprint_sample(1000, n, 1);
  sub.sample_indices = s1.indices;
  labels.sample_indices = info::draw_fingerprint_sample(1000, n, 2).indices;
  CHECK_THROWS_WITH_AS(info::channel_similarity(sub, labels), doctest::Contains("different fingerprint samples"), Error);
}

TEST_CASE("info: all-pairs results are identical at 1 and 2 threads") {
  info::ChannelSet set = random_channels(257, 37, 51, DType::f32);
  check_thread_invariant("channel_similarity joint f32", [&] { return info::channel_similarity(set).joint_information; });
  check_thread_invariant("channel_similarity nmi f32", [&] { return info::channel_similarity(set).nmi; });
  info::ChannelSet set64 = random_channels(131, 11, 52, DType::f64);
  check_thread_invariant("channel_similarity vi f64", [&] { return info::channel_similarity(set64).vi; });
  info::ChannelSet other = random_channels(257, 5, 53, DType::f32);
  check_thread_invariant("channel_similarity rectangular", [&] { return info::channel_similarity(set, other).vi; });
}

namespace {
// Every matrix of two SimilarityMatrices agrees within `tol` (NMI within 10·tol).
void check_same_similarity(const info::SimilarityMatrices& a, const info::SimilarityMatrices& b, double tol) {
  elbo::testing::check_values(a.information_a, b.information_a.to_vector(), tol);
  elbo::testing::check_values(a.self_information_a, b.self_information_a.to_vector(), tol);
  elbo::testing::check_values(a.joint_information, b.joint_information.to_vector(), tol);
  elbo::testing::check_values(a.mutual_information, b.mutual_information.to_vector(), tol);
  elbo::testing::check_values(a.vi, b.vi.to_vector(), tol);
  elbo::testing::check_values(a.nmi, b.nmi.to_vector(), 10 * tol);
}
}  // namespace

TEST_CASE("info: the tensor-op program of all-pairs NMI and VI equals the fused CPU path") {
  // One-dimensional channels, both precisions, chunks that do and do not divide N.
  for (DType dt : {DType::f64, DType::f32}) {
    info::ChannelSet set = random_channels(61, 8, 71, dt);
    info::SimilarityMatrices fused = info::channel_similarity(set);
    const double tol = dt == DType::f64 ? 1e-10 : 5e-6;
    for (int64_t chunk : {int64_t{1}, int64_t{7}, int64_t{0}}) {
      CAPTURE(chunk);
      info::SimilarityMatrices program = info::channel_similarity_by_tensor_ops(set, Device::cpu, chunk);
      check_same_similarity(program, fused, tol);
      for (int64_t u = 0; u < 8; ++u) CHECK(std::abs(at(program.vi, u, u)) < tol);  // VI(U, U′) of identical draws
    }
  }
  // Subspaces of unequal sizes (summed through the membership matrix).
  Tensor means = normal(Shape{40, 6}, 72, 0, 0, DType::f64);
  Tensor logvars = add(normal(Shape{40, 6}, 72, 1, 0, DType::f64), -1.0);
  info::ChannelSet sub = info::gaussian_subspaces(means, logvars, {1, 2, 3});
  check_same_similarity(info::channel_similarity_by_tensor_ops(sub, Device::cpu, 9), info::channel_similarity(sub), 1e-10);
  // channel_similarity(set, cpu) is the fused path itself.
  info::ChannelSet set = random_channels(30, 4, 73, DType::f32);
  CHECK(info::channel_similarity(set, Device::cpu).vi.to_vector() == info::channel_similarity(set).vi.to_vector());
  // Hard channels have no tensor program: the error says where they run.
  info::ChannelSet labels = info::label_channels(from_vector(Shape{4}, {0, 1, 1, 0}, DType::i64));
  CHECK_THROWS_WITH_AS(info::channel_similarity_by_tensor_ops(labels, Device::cpu), doctest::Contains("run on the CPU"),
                       Error);
}

TEST_CASE("cuda: all-pairs NMI and VI (info) on the GPU equal the CPU's") {
  if (!device_available(Device::cuda)) {
    MESSAGE("cuda: skipped: no CUDA device in this build or on this machine");
    return;
  }
  for (DType dt : {DType::f64, DType::f32}) {
    info::ChannelSet set = random_channels(300, 40, 74, dt);
    info::SimilarityMatrices cpu = info::channel_similarity(set);
    info::SimilarityMatrices gpu = info::channel_similarity(set, Device::cuda);
    check_same_similarity(gpu, cpu, dt == DType::f64 ? 1e-9 : 2e-5);
    // The same bits in a second run (cuBLAS with a fixed workspace, reductions in a fixed order).
    CHECK(info::channel_similarity(set, Device::cuda).vi.to_vector() == gpu.vi.to_vector());
  }
}

TEST_CASE("info: Monte Carlo NMI and VI of whole spaces") {
  // U = V: NMI = 1 and VI = 0 within the propagated errors.
  const int64_t n = 200;
  Tensor mu = normal(Shape{n, 2}, 61, 0, 0, DType::f64), lu = full(Shape{n, 2}, -1.0, DType::f64);
  info::MonteCarloOptions o{.samples = 4000, .seed = 7};
  info::MonteCarloSimilarity same = info::monte_carlo_similarity(mu, lu, mu, lu, o);
  CHECK(same.vi.error > 0.01);
  CHECK(same.information_u.value < 6.0);  // noisy enough not to identify every point
  CHECK(std::abs(same.nmi.value - 1) < 4 * same.nmi.error);
  CHECK(std::abs(same.vi.value) < 4 * same.vi.error);
  CHECK(same.vi.error == doctest::Approx(std::sqrt(4 * same.joint_uv.error * same.joint_uv.error +
                                                   same.joint_uu.error * same.joint_uu.error +
                                                   same.joint_vv.error * same.joint_vv.error)));
  // Nearly hard channels: U identifies each point (means k, σ = 0.01), V only its parity (means
  // 10·(k mod 2)). Then I(U;U′) = log2 N, I(V;V′) = 1 and I(U;V) = 1 bit, so NMI = 1/√(log2 N) and
  // VI = log2 N + 1 − 2 = log2 N − 1; every Monte Carlo sample gives the same value (error ≈ 0).
  std::vector<double> ku(static_cast<size_t>(n)), kv(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) ku[static_cast<size_t>(k)] = static_cast<double>(k), kv[static_cast<size_t>(k)] = 10.0 * (k % 2);
  Tensor hard_u = from_vector(Shape{n, 1}, ku, DType::f64), hard_v = from_vector(Shape{n, 1}, kv, DType::f64);
  Tensor tiny = full(Shape{n, 1}, std::log(1e-4), DType::f64);
  info::MonteCarloSimilarity h = info::monte_carlo_similarity(hard_u, tiny, hard_v, tiny, o);
  const double log2n = std::log2(static_cast<double>(n));
  CHECK(std::abs(h.nmi.value - 1 / std::sqrt(log2n)) < 1e-6);
  CHECK(std::abs(h.vi.value - (log2n - 1)) < 1e-6);
  CHECK(h.vi.error < 1e-6);
}

TEST_CASE("info: inverse-variance weighted mean") {
  info::Estimate e = info::inverse_variance_mean({{1.0, 1.0}, {4.0, 0.5}});
  // weights 1 and 4: (1 + 16)/5 = 3.4, error 1/√5
  CHECK(e.value == doctest::Approx(3.4));
  CHECK(e.error == doctest::Approx(1 / std::sqrt(5.0)));
  CHECK_THROWS_WITH_AS(info::inverse_variance_mean({{1.0, 0.0}}), doctest::Contains("standard error"), Error);
}
