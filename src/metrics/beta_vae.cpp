#include "elbo/metrics/beta_vae.hpp"

#include <cmath>

#include "elbo/error.hpp"
#include "elbo/metrics/classifiers/labels.hpp"

namespace elbo::metrics {

BetaVaePoints beta_vae_points(const data::GroundTruthDataset& dataset, const Representation& rep, int64_t num_points,
                              int64_t batch_size, Rng& rng) {
  ELBO_CHECK(num_points >= 1 && batch_size >= 1, "beta_vae: need num_points ≥ 1 and batch_size ≥ 1, got ", num_points,
             " and ", batch_size);
  const int64_t K = dataset.num_factors();
  BetaVaePoints p;
  p.num_points = num_points;
  p.labels.resize(static_cast<size_t>(num_points));
  for (int64_t point = 0; point < num_points; ++point) {
    const int64_t k = static_cast<int64_t>(rng.below(static_cast<uint64_t>(K)));
    Tensor first = dataset.sample_factors(batch_size, rng);
    Tensor second = dataset.sample_factors(batch_size, rng);
    for (int64_t l = 0; l < batch_size; ++l) second.data<int64_t>()[l * K + k] = first.data<int64_t>()[l * K + k];
    const Tensor z1 = encode(rep, dataset.observations(first));
    const Tensor z2 = encode(rep, dataset.observations(second));
    const int64_t D = z1.size(1);
    if (point == 0) {
      p.num_codes = D;
      p.features.assign(static_cast<size_t>(num_points * D), 0.0);
    }
    ELBO_CHECK(D == p.num_codes && z2.size(1) == D, "beta_vae: the representation returned ", D, " and ", z2.size(1),
               " code dimensions after ", p.num_codes);
    double* feature = p.features.data() + point * D;
    for (int64_t l = 0; l < batch_size; ++l)
      for (int64_t d = 0; d < D; ++d) feature[d] += std::abs(z1.data<double>()[l * D + d] - z2.data<double>()[l * D + d]);
    for (int64_t d = 0; d < D; ++d) feature[d] /= static_cast<double>(batch_size);
    p.labels[static_cast<size_t>(point)] = k;
  }
  return p;
}

BetaVaeResult beta_vae_from_points(const BetaVaePoints& train, const BetaVaePoints& eval,
                                   const LogisticRegressionOptions& classifier) {
  ELBO_CHECK(train.num_points >= 1 && eval.num_points >= 1 && train.num_codes == eval.num_codes,
             "beta_vae: need training and evaluation points of the same width, got ", train.num_points, "×",
             train.num_codes, " and ", eval.num_points, "×", eval.num_codes);
  const LogisticRegression model =
      fit_logistic_regression(train.features.data(), train.labels.data(), train.num_points, train.num_codes, classifier);
  BetaVaeResult r;
  const std::vector<int64_t> train_predicted = logistic_regression_predict(model, train.features.data(), train.num_points);
  const std::vector<int64_t> eval_predicted = logistic_regression_predict(model, eval.features.data(), eval.num_points);
  r.train_accuracy = accuracy(train_predicted.data(), train.labels.data(), train.num_points);
  r.eval_accuracy = accuracy(eval_predicted.data(), eval.labels.data(), eval.num_points);
  return r;
}

BetaVaeResult beta_vae(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng,
                       const BetaVaeOptions& o) {
  const BetaVaePoints train = beta_vae_points(dataset, rep, o.num_train, o.batch_size, rng);
  const BetaVaePoints eval = beta_vae_points(dataset, rep, o.num_eval, o.batch_size, rng);
  return beta_vae_from_points(train, eval, o.classifier);
}

}  // namespace elbo::metrics
