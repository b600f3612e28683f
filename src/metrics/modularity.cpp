#include "elbo/metrics/modularity.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/error.hpp"
#include "elbo/metrics/classifiers/labels.hpp"
#include "elbo/metrics/classifiers/roc_auc.hpp"
#include "elbo/metrics/discretize.hpp"
#include "elbo/metrics/mutual_information.hpp"

namespace elbo::metrics {

double modularity_score(const std::vector<double>& m, int64_t D, int64_t K) {
  ELBO_CHECK(static_cast<int64_t>(m.size()) == D * K && D >= 1 && K >= 2,
             "modularity: need a mutual-information matrix [D, K] with K ≥ 2, got ", m.size(), " values for [", D,
             ", ", K, "]");
  double total = 0.0;
  for (int64_t i = 0; i < D; ++i) {
    double sum = 0.0, largest = 0.0;
    for (int64_t j = 0; j < K; ++j) {
      const double s = m[static_cast<size_t>(i * K + j)] * m[static_cast<size_t>(i * K + j)];
      sum += s;
      largest = std::max(largest, s);
    }
    if (largest == 0.0) continue;  // an uninformative code scores 0
    total += 1.0 - (sum - largest) / (largest * static_cast<double>(K - 1));
  }
  return total / static_cast<double>(D);
}

double modularity_from_codes(const Tensor& codes_in, const Tensor& factors_in, int64_t num_bins) {
  Tensor codes = codes_in, factors = factors_in;
  check_codes_and_factors("modularity", codes, factors);
  const int64_t N = codes.size(0), D = codes.size(1), K = factors.size(1);
  const std::vector<int64_t> z = histogram_discretize(codes.data<double>(), N, D, num_bins);
  std::vector<int64_t> v(static_cast<size_t>(K * N));
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < K; ++j) v[static_cast<size_t>(j * N + i)] = factors.data<int64_t>()[i * K + j];
  return modularity_score(discrete_mutual_info(z.data(), D, v.data(), K, N), D, K);
}

ExplicitnessResult explicitness_from_codes(const Tensor& codes_train_in, const Tensor& factors_train_in,
                                           const Tensor& codes_test_in, const Tensor& factors_test_in,
                                           const LogisticRegressionOptions& classifier) {
  Tensor codes_train = codes_train_in, factors_train = factors_train_in;
  Tensor codes_test = codes_test_in, factors_test = factors_test_in;
  check_codes_and_factors("explicitness (train)", codes_train, factors_train);
  check_codes_and_factors("explicitness (test)", codes_test, factors_test, 1);
  const int64_t N = codes_train.size(0), M = codes_test.size(0), D = codes_train.size(1), K = factors_train.size(1);
  ELBO_CHECK(codes_test.size(1) == D && factors_test.size(1) == K, "explicitness: train codes/factors ",
             codes_train.str(), " ", factors_train.str(), " and test ", codes_test.str(), " ", factors_test.str(),
             " differ in width");

  // Standardise both sets with the training mean and standard deviation (ddof 0).
  std::vector<double> x_train(codes_train.data<double>(), codes_train.data<double>() + N * D);
  std::vector<double> x_test(codes_test.data<double>(), codes_test.data<double>() + M * D);
  for (int64_t d = 0; d < D; ++d) {
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < N; ++i) mean += x_train[static_cast<size_t>(i * D + d)];
    mean /= static_cast<double>(N);
    for (int64_t i = 0; i < N; ++i) {
      const double c = x_train[static_cast<size_t>(i * D + d)] - mean;
      var += c * c;
    }
    const double sd = std::sqrt(var / static_cast<double>(N));
    const double scale = sd > 0.0 ? 1.0 / sd : 0.0;
    for (int64_t i = 0; i < N; ++i) x_train[static_cast<size_t>(i * D + d)] = (x_train[static_cast<size_t>(i * D + d)] - mean) * scale;
    for (int64_t i = 0; i < M; ++i) x_test[static_cast<size_t>(i * D + d)] = (x_test[static_cast<size_t>(i * D + d)] - mean) * scale;
  }

  ExplicitnessResult r;
  r.per_factor_train.assign(static_cast<size_t>(K), 0.0);
  r.per_factor_test.assign(static_cast<size_t>(K), 0.0);
  for (int64_t j = 0; j < K; ++j) {
    std::vector<int64_t> y(static_cast<size_t>(N));
    for (int64_t i = 0; i < N; ++i) y[static_cast<size_t>(i)] = factors_train.data<int64_t>()[i * K + j];
    ELBO_CHECK(sorted_classes(y.data(), N).size() >= 2, "explicitness: factor ", j,
               " takes a single value in the training sample; a classifier needs two classes");
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t j = 0; j < K; ++j) {
    std::vector<int64_t> y(static_cast<size_t>(N)), y_test(static_cast<size_t>(M));
    for (int64_t i = 0; i < N; ++i) y[static_cast<size_t>(i)] = factors_train.data<int64_t>()[i * K + j];
    for (int64_t i = 0; i < M; ++i) y_test[static_cast<size_t>(i)] = factors_test.data<int64_t>()[i * K + j];
    const LogisticRegression model = fit_logistic_regression(x_train.data(), y.data(), N, D, classifier);
    const int64_t C = static_cast<int64_t>(model.classes.size());
    // Labels as positions among the model's classes; an unseen test label matches no column.
    auto positions = [&](const std::vector<int64_t>& labels) {
      std::vector<int64_t> p(labels.size());
      for (size_t i = 0; i < labels.size(); ++i) {
        auto it = std::lower_bound(model.classes.begin(), model.classes.end(), labels[i]);
        p[i] = (it != model.classes.end() && *it == labels[i]) ? it - model.classes.begin() : -1;
      }
      return p;
    };
    std::vector<double> proba(static_cast<size_t>(std::max(N, M) * C));
    logistic_regression_predict_proba(model, x_train.data(), N, proba.data());
    r.per_factor_train[static_cast<size_t>(j)] = roc_auc_one_vs_rest(proba.data(), positions(y).data(), N, C);
    logistic_regression_predict_proba(model, x_test.data(), M, proba.data());
    r.per_factor_test[static_cast<size_t>(j)] = roc_auc_one_vs_rest(proba.data(), positions(y_test).data(), M, C);
  }
  for (int64_t j = 0; j < K; ++j) {
    r.train += r.per_factor_train[static_cast<size_t>(j)];
    r.test += r.per_factor_test[static_cast<size_t>(j)];
  }
  r.train /= static_cast<double>(K);
  r.test /= static_cast<double>(K);
  return r;
}

ModularityExplicitnessResult modularity_explicitness(const data::GroundTruthDataset& dataset, const Representation& rep,
                                                     Rng& rng, const ModularityExplicitnessOptions& o) {
  CodesAndFactors train = sample_codes_and_factors(dataset, rep, o.num_train, o.batch_size, rng);
  CodesAndFactors test = sample_codes_and_factors(dataset, rep, o.num_test, o.batch_size, rng);
  ModularityExplicitnessResult r;
  r.modularity = modularity_from_codes(train.codes, train.factors, o.num_bins);
  const ExplicitnessResult e = explicitness_from_codes(train.codes, train.factors, test.codes, test.factors);
  r.explicitness_train = e.train;
  r.explicitness_test = e.test;
  return r;
}

}  // namespace elbo::metrics
