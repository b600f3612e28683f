#include "elbo/metrics/factor_vae.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/error.hpp"

namespace elbo::metrics {
namespace {

// Var over the rows of z [n, D] (ddof 1), per column.
std::vector<double> column_variance(const double* z, int64_t n, int64_t D) {
  std::vector<double> mean(static_cast<size_t>(D), 0.0), var(static_cast<size_t>(D), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = 0; d < D; ++d) mean[static_cast<size_t>(d)] += z[i * D + d];
  for (double& m : mean) m /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = 0; d < D; ++d) {
      const double c = z[i * D + d] - mean[static_cast<size_t>(d)];
      var[static_cast<size_t>(d)] += c * c;
    }
  for (double& v : var) v /= static_cast<double>(n - 1);
  return var;
}

// votes [K, D] of the points, argmin of v_d / s²_d over the active codes.
std::vector<int64_t> count_votes(const std::vector<double>& global_variance, const std::vector<uint8_t>& active,
                                 const FactorVaePoints& p, int64_t K) {
  const int64_t D = p.num_codes;
  std::vector<int64_t> votes(static_cast<size_t>(K * D), 0);
  for (int64_t i = 0; i < p.num_points; ++i) {
    int64_t best = -1;
    double best_ratio = INFINITY;
    for (int64_t d = 0; d < D; ++d) {
      if (!active[static_cast<size_t>(d)]) continue;
      const double ratio = p.local_variance[static_cast<size_t>(i * D + d)] / global_variance[static_cast<size_t>(d)];
      if (best < 0 || ratio < best_ratio) {
        best = d;
        best_ratio = ratio;
      }
    }
    const int64_t k = p.factor[static_cast<size_t>(i)];
    ELBO_CHECK(k >= 0 && k < K, "factor_vae: point ", i, " fixes factor ", k, ", outside [0, ", K, ")");
    ++votes[static_cast<size_t>(k * D + best)];
  }
  return votes;
}

}  // namespace

std::vector<double> factor_vae_global_variance(const data::GroundTruthDataset& dataset, const Representation& rep,
                                               int64_t num_points, Rng& rng) {
  ELBO_CHECK(num_points >= 2, "factor_vae: the global variance needs at least 2 points, got ", num_points);
  constexpr int64_t kEncodeBatch = 64;
  std::vector<double> codes;
  int64_t D = 0;
  for (int64_t start = 0; start < num_points; start += kEncodeBatch) {
    const int64_t b = std::min(kEncodeBatch, num_points - start);
    const Tensor z = encode(rep, dataset.observations(dataset.sample_factors(b, rng)));
    if (start == 0) {
      D = z.size(1);
      codes.resize(static_cast<size_t>(num_points * D));
    }
    ELBO_CHECK(z.size(1) == D, "factor_vae: the representation returned ", z.size(1), " code dimensions after ", D);
    std::copy(z.data<double>(), z.data<double>() + b * D, codes.begin() + start * D);
  }
  return column_variance(codes.data(), num_points, D);
}

FactorVaePoints factor_vae_points(const data::GroundTruthDataset& dataset, const Representation& rep,
                                  int64_t num_points, int64_t batch_size, Rng& rng) {
  ELBO_CHECK(num_points >= 1 && batch_size >= 2, "factor_vae: need num_points ≥ 1 and batch_size ≥ 2, got ",
             num_points, " and ", batch_size);
  const int64_t K = dataset.num_factors();
  FactorVaePoints p;
  p.num_points = num_points;
  p.factor.resize(static_cast<size_t>(num_points));
  for (int64_t point = 0; point < num_points; ++point) {
    const int64_t k = static_cast<int64_t>(rng.below(static_cast<uint64_t>(K)));
    Tensor factors = dataset.sample_factors(batch_size, rng);
    int64_t* f = factors.data<int64_t>();
    for (int64_t l = 1; l < batch_size; ++l) f[l * K + k] = f[k];
    const Tensor z = encode(rep, dataset.observations(factors));
    if (point == 0) {
      p.num_codes = z.size(1);
      p.local_variance.resize(static_cast<size_t>(num_points * p.num_codes));
    }
    ELBO_CHECK(z.size(1) == p.num_codes, "factor_vae: the representation returned ", z.size(1),
               " code dimensions after ", p.num_codes);
    const std::vector<double> v = column_variance(z.data<double>(), batch_size, p.num_codes);
    std::copy(v.begin(), v.end(), p.local_variance.begin() + point * p.num_codes);
    p.factor[static_cast<size_t>(point)] = k;
  }
  return p;
}

FactorVaeResult factor_vae_from_points(const std::vector<double>& global_variance, const FactorVaePoints& train,
                                       const FactorVaePoints& eval, int64_t K, double prune_threshold) {
  const int64_t D = static_cast<int64_t>(global_variance.size());
  ELBO_CHECK(train.num_codes == D && eval.num_codes == D && train.num_points >= 1 && eval.num_points >= 1 && K >= 1,
             "factor_vae: the global variance has ", D, " codes, the training points ", train.num_codes,
             " and the evaluation points ", eval.num_codes);
  std::vector<uint8_t> active(static_cast<size_t>(D), 0);
  FactorVaeResult r;
  for (int64_t d = 0; d < D; ++d) {
    const double v = global_variance[static_cast<size_t>(d)];
    active[static_cast<size_t>(d)] = v > 0.0 && std::sqrt(v) >= prune_threshold;
    r.num_active_dims += active[static_cast<size_t>(d)];
  }
  if (r.num_active_dims == 0) return r;
  const std::vector<int64_t> train_votes = count_votes(global_variance, active, train, K);
  const std::vector<int64_t> eval_votes = count_votes(global_variance, active, eval, K);
  int64_t train_hits = 0, eval_hits = 0;
  for (int64_t d = 0; d < D; ++d) {
    int64_t best = 0;  // the majority factor of code d (the first on ties)
    for (int64_t k = 1; k < K; ++k)
      if (train_votes[static_cast<size_t>(k * D + d)] > train_votes[static_cast<size_t>(best * D + d)]) best = k;
    train_hits += train_votes[static_cast<size_t>(best * D + d)];
    eval_hits += eval_votes[static_cast<size_t>(best * D + d)];
  }
  r.train_accuracy = static_cast<double>(train_hits) / static_cast<double>(train.num_points);
  r.eval_accuracy = static_cast<double>(eval_hits) / static_cast<double>(eval.num_points);
  return r;
}

FactorVaeResult factor_vae(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng,
                           const FactorVaeOptions& o) {
  const std::vector<double> global_variance = factor_vae_global_variance(dataset, rep, o.num_variance_estimate, rng);
  bool any_active = false;
  for (double v : global_variance) any_active = any_active || (v > 0.0 && std::sqrt(v) >= o.prune_threshold);
  if (!any_active) return {};
  const FactorVaePoints train = factor_vae_points(dataset, rep, o.num_train, o.batch_size, rng);
  const FactorVaePoints eval = factor_vae_points(dataset, rep, o.num_eval, o.batch_size, rng);
  return factor_vae_from_points(global_variance, train, eval, dataset.num_factors(), o.prune_threshold);
}

}  // namespace elbo::metrics
