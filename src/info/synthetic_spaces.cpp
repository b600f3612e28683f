// The nine synthetic spaces and the comparison of measures; see elbo/info/synthetic_spaces.hpp.
#include "elbo/info/synthetic_spaces.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "elbo/info/bhattacharyya.hpp"
#include "elbo/info/cka.hpp"
#include "elbo/info/nmi_vi.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo::info {

namespace {

constexpr int64_t kPoints = 64;

RepresentationSpace space(const std::string& name, const std::vector<double>& means,
                          const std::vector<double>& logvars, int64_t dims) {
  return {name, from_vector(Shape{kPoints, dims}, means, DType::f64), from_vector(Shape{kPoints, dims}, logvars, DType::f64)};
}

std::vector<double> constant(double value, int64_t dims) {
  return std::vector<double>(static_cast<size_t>(kPoints * dims), value);
}

// Means of the square spiral (iv, v): 64 positions, each step along the current direction. The
// notebook's moves are an f32 array, so each step is the f32 rounding of the step size (0.6 becomes
// 0.60000002…) added to f64 positions; so here.
std::vector<double> square_spiral() {
  const double moves[4][2] = {{0, 1}, {1, 0}, {0, -1}, {-1, 0}};  // up, right, down, left
  double x = 0, y = 0, step = 0.5;
  int direction = 0, steps_on_side = 0, side_length = 1;
  std::vector<double> m = {0.0, 0.0};
  for (int64_t k = 1; k < kPoints; ++k) {
    const double f32_step = static_cast<double>(static_cast<float>(step));
    x += f32_step * moves[direction][0];
    y += f32_step * moves[direction][1];
    if (++steps_on_side == side_length) {  // turn
      steps_on_side = 0;
      direction = (direction + 1) % 4;
      step += 0.1;
      if (direction % 2 == 0) ++side_length;
    }
    m.push_back(x);
    m.push_back(y);
  }
  return m;
}

// Clusters of equal size at the given centres, in order.
std::vector<double> clusters(const std::vector<std::array<double, 2>>& centres) {
  std::vector<double> m;
  const int64_t per = kPoints / static_cast<int64_t>(centres.size());
  for (const auto& c : centres)
    for (int64_t k = 0; k < per; ++k) m.insert(m.end(), {c[0], c[1]});
  return m;
}

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t k = 0; k < order.size();) {
    size_t end = k;
    while (end + 1 < order.size() && v[order[end + 1]] == v[order[k]]) ++end;
    double mean_rank = 0.5 * static_cast<double>(k + end) + 1.0;  // ranks k+1 .. end+1 share their mean
    for (size_t t = k; t <= end; ++t) r[order[t]] = mean_rank;
    k = end + 1;
  }
  return r;
}

}  // namespace

std::vector<RepresentationSpace> synthetic_spaces() {
  std::vector<double> spiral, bloating;
  for (int64_t x = 0; x < kPoints; ++x) {
    double r = std::sqrt(static_cast<double>(x)), angle = 2 * M_PI * r * 0.2;
    spiral.insert(spiral.end(), {r * std::cos(angle), r * std::sin(angle)});
    bloating.insert(bloating.end(), {0.1 + r - 4.5, 0.1 + r - 4.5});
  }
  std::vector<double> line;
  for (int64_t x = 0; x < kPoints; ++x) line.push_back(-32.0 + 64.0 * static_cast<double>(x) / (kPoints - 1));
  std::vector<double> stretched;
  for (int64_t x = 0; x < kPoints; ++x) stretched.insert(stretched.end(), {1.0, 4.0});
  const double a = 5.6, b = 6.4;  // 0.7·8 and 0.8·8
  return {
      space("i", spiral, constant(0.1, 2), 2),
      space("ii", spiral, constant(2.1, 2), 2),
      space("iii", spiral, bloating, 2),
      space("iv", square_spiral(), constant(0.0, 2), 2),
      space("v", square_spiral(), constant(2.5, 2), 2),
      space("vi", line, constant(-1.0, 1), 1),
      space("vii", clusters({{{-b, 0}}, {{b, 0}}}), constant(1.0, 2), 2),
      space("viii", clusters({{{-a, a}}, {{a, a}}, {{a, -a}}, {{-a, -a}}}), constant(1.0, 2), 2),
      space("ix", clusters({{{-a, a}}, {{-a, -a}}, {{a, -a}}, {{a, a}}}), stretched, 2),
  };
}

double spearman_correlation(const std::vector<double>& a, const std::vector<double>& b) {
  ELBO_CHECK(a.size() == b.size() && a.size() >= 2, "spearman_correlation: need two series of equal length ≥ 2, got ",
             a.size(), " and ", b.size());
  std::vector<double> ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(a.size());
  double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n, mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t k = 0; k < ra.size(); ++k) {
    sab += (ra[k] - ma) * (rb[k] - mb);
    saa += (ra[k] - ma) * (ra[k] - ma);
    sbb += (rb[k] - mb) * (rb[k] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

MeasureTable compare_spaces(const std::vector<RepresentationSpace>& spaces, const SpaceComparisonOptions& options) {
  const int64_t s = static_cast<int64_t>(spaces.size());
  ELBO_CHECK(s >= 2, "compare_spaces: need at least two spaces");
  for (const RepresentationSpace& sp : spaces)
    ELBO_CHECK(sp.means.size(0) == spaces[0].means.size(0), "compare_spaces: space ", sp.name, " has ",
               sp.means.size(0), " points, space ", spaces[0].name, " has ", spaces[0].means.size(0));
  MeasureTable t;
  t.measures = {"cka_linear", "cka_coefficient", "cka_rbf", "nmi_fingerprint", "vi_fingerprint"};
  if (options.monte_carlo) t.measures.insert(t.measures.end(), {"nmi_monte_carlo", "vi_monte_carlo"});
  const int64_t nm = static_cast<int64_t>(t.measures.size());
  std::vector<std::vector<double>> v(static_cast<size_t>(nm), std::vector<double>(static_cast<size_t>(s * s)));
  auto set = [&](int64_t m, int64_t u, int64_t w, double x) {
    v[static_cast<size_t>(m)][static_cast<size_t>(u * s + w)] = x;
    v[static_cast<size_t>(m)][static_cast<size_t>(w * s + u)] = x;
  };
  std::vector<Tensor> coefficients;
  for (const RepresentationSpace& sp : spaces) coefficients.push_back(bhattacharyya_coefficient_matrix(sp.means, sp.logvars));
  // Monte Carlo: I(U;X) and I(U,U′;X) once per space, I(U,V;X) once per pair, each on its own streams.
  std::vector<Estimate> single(static_cast<size_t>(s)), twice(static_cast<size_t>(s));
  auto mc = [&](const Tensor& m, const Tensor& l, uint64_t k) {
    MonteCarloOptions o = options.monte_carlo_options;
    o.stream = options.monte_carlo_options.stream + 2 * k;
    return monte_carlo_information(m, l, o).value;
  };
  if (options.monte_carlo)
    for (int64_t u = 0; u < s; ++u) {
      const RepresentationSpace& sp = spaces[static_cast<size_t>(u)];
      single[static_cast<size_t>(u)].value = mc(sp.means, sp.logvars, static_cast<uint64_t>(2 * u));
      twice[static_cast<size_t>(u)].value =
          mc(concat({sp.means, sp.means}, 1), concat({sp.logvars, sp.logvars}, 1), static_cast<uint64_t>(2 * u + 1));
    }
  uint64_t pair = static_cast<uint64_t>(2 * s);
  for (int64_t u = 0; u < s; ++u)
    for (int64_t w = u; w < s; ++w) {
      const RepresentationSpace &a = spaces[static_cast<size_t>(u)], &b = spaces[static_cast<size_t>(w)];
      set(0, u, w, linear_cka(a.means, b.means));
      set(1, u, w, cka(coefficients[static_cast<size_t>(u)], coefficients[static_cast<size_t>(w)]));
      set(2, u, w, rbf_cka(a.means, a.logvars, b.means, b.logvars));
      PairSimilarity p = pair_similarity(coefficients[static_cast<size_t>(u)], coefficients[static_cast<size_t>(w)]);
      set(3, u, w, p.nmi);
      set(4, u, w, p.vi);
      if (!options.monte_carlo) continue;
      double iu = single[static_cast<size_t>(u)].value, iw = single[static_cast<size_t>(w)].value;
      double iuu = twice[static_cast<size_t>(u)].value, iww = twice[static_cast<size_t>(w)].value;
      double iuw = u == w ? iuu : mc(concat({a.means, b.means}, 1), concat({a.logvars, b.logvars}, 1), pair++);
      set(5, u, w, (iu + iw - iuw) / std::sqrt((2 * iu - iuu) * (2 * iw - iww)));
      set(6, u, w, 2 * iuw - iuu - iww);
    }
  for (int64_t m = 0; m < nm; ++m) t.values.push_back(from_vector(Shape{s, s}, v[static_cast<size_t>(m)], DType::f64));
  // Spearman's ρ between measures over the pairs u < w.
  std::vector<std::vector<double>> upper(static_cast<size_t>(nm));
  for (int64_t m = 0; m < nm; ++m)
    for (int64_t u = 0; u < s; ++u)
      for (int64_t w = u + 1; w < s; ++w) upper[static_cast<size_t>(m)].push_back(v[static_cast<size_t>(m)][static_cast<size_t>(u * s + w)]);
  std::vector<double> rho(static_cast<size_t>(nm * nm));
  for (int64_t m = 0; m < nm; ++m)
    for (int64_t k = 0; k < nm; ++k)
      rho[static_cast<size_t>(m * nm + k)] = spearman_correlation(upper[static_cast<size_t>(m)], upper[static_cast<size_t>(k)]);
  t.spearman = from_vector(Shape{nm, nm}, rho, DType::f64);
  return t;
}

}  // namespace elbo::info
