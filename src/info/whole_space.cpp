// Whole latent spaces compared by Monte Carlo; the formulas, their source and the random streams are
// in elbo/info/whole_space.hpp.
#include "elbo/info/whole_space.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "elbo/error.hpp"
#include "info/gaussian_mixture.hpp"

namespace elbo::info {

namespace {

// The estimates in stream order: K informations, K self-joints, then the pairs a < b row-major.
std::vector<detail::JointChannel> estimate_channels(const std::vector<detail::GaussianMixture>& spaces) {
  const size_t k = spaces.size();
  std::vector<detail::JointChannel> channels;
  for (size_t a = 0; a < k; ++a) channels.push_back({{&spaces[a]}});
  for (size_t a = 0; a < k; ++a) channels.push_back({{&spaces[a], &spaces[a]}});
  for (size_t a = 0; a < k; ++a)
    for (size_t b = a + 1; b < k; ++b) channels.push_back({{&spaces[a], &spaces[b]}});
  return channels;
}

}  // namespace

WholeSpaceSimilarity whole_space_similarity(const std::vector<LatentSpace>& spaces, const WholeSpaceOptions& options) {
  ELBO_CHECK(!spaces.empty(), "whole_space_similarity: no latent spaces (give one per model)");
  ELBO_CHECK(options.samples >= 2, "whole_space_similarity: need at least 2 Monte Carlo samples per estimate, got ",
             options.samples);
  std::vector<detail::GaussianMixture> mixtures;
  mixtures.reserve(spaces.size());  // the channels below point into it
  for (size_t k = 0; k < spaces.size(); ++k) {
    mixtures.emplace_back("whole_space_similarity", spaces[k].means, spaces[k].logvars);
    ELBO_CHECK(mixtures[k].count == mixtures[0].count, "whole_space_similarity: space ", k, " holds ",
               mixtures[k].count, " posteriors but space 0 holds ", mixtures[0].count,
               "; every model must embed the same data points");
  }
  const int64_t num_spaces = static_cast<int64_t>(spaces.size()), n = mixtures[0].count, samples = options.samples;
  ELBO_CHECK(n >= 2, "whole_space_similarity: the spaces hold ", n, " data point (need at least 2)");
  const std::vector<detail::JointChannel> channels = estimate_channels(mixtures);
  const int64_t num_estimates = static_cast<int64_t>(channels.size()), total = num_estimates * samples;
  int64_t max_dims = 0;
  for (const detail::JointChannel& c : channels) max_dims = std::max(max_dims, c.dims());

  // Every (estimate, block of samples) is one item writing its own values; threads take items in any
  // order.
  std::vector<double> values(static_cast<size_t>(total));
  const int64_t blocks = (samples + detail::kSampleBlock - 1) / detail::kSampleBlock, items = num_estimates * blocks;
  int64_t done = 0;
#pragma omp parallel
  {
    std::vector<double> u(static_cast<size_t>(detail::kSampleBlock * max_dims));
    std::vector<double> log_p(static_cast<size_t>(detail::kSampleBlock * n));
    const bool reporter = omp_get_thread_num() == 0 && options.on_progress;
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t e = item / blocks, first = (item % blocks) * detail::kSampleBlock;
      const int64_t count = std::min(detail::kSampleBlock, samples - first);
      detail::monte_carlo_samples(channels[static_cast<size_t>(e)], options.seed,
                                  options.stream + 2 * static_cast<uint64_t>(e), first, count, u.data(), log_p.data(),
                                  values.data() + e * samples + first);
      int64_t now;
#pragma omp atomic capture
      now = done += count;
      if (reporter && now < total) options.on_progress(now, total);
    }
  }
  if (options.on_progress) options.on_progress(total, total);

  std::vector<Estimate> estimates(static_cast<size_t>(num_estimates));
  for (int64_t e = 0; e < num_estimates; ++e)
    estimates[static_cast<size_t>(e)] = detail::mean_and_error(values.data() + e * samples, samples);

  WholeSpaceSimilarity r;
  r.spaces = num_spaces;
  r.points = n;
  r.samples = samples;
  r.information.assign(estimates.begin(), estimates.begin() + num_spaces);
  r.self_joint.assign(estimates.begin() + num_spaces, estimates.begin() + 2 * num_spaces);
  const size_t cells = static_cast<size_t>(num_spaces * num_spaces);
  r.joint.resize(cells), r.mutual_information.resize(cells), r.nmi.resize(cells), r.vi.resize(cells);
  for (int64_t a = 0; a < num_spaces; ++a) {
    const size_t at = static_cast<size_t>(a * num_spaces + a);
    const Estimate &i = r.information[static_cast<size_t>(a)], &ii = r.self_joint[static_cast<size_t>(a)];
    r.joint[at] = ii;
    r.mutual_information[at] = {2 * i.value - ii.value, std::sqrt(4 * i.error * i.error + ii.error * ii.error)};
    r.nmi[at] = {1.0, 0.0};
    r.vi[at] = {0.0, 0.0};
  }
  size_t pair = static_cast<size_t>(2 * num_spaces);
  for (int64_t a = 0; a < num_spaces; ++a)
    for (int64_t b = a + 1; b < num_spaces; ++b, ++pair) {
      const EstimatedSimilarity s = similarity_from_estimates(
          r.information[static_cast<size_t>(a)], r.information[static_cast<size_t>(b)],
          r.self_joint[static_cast<size_t>(a)], r.self_joint[static_cast<size_t>(b)], estimates[pair]);
      for (size_t at : {static_cast<size_t>(a * num_spaces + b), static_cast<size_t>(b * num_spaces + a)}) {
        r.joint[at] = estimates[pair];
        r.mutual_information[at] = s.mutual_information;
        r.nmi[at] = s.nmi;
        r.vi[at] = s.vi;
      }
    }
  return r;
}

namespace {

CombinedEstimate combine(const std::vector<Estimate>& estimates) {
  CombinedEstimate c;
  std::vector<Estimate> usable;
  for (const Estimate& e : estimates)
    if (std::isfinite(e.value) && std::isfinite(e.error) && e.error > 0) usable.push_back(e);
  c.used = static_cast<int64_t>(usable.size());
  if (usable.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    c.mean = {nan, nan};
    return c;
  }
  c.mean = inverse_variance_mean(usable);
  if (usable.size() > 1) {
    double sum = 0, squares = 0;
    for (const Estimate& e : usable) sum += e.value;
    const double mean = sum / static_cast<double>(usable.size());
    for (const Estimate& e : usable) squares += (e.value - mean) * (e.value - mean);
    c.spread = std::sqrt(squares / static_cast<double>(usable.size() - 1));
  }
  return c;
}

}  // namespace

WholeSpaceSummary summarise_whole_spaces(const WholeSpaceSimilarity& r) {
  const double log2n = std::log2(static_cast<double>(r.points));
  std::vector<Estimate> fractions, nmi, vi;
  for (const Estimate& e : r.information) fractions.push_back({e.value / log2n, e.error / log2n});
  for (int64_t a = 0; a < r.spaces; ++a)
    for (int64_t b = a + 1; b < r.spaces; ++b) {
      nmi.push_back(r.nmi_at(a, b));
      vi.push_back(r.vi_at(a, b));
    }
  return {combine(fractions), combine(nmi), combine(vi)};
}

}  // namespace elbo::info
