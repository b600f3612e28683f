// Disentanglement metrics on synthetic codes whose answer is known: codes that copy the factors one
// to one, a random rotation of them, and a code that copies one factor twice.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "elbo/context.hpp"
#include "elbo/error.hpp"
#include "elbo/metrics/continuous_mig.hpp"
#include "elbo/metrics/discretize.hpp"
#include "elbo/metrics/mutual_information.hpp"
#include "elbo/metrics/suite.hpp"
#include "metrics/synthetic.hpp"

using namespace elbo;
using namespace elbo::metrics;
using namespace elbo::testing;

namespace {

// The codes of `rep` on n sampled points, with their factors.
CodesAndFactors sample(const GridDataset& dataset, const Representation& rep, int64_t n, uint64_t seed) {
  Rng rng{seed, 3, 0};
  return sample_codes_and_factors(dataset, rep, n, 16, rng);
}

const std::vector<double> kDuplicate = {1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};  // codes f0, f0, f1, f2

}  // namespace

TEST_CASE("metrics: the histogram discretizer cuts each column into equal-width bins as numpy does") {
  // Column 0: 0, 0.1, …, 1.0 — edges i·0.05, so value v gets 1 + #{edges ≤ v}, and the maximum 20.
  // Column 1 is constant: numpy widens the range to [c − ½, c + ½] and the value lands in bin 11.
  std::vector<double> values;
  for (int i = 0; i <= 10; ++i) {
    values.push_back(i / 10.0);
    values.push_back(3.0);
  }
  const std::vector<int64_t> labels = histogram_discretize(values.data(), 11, 2, 20);
  // numpy's labels (np.digitize(x, np.histogram(x, 20)[1][:-1])), where 0.3, 0.6 and 0.7 fall one bin
  // lower than 1 + floor(20 v) because their decimal values round below the edges 6·0.05, 12·0.05, 14·0.05.
  const int64_t want[11] = {1, 3, 5, 6, 9, 11, 12, 14, 17, 19, 20};
  for (int i = 0; i <= 10; ++i) {
    CHECK(labels[static_cast<size_t>(i)] == want[i]);
    CHECK(labels[static_cast<size_t>(11 + i)] == 11);
  }
}

TEST_CASE("metrics: plug-in mutual information and entropy in nats") {
  const int64_t a[4] = {0, 0, 1, 1}, b[4] = {0, 1, 0, 1}, c[4] = {5, 5, 5, 9};
  CHECK(mutual_info_score(a, b, 4) == doctest::Approx(0.0));
  CHECK(mutual_info_score(a, a, 4) == doctest::Approx(std::log(2.0)).epsilon(1e-15));
  CHECK(discrete_entropy(c, 4) == doctest::Approx(-(0.75 * std::log(0.75) + 0.25 * std::log(0.25))).epsilon(1e-15));
  // I(a; c): p(a=0,c=5) = ½, p(a=1,c=5) = ¼, p(a=1,c=9) = ¼.
  const double want = 0.5 * std::log(0.5 / (0.5 * 0.75)) + 0.25 * std::log(0.25 / (0.5 * 0.75)) +
                      0.25 * std::log(0.25 / (0.5 * 0.25));
  CHECK(mutual_info_score(a, c, 4) == doctest::Approx(want).epsilon(1e-14));
}

TEST_CASE("metrics: MIG is 1 for copied factors, low for a rotation, and shows the gap of a duplicated factor") {
  GridDataset ds({3, 4, 6});
  const CodesAndFactors id = sample(ds, linear_representation(ds, identity_matrix(3), 3), 3000, 1);
  const MigResult identity = mig_from_codes(id.codes, id.factors);
  CHECK(identity.mig > 0.98);
  for (int64_t j = 0; j < 3; ++j)  // each code carries its factor's whole entropy
    CHECK(identity.mutual_information[static_cast<size_t>(j * 3 + j)] ==
          doctest::Approx(identity.factor_entropy[static_cast<size_t>(j)]).epsilon(1e-12));

  const CodesAndFactors rot = sample(ds, linear_representation(ds, random_rotation(3, 1), 3), 3000, 1);
  CHECK(mig_from_codes(rot.codes, rot.factors).mig < 0.3);

  const CodesAndFactors dup = sample(ds, linear_representation(ds, kDuplicate, 4), 3000, 1);
  const MigResult duplicated = mig_from_codes(dup.codes, dup.factors);
  CHECK(duplicated.gap[0] == doctest::Approx(0.0));  // two codes tie for factor 0: no gap
  CHECK(duplicated.gap[1] > 0.98);
  CHECK(duplicated.gap[2] > 0.98);
  CHECK(duplicated.mig == doctest::Approx(2.0 / 3.0).epsilon(0.02));
}

TEST_CASE("metrics: MIG rejects a constant factor, one code dimension and mismatched rows") {
  const Tensor codes = from_values(Shape{3, 2}, {0, 1, 1, 0, 2, 2}, DType::f64);
  CHECK_THROWS_AS(mig_from_codes(codes, from_values(Shape{3, 1}, {4, 4, 4}, DType::i64)), Error);
  CHECK_THROWS_AS(mig_from_codes(from_values(Shape{3, 1}, {0, 1, 2}, DType::f64), from_values(Shape{3, 1}, {0, 1, 2}, DType::i64)),
                  Error);
  CHECK_THROWS_AS(mig_from_codes(codes, from_values(Shape{2, 1}, {0, 1}, DType::i64)), Error);
  CHECK_THROWS_AS(mig_from_codes(codes.to(DType::f32), from_values(Shape{3, 1}, {0, 1, 2}, DType::i64)), Error);
}

TEST_CASE("metrics: Chen et al.'s continuous MIG is near 1 for narrow posteriors that copy the factors") {
  // The whole 8 × 10 grid, means at the scaled factors, standard deviation 0.01.
  GridDataset ds({8, 10});
  const int64_t N = ds.size();
  std::vector<double> mean, logvar;
  std::vector<int64_t> factors;
  for (int64_t n = 0; n < N; ++n) {
    const std::vector<int64_t> f = ds.factors(n);
    for (int64_t k = 0; k < 2; ++k) {
      mean.push_back(static_cast<double>(f[static_cast<size_t>(k)]) / 10.0);
      logvar.push_back(2.0 * std::log(0.01));
      factors.push_back(f[static_cast<size_t>(k)]);
    }
  }
  const Tensor mu = from_vector(Shape{N, 2}, mean, DType::f64), lv = from_vector(Shape{N, 2}, logvar, DType::f64);
  const Tensor v = from_vector(Shape{N, 2}, std::vector<double>(factors.begin(), factors.end()), DType::i64);
  Rng rng{4, 0, 0};
  const ContinuousMigResult r = continuous_mig(mu, lv, v, rng);
  CHECK(r.factor_sizes == std::vector<int64_t>{8, 10});
  CHECK(r.mig > 0.95);
  // The aggregate posterior of code 0 is 8 separated narrow bumps: H(z_0) ≈ log 8 + H(N(0, 0.01²)).
  const double gaussian_entropy = 0.5 * std::log(2 * M_PI * M_E * 1e-4);
  CHECK(r.marginal_entropy[0] == doctest::Approx(std::log(8.0) + gaussian_entropy).epsilon(0.01));
  CHECK(rng.counter > static_cast<uint64_t>(2 * N));

  // Mixing the two codes leaves each with half of each factor: a small gap.
  std::vector<double> mixed(mean.size());
  for (int64_t n = 0; n < N; ++n) {
    mixed[static_cast<size_t>(2 * n)] = mean[static_cast<size_t>(2 * n)] + mean[static_cast<size_t>(2 * n + 1)];
    mixed[static_cast<size_t>(2 * n + 1)] = mean[static_cast<size_t>(2 * n)] - mean[static_cast<size_t>(2 * n + 1)];
  }
  Rng rng2{4, 0, 0};
  CHECK(continuous_mig(from_vector(Shape{N, 2}, mixed, DType::f64), lv, v, rng2).mig < 0.5);
}

TEST_CASE("metrics: SAP separates copied binary factors and not a rotation") {
  // A single code predicts its two-valued factor perfectly and the other codes at chance (½), so
  // SAP = 1 − ½ for copied factors: the classification variant's maximum is 1 − chance. (With many
  // values, a one-dimensional linear SVM cannot isolate the middle ones either, as in the reference.)
  GridDataset ds({2, 2, 2});
  const CodesAndFactors train = sample(ds, linear_representation(ds, identity_matrix(3), 3), 2000, 1);
  const CodesAndFactors test = sample(ds, linear_representation(ds, identity_matrix(3), 3), 1000, 2);
  const SapResult identity = sap_from_codes(train.codes, train.factors, test.codes, test.factors);
  CHECK(identity.sap == doctest::Approx(0.5).epsilon(0.05));
  for (int64_t j = 0; j < 3; ++j) CHECK(identity.score_matrix[static_cast<size_t>(j * 3 + j)] == 1.0);

  const Representation rotated = linear_representation(ds, random_rotation(3, 1), 3);
  const CodesAndFactors rtrain = sample(ds, rotated, 2000, 1), rtest = sample(ds, rotated, 1000, 2);
  CHECK(sap_from_codes(rtrain.codes, rtrain.factors, rtest.codes, rtest.factors).sap < 0.2);

  SapOptions continuous;
  continuous.continuous_factors = true;
  const SapResult c = sap_from_codes(train.codes, train.factors, test.codes, test.factors, continuous);
  CHECK(c.score_matrix[0] == doctest::Approx(1.0).epsilon(1e-12));  // code 0 is factor 0 rescaled
  CHECK(c.sap > 0.99);
}

TEST_CASE("metrics: DCI scores of hand-made importance matrices") {
  // R = I: every code informs one factor and every factor is in one code.
  const std::vector<double> identity = {1, 0, 0, 1};
  CHECK(dci_disentanglement(identity, 2, 2) == doctest::Approx(1.0).epsilon(1e-9));
  CHECK(dci_completeness(identity, 2, 2) == doctest::Approx(1.0).epsilon(1e-9));
  // Uniform R: entropy log K in base K for every row and column.
  const std::vector<double> uniform = {1, 1, 1, 1, 1, 1};
  CHECK(dci_disentanglement(uniform, 3, 2) == doctest::Approx(0.0).epsilon(1e-9));
  CHECK(dci_completeness(uniform, 3, 2) == doctest::Approx(0.0).epsilon(1e-9));
  // One code informs both factors, the other nothing: rows (½, ½) weight 1 → 0; columns (1, 0) → 1.
  // (Built from an array: g++ 12.2 at -O3 -march=native on this machine stored {1, 1, 1, 1} for the
  // initializer list {1, 1, 0, 0} here, a miscompilation of the list, not of the metric.)
  static const double one_code_values[4] = {1, 1, 0, 0};
  const std::vector<double> one_code(one_code_values, one_code_values + 4);
  REQUIRE(one_code[3] == 0.0);
  CHECK(dci_disentanglement(one_code, 2, 2) == doctest::Approx(0.0).epsilon(1e-9));
  CHECK(dci_completeness(one_code, 2, 2) == doctest::Approx(1.0).epsilon(1e-9));
}

TEST_CASE("metrics: DCI is 1 for copied factors and low for a rotation") {
  GridDataset ds({3, 4, 6});
  DciOptions o;
  o.boosting.num_stages = 30;
  const Representation id = linear_representation(ds, identity_matrix(3), 3);
  const CodesAndFactors train = sample(ds, id, 1000, 1), test = sample(ds, id, 500, 2);
  const DciResult identity = dci_from_codes(train.codes, train.factors, test.codes, test.factors, o);
  CHECK(identity.disentanglement > 0.98);
  CHECK(identity.completeness > 0.98);
  CHECK(identity.informativeness_train == 1.0);
  CHECK(identity.informativeness_test == 1.0);
  for (int64_t j = 0; j < 3; ++j) {
    double column = 0.0;
    for (int64_t i = 0; i < 3; ++i) column += identity.importance[static_cast<size_t>(i * 3 + j)];
    CHECK(column == doctest::Approx(1.0).epsilon(1e-12));
  }

  const Representation rotated = linear_representation(ds, random_rotation(3, 1), 3);
  const CodesAndFactors rtrain = sample(ds, rotated, 1000, 1), rtest = sample(ds, rotated, 500, 2);
  const DciResult r = dci_from_codes(rtrain.codes, rtrain.factors, rtest.codes, rtest.factors, o);
  CHECK(r.disentanglement < 0.4);
  CHECK(r.informativeness_train > 0.9);  // a rotation loses no information
}

TEST_CASE("metrics: modularity follows its definition") {
  // m = [[1, 0], [1, 1]]: code 0 informs one factor (1); code 1 two equally (1 − 1 = 0).
  const std::vector<double> mixed = {1, 0, 1, 1}, silent = {0, 0, 2, 0};
  CHECK(modularity_score(mixed, 2, 2) == doctest::Approx(0.5));
  CHECK(modularity_score(silent, 2, 2) == doctest::Approx(0.5));  // an uninformative code scores 0

  GridDataset ds({3, 4, 6});
  const CodesAndFactors id = sample(ds, linear_representation(ds, identity_matrix(3), 3), 3000, 1);
  const double identity = modularity_from_codes(id.codes, id.factors);
  CHECK(identity > 0.99);
  // A duplicated factor keeps every code modular (modularity does not ask for one code per factor).
  const CodesAndFactors dup = sample(ds, linear_representation(ds, kDuplicate, 4), 3000, 1);
  CHECK(modularity_from_codes(dup.codes, dup.factors) > 0.99);
  // Permuting the codes and doubling them changes no bin, so nothing at all.
  const CodesAndFactors perm = sample(ds, linear_representation(ds, {0, 0, 2, 2, 0, 0, 0, 2, 0}, 3), 3000, 1);
  CHECK(modularity_from_codes(perm.codes, perm.factors) == identity);
  // A rotation mixes factors into every code.
  const CodesAndFactors rot = sample(ds, linear_representation(ds, random_rotation(3, 1), 3), 3000, 1);
  CHECK(modularity_from_codes(rot.codes, rot.factors) < 0.8);
}

TEST_CASE("metrics: explicitness, IRS and the BetaVAE and FactorVAE scores are 1 for copied factors") {
  GridDataset ds({3, 4, 6});
  const Representation id = linear_representation(ds, identity_matrix(3), 3);
  const CodesAndFactors train = sample(ds, id, 2000, 1), test = sample(ds, id, 1000, 2);
  const ExplicitnessResult e = explicitness_from_codes(train.codes, train.factors, test.codes, test.factors);
  CHECK(e.train > 0.999);
  CHECK(e.test > 0.999);
  const IrsResult irs_identity = irs_from_codes(train.codes, train.factors);
  CHECK(irs_identity.irs == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(irs_identity.num_active_dims == 3);
  const Representation rotated = linear_representation(ds, random_rotation(3, 1), 3);
  const CodesAndFactors rot = sample(ds, rotated, 2000, 1);
  CHECK(irs_from_codes(rot.codes, rot.factors).irs < 0.8);

  Rng rng{7, 0, 0};
  BetaVaeOptions b;
  b.batch_size = 16;
  b.num_train = 300;
  b.num_eval = 200;
  const BetaVaeResult beta = beta_vae(ds, id, rng, b);
  CHECK(beta.train_accuracy == 1.0);
  CHECK(beta.eval_accuracy == 1.0);

  FactorVaeOptions f;
  f.num_train = 300;
  f.num_eval = 200;
  f.num_variance_estimate = 1000;
  const FactorVaeResult factor = factor_vae(ds, id, rng, f);
  CHECK(factor.train_accuracy == 1.0);
  CHECK(factor.eval_accuracy == 1.0);
  CHECK(factor.num_active_dims == 3);
  // Scaled below the pruning threshold, no code is active.
  const Representation tiny = linear_representation(ds, {0.01, 0, 0, 0, 0.01, 0, 0, 0, 0.01}, 3);
  CHECK(factor_vae(ds, tiny, rng, f).num_active_dims == 0);
}

TEST_CASE("metrics: FactorVAE votes and majority classifier on hand-made points") {
  // Two factors, three codes (code 2 inactive). Training votes: factor 0 → code 0 twice, code 1 once;
  // factor 1 → code 1 twice. Classifier: code 0 → 0, code 1 → 1; train accuracy 4/5.
  FactorVaePoints train;
  train.num_points = 5;
  train.num_codes = 3;
  train.factor = {0, 0, 0, 1, 1};
  train.local_variance = {0.1, 1, 0, 0.2, 1, 0, 1, 0.5, 0, 1, 0.1, 0, 1, 0.3, 0};
  FactorVaePoints eval = train;
  eval.factor = {1, 1, 0, 0, 0};  // votes (1,0), (1,0), (0,1), (0,1), (0,1): hits at codes' majorities: 0 + 0 + 0 + 0 + 0
  const std::vector<double> global = {1.0, 1.0, 1e-6};
  const FactorVaeResult r = factor_vae_from_points(global, train, eval, 2, 0.05);
  CHECK(r.num_active_dims == 2);
  CHECK(r.train_accuracy == doctest::Approx(0.8));
  CHECK(r.eval_accuracy == doctest::Approx(0.0));
}

TEST_CASE("metrics: Gaussian total and Wasserstein correlation match their closed forms") {
  const double rho = 0.6;
  // Unit variances: TC = −½ log(1 − ρ²); the eigenvalues of Σ are 1 ± ρ.
  const std::vector<double> unit = {1, rho, rho, 1};
  CHECK(gaussian_total_correlation(unit, 2) == doctest::Approx(-0.5 * std::log(1 - rho * rho)).epsilon(1e-14));
  CHECK(gaussian_wasserstein_correlation(unit, 2) ==
        doctest::Approx(4 - 2 * (std::sqrt(1 + rho) + std::sqrt(1 - rho))).epsilon(1e-12));
  // Variances 4 and 1, correlation ρ: Δ^½ Σ Δ^½ = [[16, 4ρ], [4ρ, 1]], eigenvalues in closed form.
  const std::vector<double> scaled = {4, 2 * rho, 2 * rho, 1};
  const double a = 16, b = 1, c = 4 * rho;
  const double l1 = 0.5 * (a + b) + std::sqrt(0.25 * (a - b) * (a - b) + c * c), l2 = a + b - l1;
  CHECK(gaussian_wasserstein_correlation(scaled, 2) ==
        doctest::Approx(10 - 2 * (std::sqrt(l1) + std::sqrt(l2))).epsilon(1e-12));
  CHECK(gaussian_total_correlation(scaled, 2) == doctest::Approx(-0.5 * std::log(1 - rho * rho)).epsilon(1e-14));
  // Independent codes: both 0. Singular: TC infinite.
  const std::vector<double> diagonal = {2, 0, 0, 3}, singular = {1, 1, 1, 1};
  CHECK(gaussian_total_correlation(diagonal, 2) == 0.0);
  CHECK(gaussian_wasserstein_correlation(diagonal, 2) == doctest::Approx(0.0).epsilon(1e-12));
  CHECK(std::isinf(gaussian_total_correlation(singular, 2)));

  GridDataset ds({3, 4, 6});
  const CodesAndFactors id = sample(ds, linear_representation(ds, identity_matrix(3), 3), 3000, 1);
  const UnsupervisedResult u = unsupervised_from_codes(id.codes);
  CHECK(u.gaussian_total_correlation < 0.01);  // independent factors
  CHECK(u.mutual_info_score < 0.01);
}

TEST_CASE("metrics: the suite is deterministic: same seed identical, 1 and 2 threads identical") {
  GridDataset ds({3, 4, 5});
  const Representation rep = linear_representation(ds, random_rotation(3, 2), 3);
  SuiteOptions o;
  o.beta_vae.batch_size = 8;
  o.beta_vae.num_train = 100;
  o.beta_vae.num_eval = 50;
  o.factor_vae.batch_size = 8;
  o.factor_vae.num_train = 100;
  o.factor_vae.num_eval = 50;
  o.factor_vae.num_variance_estimate = 200;
  o.mig.num_train = 500;
  o.sap.num_train = 400;
  o.sap.num_test = 200;
  o.dci.num_train = 300;
  o.dci.num_test = 100;
  o.dci.boosting.num_stages = 10;
  o.modularity_explicitness.num_train = 400;
  o.modularity_explicitness.num_test = 200;
  o.irs.num_train = 400;
  o.unsupervised.num_train = 400;
  const int before = num_threads();
  set_num_threads(1);
  const SuiteResult one = run_metrics_suite(ds, rep, o);
  set_num_threads(2);
  const SuiteResult two = run_metrics_suite(ds, rep, o);
  const SuiteResult again = run_metrics_suite(ds, rep, o);
  o.seed = 1;
  const SuiteResult other = run_metrics_suite(ds, rep, o);
  set_num_threads(before);
  REQUIRE(one.values.size() == 20);
  bool any_differs = false;
  for (size_t i = 0; i < one.values.size(); ++i) {
    CAPTURE(one.values[i].name);
    CHECK(std::memcmp(&one.values[i].value, &two.values[i].value, sizeof(double)) == 0);
    CHECK(std::memcmp(&two.values[i].value, &again.values[i].value, sizeof(double)) == 0);
    any_differs = any_differs || other.values[i].value != one.values[i].value;
  }
  CHECK(any_differs);

  // Leaving metrics out changes no other value: each draws from its own stream.
  o.seed = 0;
  o.metrics = {"sap", "mig"};
  const SuiteResult some = run_metrics_suite(ds, rep, o);
  REQUIRE(some.values.size() == 2);
  CHECK(some.values[0].name == "mig.discrete_mig");
  for (const SuiteValue& v : one.values)
    if (v.name == "mig.discrete_mig") CHECK(v.value == some.values[0].value);
  o.metrics = {"nonsense"};
  CHECK_THROWS_AS(run_metrics_suite(ds, rep, o), Error);

  SuiteResult small;
  small.values = {{"a.b", 0.5}, {"c.d", NAN}};
  small.timings = {{"a", 1.25}};
  const std::string json = suite_json(small);
  CHECK(json == "{\"values\": {\"a.b\": 0.5, \"c.d\": null}, \"seconds\": {\"a\": 1.25}}");
  CHECK(suite_table(one).find("dci.disentanglement") != std::string::npos);
}
