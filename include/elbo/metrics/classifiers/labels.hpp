// Class labels shared by the classifiers: the sorted set of classes, each sample's index into it,
// and accuracy. Labels are arbitrary int64 values; classifiers predict the label values.
#pragma once
#include <cstdint>
#include <vector>

namespace elbo::metrics {

// The distinct values of y[0..n), ascending.
std::vector<int64_t> sorted_classes(const int64_t* y, int64_t n);

// Position of each y[i] in `classes` (which must hold every value of y).
std::vector<int64_t> class_indices(const std::vector<int64_t>& classes, const int64_t* y, int64_t n);

// Fraction of i with predicted[i] == truth[i]; n must be positive.
double accuracy(const int64_t* predicted, const int64_t* truth, int64_t n);

}  // namespace elbo::metrics
