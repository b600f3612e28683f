#include "elbo/metrics/mutual_information.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/error.hpp"

namespace elbo::metrics {
namespace {

// Dense 0-based codes of the labels and their count.
int64_t dense_codes(const int64_t* labels, int64_t n, std::vector<int64_t>& codes) {
  std::vector<int64_t> values(labels, labels + n);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  codes.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    codes[static_cast<size_t>(i)] = std::lower_bound(values.begin(), values.end(), labels[i]) - values.begin();
  return static_cast<int64_t>(values.size());
}

}  // namespace

double mutual_info_score(const int64_t* a, const int64_t* b, int64_t n) {
  ELBO_CHECK(n > 0, "mutual_info_score: need at least one sample");
  std::vector<int64_t> ca, cb;
  const int64_t na = dense_codes(a, n, ca), nb = dense_codes(b, n, cb);
  std::vector<int64_t> joint(static_cast<size_t>(na * nb), 0), count_a(static_cast<size_t>(na), 0),
      count_b(static_cast<size_t>(nb), 0);
  for (int64_t i = 0; i < n; ++i) {
    ++joint[static_cast<size_t>(ca[static_cast<size_t>(i)] * nb + cb[static_cast<size_t>(i)])];
    ++count_a[static_cast<size_t>(ca[static_cast<size_t>(i)])];
    ++count_b[static_cast<size_t>(cb[static_cast<size_t>(i)])];
  }
  const double total = static_cast<double>(n), log_total = std::log(total);
  double mi = 0.0;
  for (int64_t u = 0; u < na; ++u)
    for (int64_t v = 0; v < nb; ++v) {
      const int64_t c = joint[static_cast<size_t>(u * nb + v)];
      if (c == 0) continue;
      const double nuv = static_cast<double>(c);
      mi += nuv / total *
            (std::log(nuv) + log_total - std::log(static_cast<double>(count_a[static_cast<size_t>(u)])) -
             std::log(static_cast<double>(count_b[static_cast<size_t>(v)])));
    }
  return std::max(mi, 0.0);
}

double discrete_entropy(const int64_t* a, int64_t n) { return mutual_info_score(a, a, n); }

std::vector<double> discrete_mutual_info(const int64_t* codes, int64_t D, const int64_t* factors, int64_t K, int64_t n) {
  std::vector<double> m(static_cast<size_t>(D * K));
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t q = 0; q < D * K; ++q) {
    const int64_t i = q / K, j = q % K;
    m[static_cast<size_t>(q)] = mutual_info_score(factors + j * n, codes + i * n, n);
  }
  return m;
}

}  // namespace elbo::metrics
