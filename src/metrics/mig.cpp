#include "elbo/metrics/mig.hpp"

#include <algorithm>

#include "elbo/error.hpp"
#include "elbo/metrics/discretize.hpp"
#include "elbo/metrics/mutual_information.hpp"

namespace elbo::metrics {

MigResult mig_from_codes(const Tensor& codes_in, const Tensor& factors_in, int64_t num_bins) {
  Tensor codes = codes_in, factors = factors_in;
  check_codes_and_factors("mig", codes, factors);
  const int64_t N = codes.size(0), D = codes.size(1), K = factors.size(1);
  ELBO_CHECK(D >= 2, "mig: the gap needs at least two code dimensions, got ", D);
  const std::vector<int64_t> z = histogram_discretize(codes.data<double>(), N, D, num_bins);
  // Factors column-major, as the mutual information takes them.
  std::vector<int64_t> v(static_cast<size_t>(K * N));
  const int64_t* f = factors.data<int64_t>();
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < K; ++j) v[static_cast<size_t>(j * N + i)] = f[i * K + j];

  MigResult r;
  r.num_codes = D;
  r.num_factors = K;
  r.mutual_information = discrete_mutual_info(z.data(), D, v.data(), K, N);
  r.factor_entropy.resize(static_cast<size_t>(K));
  r.gap.resize(static_cast<size_t>(K));
  double total = 0.0;
  for (int64_t j = 0; j < K; ++j) {
    const double H = discrete_entropy(v.data() + j * N, N);
    ELBO_CHECK(H > 0.0, "mig: factor ", j, " takes a single value in the ", N,
               " samples, so its entropy is 0 and its gap undefined");
    std::vector<double> column(static_cast<size_t>(D));
    for (int64_t i = 0; i < D; ++i) column[static_cast<size_t>(i)] = r.mutual_information[static_cast<size_t>(i * K + j)];
    std::partial_sort(column.begin(), column.begin() + 2, column.end(), std::greater<double>());
    r.factor_entropy[static_cast<size_t>(j)] = H;
    r.gap[static_cast<size_t>(j)] = (column[0] - column[1]) / H;
    total += r.gap[static_cast<size_t>(j)];
  }
  r.mig = total / static_cast<double>(K);
  return r;
}

MigResult mig(const data::GroundTruthDataset& dataset, const Representation& rep, Rng& rng, const MigOptions& o) {
  CodesAndFactors train = sample_codes_and_factors(dataset, rep, o.num_train, o.batch_size, rng);
  return mig_from_codes(train.codes, train.factors, o.num_bins);
}

}  // namespace elbo::metrics
