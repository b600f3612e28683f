#include "elbo/metrics/dci.hpp"

#include <cmath>

#include "elbo/error.hpp"
#include "elbo/metrics/classifiers/labels.hpp"

namespace elbo::metrics {
namespace {

// 1 − H_base(p + 1e−11) for the `count` values p[0], p[stride], …: scipy.stats.entropy normalises
// its argument to sum to 1 first.
double one_minus_entropy(const double* p, int64_t count, int64_t stride, double base) {
  double total = 0.0;
  for (int64_t a = 0; a < count; ++a) total += p[a * stride] + 1e-11;
  double h = 0.0;
  for (int64_t a = 0; a < count; ++a) {
    const double q = (p[a * stride] + 1e-11) / total;
    h -= q * std::log(q);
  }
  return 1.0 - h / std::log(base);
}

// Σ_g ρ_g (1 − H(group g)), groups being rows (by_rows) or columns of R.
double weighted_score(const std::vector<double>& R, int64_t D, int64_t K, bool by_rows) {
  ELBO_CHECK(static_cast<int64_t>(R.size()) == D * K && D >= 2 && K >= 2,
             "dci: need an importance matrix [D, K] with D ≥ 2 and K ≥ 2, got ", R.size(), " values for [", D, ", ",
             K, "]");
  double sum = 0.0;
  for (double v : R) sum += v;
  const int64_t groups = by_rows ? D : K, members = by_rows ? K : D;
  double score = 0.0;
  for (int64_t g = 0; g < groups; ++g) {
    const double* first = R.data() + (by_rows ? g * K : g);
    const int64_t stride = by_rows ? 1 : K;
    double group_sum = 0.0;
    for (int64_t a = 0; a < members; ++a) group_sum += first[a * stride];
    const double rho = sum == 0.0 ? 1.0 / static_cast<double>(groups) : group_sum / sum;
    score += rho * one_minus_entropy(first, members, stride, static_cast<double>(members));
  }
  return score;
}

}  // namespace

double dci_disentanglement(const std::vector<double>& importance, int64_t D, int64_t K) {
  return weighted_score(importance, D, K, /*by_rows=*/true);
}

double dci_completeness(const std::vector<double>& importance, int64_t D, int64_t K) {
  return weighted_score(importance, D, K, /*by_rows=*/false);
}

DciResult dci_from_codes(const Tensor& codes_train_in, const Tensor& factors_train_in, const Tensor& codes_test_in,
                         const Tensor& factors_test_in, const DciOptions& o) {
  Tensor codes_train = codes_train_in, factors_train = factors_train_in;
  Tensor codes_test = codes_test_in, factors_test = factors_test_in;
  check_codes_and_factors("dci (train)", codes_train, factors_train);
  check_codes_and_factors("dci (test)", codes_test, factors_test, 1);
  const int64_t N = codes_train.size(0), M = codes_test.size(0), D = codes_train.size(1), K = factors_train.size(1);
  ELBO_CHECK(codes_test.size(1) == D && factors_test.size(1) == K, "dci: train codes/factors ", codes_train.str(), " ",
             factors_train.str(), " and test ", codes_test.str(), " ", factors_test.str(), " differ in width");
  DciResult r;
  r.num_codes = D;
  r.num_factors = K;
  r.importance.assign(static_cast<size_t>(D * K), 0.0);
  double train_total = 0.0, test_total = 0.0;
  std::vector<int64_t> y(static_cast<size_t>(N)), y_test(static_cast<size_t>(M));
  for (int64_t j = 0; j < K; ++j) {
    for (int64_t i = 0; i < N; ++i) y[static_cast<size_t>(i)] = factors_train.data<int64_t>()[i * K + j];
    for (int64_t i = 0; i < M; ++i) y_test[static_cast<size_t>(i)] = factors_test.data<int64_t>()[i * K + j];
    ELBO_CHECK(sorted_classes(y.data(), N).size() >= 2, "dci: factor ", j,
               " takes a single value in the training sample; a classifier needs two classes");
    const GradientBoostingClassifier model = fit_gradient_boosting(codes_train.data<double>(), y.data(), N, D, o.boosting);
    const std::vector<double> importance = gradient_boosting_feature_importances(model);
    for (int64_t i = 0; i < D; ++i) r.importance[static_cast<size_t>(i * K + j)] = std::abs(importance[static_cast<size_t>(i)]);
    const std::vector<int64_t> train_predicted = gradient_boosting_predict(model, codes_train.data<double>(), N);
    const std::vector<int64_t> test_predicted = gradient_boosting_predict(model, codes_test.data<double>(), M);
    train_total += accuracy(train_predicted.data(), y.data(), N);
    test_total += accuracy(test_predicted.data(), y_test.data(), M);
  }
  r.informativeness_train = train_total / static_cast<double>(K);
  r.informativeness_test = test_total / static_cast<double>(K);
  r.disentanglement = dci_disentanglement(r.importance, D, K);
  r.completeness = dci_completeness(r.importance, D, K);
  return r;
}

DciResult dci(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng, const DciOptions& o) {
  CodesAndFactors train = sample_codes_and_factors(dataset, rep, o.num_train, o.batch_size, rng);
  CodesAndFactors test = sample_codes_and_factors(dataset, rep, o.num_test, o.batch_size, rng);
  return dci_from_codes(train.codes, train.factors, test.codes, test.factors, o);
}

}  // namespace elbo::metrics
