#include "elbo/metrics/classifiers/labels.hpp"

#include <algorithm>

#include "elbo/error.hpp"

namespace elbo::metrics {

std::vector<int64_t> sorted_classes(const int64_t* y, int64_t n) {
  std::vector<int64_t> classes(y, y + n);
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  return classes;
}

std::vector<int64_t> class_indices(const std::vector<int64_t>& classes, const int64_t* y, int64_t n) {
  std::vector<int64_t> index(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    auto it = std::lower_bound(classes.begin(), classes.end(), y[i]);
    ELBO_CHECK(it != classes.end() && *it == y[i], "class_indices: label ", y[i], " of sample ", i,
               " is not one of the ", classes.size(), " training classes");
    index[static_cast<size_t>(i)] = it - classes.begin();
  }
  return index;
}

double accuracy(const int64_t* predicted, const int64_t* truth, int64_t n) {
  ELBO_CHECK(n > 0, "accuracy: need at least one sample");
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i) hits += predicted[i] == truth[i];
  return static_cast<double>(hits) / static_cast<double>(n);
}

}  // namespace elbo::metrics
