// The suite's metrics that need only codes and factors, on arrays computed elsewhere (for instance
// by a PyTorch model): MIG, SAP, DCI, modularity and explicitness, IRS and the unsupervised scores.
// BetaVAE and FactorVAE are left out: they choose which images to encode (pairs sharing a factor,
// batches with one factor fixed), so they need the dataset and a representation (suite.hpp).
//
// Input: codes [N, D] and factors [N, K], row n of both describing the same image; optionally a
// separate test set. disentanglement_lib draws 10,000 training points (and 5,000 test points for
// SAP, DCI and explicitness) afresh for each metric; here the points are given, so they are chosen
// once, by a random sample without replacement, and shared by every metric:
//
//   no test arrays:  π = a Philox-seeded Fisher–Yates shuffle of the N rows (see sample_rows);
//                    if N ≥ num_train + num_test: train = π[0, num_train), test = the next num_test
//                    otherwise the same 2 : 1 proportion: n_test = ⌊N · num_test / (num_train + num_test)⌋,
//                    train = π[0, N − n_test), test = the rest
//   test arrays:     train = min(num_train, N) rows sampled from the training arrays,
//                    test  = min(num_test, M) rows sampled from the test arrays (own permutation)
//
// Each chosen set keeps the arrays' row order (the sampled rows are sorted), so when every row is
// used the set is the input itself. The single-sample metrics (MIG, modularity, IRS, unsupervised)
// use the training set only, as the reference does. The split does not depend on which metrics
// run, so leaving a metric out changes no other value. Values come under the suite's key names
// (suite.hpp: "mig.discrete_mig", "dci.disentanglement", ...), so suite_table and suite_json
// format them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/metrics/suite.hpp"

namespace elbo::metrics {

// The metric names this file computes, in suite order: mig, sap, dci, modularity_explicitness,
// irs, unsupervised.
const std::vector<std::string>& codes_metric_names();

// Any real or integer array [N, D] as f64, contiguous, on the CPU. Fails naming `what` (the file)
// when it is not 2-D, is empty, or holds a NaN or an infinity (with the row and column).
Tensor codes_from_array(const Tensor& array, const std::string& what);
// Any real or integer array [N, K] as i64 class indices. A floating array must hold integers
// (1.0, not 1.5); fails naming `what`, the element and its value otherwise, and on NaN.
Tensor factors_from_array(const Tensor& array, const std::string& what);

// `count` distinct rows of 0..n−1, sorted: the first `count` entries of a Fisher–Yates shuffle
// drawing j = i + rng.below(n − i) at step i. count == n returns 0..n−1 without drawing.
std::vector<int64_t> sample_rows(int64_t n, int64_t count, Rng& rng);

// The rows `rows` of a [N, C] array, in that order.
Tensor take_rows(const Tensor& array, const std::vector<int64_t>& rows);

struct CodesSplit {
  Tensor codes_train, factors_train;  // f64 [n_train, D], i64 [n_train, K]
  Tensor codes_test, factors_test;    // f64 [n_test, D],  i64 [n_test, K]
};

// Both functions take validated arrays (codes_from_array, factors_from_array) with matching rows.
// One set of arrays, split as described above; needs N ≥ 3 (two training points and one test point).
CodesSplit split_codes(const Tensor& codes, const Tensor& factors, int64_t num_train, int64_t num_test, uint64_t seed);
// Separate training and test arrays, each subsampled to at most num_train / num_test rows.
CodesSplit subsample_codes(const Tensor& codes_train, const Tensor& factors_train, const Tensor& codes_test,
                           const Tensor& factors_test, int64_t num_train, int64_t num_test, uint64_t seed);

struct CodesSuiteOptions {
  std::vector<std::string> metrics = codes_metric_names();  // which to run, any order
  int64_t num_bins = 20;                                      // MIG, modularity, IRS, unsupervised
  SapOptions sap;                                             // C and the variant; its sizes are unused
  DciOptions dci;                                             // the boosting options; its sizes are unused
  LogisticRegressionOptions explicitness;                     // C = 1
  double irs_diff_quantile = 0.99;
};

// Every selected metric on the split, with the seconds each took.
SuiteResult run_metrics_suite_from_codes(const CodesSplit& split, const CodesSuiteOptions& options = {});

}  // namespace elbo::metrics
