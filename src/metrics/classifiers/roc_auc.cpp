#include "elbo/metrics/classifiers/roc_auc.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "elbo/error.hpp"

namespace elbo::metrics {

double roc_auc(const double* scores, const uint8_t* positive, int64_t n) {
  int64_t num_positive = 0;
  for (int64_t i = 0; i < n; ++i) {
    ELBO_CHECK(!std::isnan(scores[i]), "roc_auc: score ", i, " is NaN");
    num_positive += positive[i] != 0;
  }
  const int64_t num_negative = n - num_positive;
  ELBO_CHECK(num_positive > 0 && num_negative > 0, "roc_auc: need both classes, got ", num_positive,
             " positives and ", num_negative, " negatives");
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] < scores[b] || (scores[a] == scores[b] && a < b); });
  // Ranks are 1-based; a run of equal scores at positions [start, end) shares rank (start + end + 1) / 2.
  double positive_rank_sum = 0.0;
  for (int64_t start = 0; start < n;) {
    int64_t end = start + 1;
    while (end < n && scores[order[static_cast<size_t>(end)]] == scores[order[static_cast<size_t>(start)]]) ++end;
    const double mean_rank = 0.5 * static_cast<double>(start + end + 1);
    for (int64_t p = start; p < end; ++p)
      if (positive[order[static_cast<size_t>(p)]]) positive_rank_sum += mean_rank;
    start = end;
  }
  const double np = static_cast<double>(num_positive), nn = static_cast<double>(num_negative);
  return (positive_rank_sum - np * (np + 1.0) / 2.0) / (np * nn);
}

double roc_auc_one_vs_rest(const double* proba, const int64_t* labels, int64_t n, int64_t K) {
  std::vector<double> column(static_cast<size_t>(n));
  std::vector<uint8_t> positive(static_cast<size_t>(n));
  double total = 0.0;
  int64_t counted = 0;
  for (int64_t k = 0; k < K; ++k) {
    int64_t num_positive = 0;
    for (int64_t i = 0; i < n; ++i) {
      column[static_cast<size_t>(i)] = proba[i * K + k];
      positive[static_cast<size_t>(i)] = labels[i] == k;
      num_positive += labels[i] == k;
    }
    if (num_positive == 0 || num_positive == n) continue;
    total += roc_auc(column.data(), positive.data(), n);
    ++counted;
  }
  return counted > 0 ? total / static_cast<double>(counted) : std::nan("");
}

}  // namespace elbo::metrics
