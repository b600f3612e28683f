// OPTICS and the ξ-steep cluster extraction with scikit-learn's semantics, and hotspots; see
// elbo/info/optics.hpp.
#include "elbo/info/optics.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace elbo::info {

namespace {

// numpy.around(x, 15) for float64, which numpy computes as rint(x · 10¹⁵) / 10¹⁵.
double round15(double x) { return std::nearbyint(x * 1e15) / 1e15; }

// A steep area extended as far as it goes: scikit-learn's _extend_region. `steep` and `xward`
// are the steep-upward/downward flags (steep downward regions use `upward` as xward, and the other
// way round); at most min_samples consecutive points that are neither may lie inside.
int64_t extend_region(const std::vector<bool>& steep, const std::vector<bool>& xward, int64_t start, int64_t min_samples) {
  const int64_t n = static_cast<int64_t>(steep.size());
  int64_t non_xward = 0, end = start;
  for (int64_t index = start; index < n; ++index) {
    if (steep[static_cast<size_t>(index)]) {
      non_xward = 0;
      end = index;
    } else if (!xward[static_cast<size_t>(index)]) {
      if (++non_xward > min_samples) break;  // a long flat stretch ends the region
    } else {
      return end;  // the plot turns the other way
    }
  }
  return end;
}

struct SteepDownArea {
  int64_t start, end;
  double mib;  // the maximum reachability between the area and the current point
};

// Drop the steep down areas that the maximum in between (mib) has climbed over, and raise the
// others' mib: scikit-learn's _update_filter_sdas.
void filter_areas(std::vector<SteepDownArea>& areas, double mib, double xi_complement, const std::vector<double>& r) {
  if (std::isinf(mib)) {
    areas.clear();
    return;
  }
  std::vector<SteepDownArea> kept;
  for (SteepDownArea a : areas)
    if (mib <= r[static_cast<size_t>(a.start)] * xi_complement) {
      a.mib = std::max(a.mib, mib);
      kept.push_back(a);
    }
  areas = kept;
}

// Schubert & Gertz (2018), Algorithm 2: shrink [s, e] from the end until its last point's
// predecessor lies inside the cluster (or the start is higher than the end).
std::optional<std::array<int64_t, 2>> correct_predecessor(const std::vector<double>& r,
                                                           const std::vector<int64_t>& predecessor_plot,
                                                           const std::vector<int64_t>& ordering, int64_t s, int64_t e,
                                                           PredecessorCorrection rule) {
  const int64_t n = static_cast<int64_t>(ordering.size());
  while (s < e) {
    if (r[static_cast<size_t>(s)] > r[static_cast<size_t>(e)]) return std::array<int64_t, 2>{s, e};
    int64_t p = predecessor_plot[static_cast<size_t>(e)];
    if (rule == PredecessorCorrection::sklearn_1_2)  // ordering[predecessor], Python's ordering[−1] for −1
      p = ordering[static_cast<size_t>(p < 0 ? p + n : p)];
    for (int64_t i = s; i < e; ++i)
      if (p == ordering[static_cast<size_t>(i)]) return std::array<int64_t, 2>{s, e};
    --e;
  }
  return std::nullopt;
}

// scikit-learn's _xi_cluster on the reachability plot r (reachability in processing order).
std::vector<std::array<int64_t, 2>> xi_clusters(std::vector<double> r, const std::vector<int64_t>& predecessor_plot,
                                                const std::vector<int64_t>& ordering, const OpticsOptions& o,
                                                int64_t min_cluster_size) {
  const int64_t n = static_cast<int64_t>(r.size());
  r.push_back(INFINITY);  // so that a cluster can end at the last point
  const double xi_complement = 1 - o.xi;
  std::vector<bool> steep_up(static_cast<size_t>(n)), steep_down(steep_up.size()), up(steep_up.size()),
      down(steep_up.size());
  for (int64_t k = 0; k < n; ++k) {
    double q = r[static_cast<size_t>(k)] / r[static_cast<size_t>(k) + 1];
    steep_up[static_cast<size_t>(k)] = q <= xi_complement;
    steep_down[static_cast<size_t>(k)] = q >= 1 / xi_complement;
    down[static_cast<size_t>(k)] = q > 1;
    up[static_cast<size_t>(k)] = q < 1;
  }
  std::vector<SteepDownArea> areas;
  std::vector<std::array<int64_t, 2>> clusters;
  int64_t index = 0;
  double mib = 0.0;
  for (int64_t steep = 0; steep < n; ++steep) {
    if (!steep_up[static_cast<size_t>(steep)] && !steep_down[static_cast<size_t>(steep)]) continue;
    if (steep < index) continue;  // inside an area already found
    for (int64_t k = index; k <= steep; ++k) mib = std::max(mib, r[static_cast<size_t>(k)]);
    if (steep_down[static_cast<size_t>(steep)]) {
      filter_areas(areas, mib, xi_complement, r);
      int64_t end = extend_region(steep_down, up, steep, o.min_samples);
      areas.push_back({steep, end, 0.0});
      index = end + 1;
      mib = r[static_cast<size_t>(index)];
      continue;
    }
    filter_areas(areas, mib, xi_complement, r);
    const int64_t up_start = steep, up_end = extend_region(steep_up, down, steep, o.min_samples);
    index = up_end + 1;
    mib = r[static_cast<size_t>(index)];
    std::vector<std::array<int64_t, 2>> found;
    for (const SteepDownArea& a : areas) {
      int64_t c_start = a.start, c_end = up_end;
      const double after = r[static_cast<size_t>(c_end) + 1];
      if (after * xi_complement < a.mib) continue;
      // Definition 11, criterion 4: trim the higher side to the level of the lower one.
      const double d_max = r[static_cast<size_t>(a.start)];
      if (d_max * xi_complement >= after) {
        while (r[static_cast<size_t>(c_start) + 1] > after && c_start < a.end) ++c_start;
      } else if (after * xi_complement >= d_max) {
        while (r[static_cast<size_t>(c_end) - 1] > d_max && c_end > up_start) --c_end;
      }
      if (o.correction != PredecessorCorrection::none) {
        auto c = correct_predecessor(r, predecessor_plot, ordering, c_start, c_end, o.correction);
        if (!c) continue;
        c_start = (*c)[0];
        c_end = (*c)[1];
      }
      if (c_end - c_start + 1 < min_cluster_size) continue;  // criterion 3.a
      if (c_start > a.end) continue;                         // criterion 1
      if (c_end < up_start) continue;                        // criterion 2
      found.push_back({c_start, c_end});
    }
    clusters.insert(clusters.end(), found.rbegin(), found.rend());  // smaller clusters first
  }
  return clusters;
}

}  // namespace

OpticsResult optics(const Tensor& distances, const OpticsOptions& o) {
  ELBO_CHECK(distances.defined() && distances.ndim() == 2 && distances.size(0) == distances.size(1) &&
                 is_floating(distances.dtype()),
             "optics: need a square f32/f64 distance matrix, got ", distances.defined() ? distances.str() : "undefined");
  const int64_t n = distances.size(0);
  ELBO_CHECK(o.min_samples >= 2 && o.min_samples <= n, "optics: min_samples = ", o.min_samples, " must be in [2, ", n,
             "] (the number of points)");
  const int64_t min_cluster_size = o.min_cluster_size == 0 ? o.min_samples : o.min_cluster_size;
  ELBO_CHECK(min_cluster_size >= 2 && min_cluster_size <= n, "optics: min_cluster_size = ", min_cluster_size,
             " must be in [2, ", n, "]");
  ELBO_CHECK(o.xi > 0 && o.xi < 1, "optics: xi = ", o.xi, " must be in (0, 1)");
  ELBO_CHECK(o.max_eps > 0, "optics: max_eps = ", o.max_eps, " must be positive");
  const std::vector<double> d = distances.to_vector();
  for (size_t k = 0; k < d.size(); ++k)
    ELBO_CHECK(std::isfinite(d[k]) && d[k] >= 0, "optics: distance [", k / static_cast<size_t>(n), ", ",
               k % static_cast<size_t>(n), "] = ", d[k], " (distances must be finite and non-negative)");

  OpticsResult res;
  res.core_distances.resize(static_cast<size_t>(n));
  std::vector<double> row(static_cast<size_t>(n));
  for (int64_t p = 0; p < n; ++p) {  // the min_samples-th smallest distance in the row, itself included
    std::copy(d.begin() + p * n, d.begin() + (p + 1) * n, row.begin());
    std::nth_element(row.begin(), row.begin() + (o.min_samples - 1), row.end());
    double core = row[static_cast<size_t>(o.min_samples - 1)];
    res.core_distances[static_cast<size_t>(p)] = round15(core > o.max_eps ? INFINITY : core);
  }
  res.reachability.assign(static_cast<size_t>(n), INFINITY);
  res.predecessor.assign(static_cast<size_t>(n), -1);
  std::vector<bool> processed(static_cast<size_t>(n), false);
  for (int64_t step = 0; step < n; ++step) {
    int64_t point = -1;  // the unprocessed point of smallest reachability, the smallest index on ties
    for (int64_t q = 0; q < n; ++q)
      if (!processed[static_cast<size_t>(q)] &&
          (point < 0 || res.reachability[static_cast<size_t>(q)] < res.reachability[static_cast<size_t>(point)]))
        point = q;
    processed[static_cast<size_t>(point)] = true;
    res.ordering.push_back(point);
    const double core = res.core_distances[static_cast<size_t>(point)];
    if (std::isinf(core)) continue;
    for (int64_t q = 0; q < n; ++q) {
      double dist = d[static_cast<size_t>(point * n + q)];
      if (processed[static_cast<size_t>(q)] || !(dist <= o.max_eps)) continue;
      double reach = round15(std::max(dist, core));
      if (reach < res.reachability[static_cast<size_t>(q)]) {
        res.reachability[static_cast<size_t>(q)] = reach;
        res.predecessor[static_cast<size_t>(q)] = point;
      }
    }
  }

  std::vector<double> plot(static_cast<size_t>(n));
  std::vector<int64_t> predecessor_plot(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    plot[static_cast<size_t>(k)] = res.reachability[static_cast<size_t>(res.ordering[static_cast<size_t>(k)])];
    predecessor_plot[static_cast<size_t>(k)] = res.predecessor[static_cast<size_t>(res.ordering[static_cast<size_t>(k)])];
  }
  res.clusters = xi_clusters(plot, predecessor_plot, res.ordering, o, min_cluster_size);
  std::vector<int64_t> plot_labels(static_cast<size_t>(n), -1);
  int64_t label = 0;
  for (const auto& c : res.clusters) {
    bool free = std::all_of(plot_labels.begin() + c[0], plot_labels.begin() + c[1] + 1, [](int64_t l) { return l == -1; });
    if (!free) continue;
    std::fill(plot_labels.begin() + c[0], plot_labels.begin() + c[1] + 1, label++);
  }
  res.labels.assign(static_cast<size_t>(n), -1);
  for (int64_t k = 0; k < n; ++k)
    res.labels[static_cast<size_t>(res.ordering[static_cast<size_t>(k)])] = plot_labels[static_cast<size_t>(k)];
  return res;
}

Hotspots find_hotspots(const SimilarityMatrices& s, const HotspotOptions& options) {
  ELBO_CHECK(s.vi.defined() && s.vi.ndim() == 2 && s.vi.size(0) == s.vi.size(1),
             "find_hotspots: need the square all-pairs results of channel_similarity(set)");
  const int64_t m = s.vi.size(0);
  std::vector<double> information = s.information_a.to_vector();
  std::vector<double> source = (options.distance == HotspotDistance::vi ? s.vi : s.nmi).to_vector();
  Hotspots h;
  for (int64_t c = 0; c < m; ++c)
    if (information[static_cast<size_t>(c)] >= options.min_information) h.channels.push_back(c);
  const int64_t k = static_cast<int64_t>(h.channels.size());
  ELBO_CHECK(k >= options.optics.min_samples, "find_hotspots: only ", k, " of ", m, " channels carry at least ",
             options.min_information, " bits; OPTICS needs at least min_samples = ", options.optics.min_samples);
  h.distances = empty(Shape{k, k}, DType::f64);
  double* out = h.distances.data<double>();
  for (int64_t a = 0; a < k; ++a)
    for (int64_t b = 0; b < k; ++b) {
      double v = source[static_cast<size_t>(h.channels[static_cast<size_t>(a)] * m + h.channels[static_cast<size_t>(b)])];
      out[a * k + b] = options.distance == HotspotDistance::vi ? std::max(v, 0.0)
                                                               : -std::log(std::min(std::max(v, 1e-4), 1.0));
    }
  h.clustering = optics(h.distances, options.optics);
  return h;
}

}  // namespace elbo::info
