#include "elbo/metrics/sap.hpp"

#include <algorithm>
#include <functional>

#include "elbo/error.hpp"
#include "elbo/metrics/classifiers/labels.hpp"
#include "elbo/metrics/classifiers/linear_svm.hpp"

namespace elbo::metrics {
namespace {

// Cov(a, b)² / (Var a · Var b), ddof 1, or 0 when Var a ≤ 1e−12.
double squared_correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double mean_a = 0.0, mean_b = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    mean_a += a[i];
    mean_b += b[i];
  }
  mean_a /= n;
  mean_b /= n;
  double cov = 0.0, var_a = 0.0, var_b = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    cov += (a[i] - mean_a) * (b[i] - mean_b);
    var_a += (a[i] - mean_a) * (a[i] - mean_a);
    var_b += (b[i] - mean_b) * (b[i] - mean_b);
  }
  cov /= n - 1.0;
  var_a /= n - 1.0;
  var_b /= n - 1.0;
  return var_a > 1e-12 ? cov * cov / (var_a * var_b) : 0.0;
}

std::vector<double> column(const Tensor& t, int64_t j) {
  const int64_t n = t.size(0), m = t.size(1);
  std::vector<double> c(static_cast<size_t>(n));
  if (t.dtype() == DType::f64)
    for (int64_t i = 0; i < n; ++i) c[static_cast<size_t>(i)] = t.data<double>()[i * m + j];
  else
    for (int64_t i = 0; i < n; ++i) c[static_cast<size_t>(i)] = static_cast<double>(t.data<int64_t>()[i * m + j]);
  return c;
}

std::vector<int64_t> label_column(const Tensor& t, int64_t j) {
  const int64_t n = t.size(0), m = t.size(1);
  std::vector<int64_t> c(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) c[static_cast<size_t>(i)] = t.data<int64_t>()[i * m + j];
  return c;
}

}  // namespace

SapResult sap_from_codes(const Tensor& codes_train_in, const Tensor& factors_train_in, const Tensor& codes_test_in,
                         const Tensor& factors_test_in, const SapOptions& o) {
  Tensor codes_train = codes_train_in, factors_train = factors_train_in;
  Tensor codes_test = codes_test_in, factors_test = factors_test_in;
  check_codes_and_factors("sap (train)", codes_train, factors_train);
  check_codes_and_factors("sap (test)", codes_test, factors_test, 1);
  const int64_t D = codes_train.size(1), K = factors_train.size(1);
  ELBO_CHECK(codes_test.size(1) == D && factors_test.size(1) == K, "sap: train codes/factors ", codes_train.str(), " ",
             factors_train.str(), " and test ", codes_test.str(), " ", factors_test.str(), " differ in width");
  ELBO_CHECK(D >= 2, "sap: the score difference needs at least two code dimensions, got ", D);
  SapResult r;
  r.num_codes = D;
  r.num_factors = K;
  r.score_matrix.assign(static_cast<size_t>(D * K), 0.0);
  if (!o.continuous_factors)
    for (int64_t j = 0; j < K; ++j) {
      const std::vector<int64_t> y = label_column(factors_train, j);
      ELBO_CHECK(sorted_classes(y.data(), static_cast<int64_t>(y.size())).size() >= 2, "sap: factor ", j,
                 " takes a single value in the training sample; a classifier needs two classes");
    }

#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t q = 0; q < D * K; ++q) {
    const int64_t i = q / K, j = q % K;
    const std::vector<double> z = column(codes_train, i);
    if (o.continuous_factors) {
      r.score_matrix[static_cast<size_t>(q)] = squared_correlation(z, column(factors_train, j));
      continue;
    }
    const std::vector<int64_t> y = label_column(factors_train, j);
    LinearSvmOptions svm;
    svm.C = o.C;
    svm.balanced = true;
    const LinearSvm model = fit_linear_svm(z.data(), y.data(), static_cast<int64_t>(z.size()), 1, svm);
    const std::vector<double> z_test = column(codes_test, i);
    const std::vector<int64_t> y_test = label_column(factors_test, j);
    const std::vector<int64_t> predicted = linear_svm_predict(model, z_test.data(), static_cast<int64_t>(z_test.size()));
    r.score_matrix[static_cast<size_t>(q)] = accuracy(predicted.data(), y_test.data(), static_cast<int64_t>(y_test.size()));
  }

  double total = 0.0;
  for (int64_t j = 0; j < K; ++j) {
    std::vector<double> scores(static_cast<size_t>(D));
    for (int64_t i = 0; i < D; ++i) scores[static_cast<size_t>(i)] = r.score_matrix[static_cast<size_t>(i * K + j)];
    std::partial_sort(scores.begin(), scores.begin() + 2, scores.end(), std::greater<double>());
    total += scores[0] - scores[1];
  }
  r.sap = total / static_cast<double>(K);
  return r;
}

SapResult sap(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng, const SapOptions& o) {
  CodesAndFactors train = sample_codes_and_factors(dataset, rep, o.num_train, o.batch_size, rng);
  CodesAndFactors test = sample_codes_and_factors(dataset, rep, o.num_test, o.batch_size, rng);
  return sap_from_codes(train.codes, train.factors, test.codes, test.factors, o);
}

}  // namespace elbo::metrics
