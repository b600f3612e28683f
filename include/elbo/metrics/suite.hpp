// Every disentanglement metric on one representation, with disentanglement_lib's default sizes:
// the evaluation protocol of Locatello et al. 2019 (bin/dlib_reproduce evaluates each metric with
// its own random seed). Each metric draws from its own Philox stream of `seed` (fixed per metric,
// so leaving a metric out changes no other value), and reports its values under the reference's
// key names, prefixed with the metric's name, plus the seconds it took.
//
//   beta_vae                 train_accuracy, eval_accuracy                          (beta_vae.hpp)
//   factor_vae               train_accuracy, eval_accuracy, num_active_dims         (factor_vae.hpp)
//   mig                      discrete_mig                                           (mig.hpp)
//   sap                      SAP_score                                              (sap.hpp)
//   dci                      disentanglement, completeness, informativeness_train/test (dci.hpp)
//   modularity_explicitness  modularity_score, explicitness_score_train/test        (modularity.hpp)
//   irs                      IRS, num_active_dims                                   (irs.hpp)
//   unsupervised             gaussian_total_correlation, gaussian_wasserstein_correlation(_norm),
//                            mutual_info_score                                      (unsupervised.hpp)
//
// Chen et al.'s continuous MIG needs the posterior's variances over a whole dataset rather than a
// representation function: continuous_mig.hpp, outside the suite.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/metrics/beta_vae.hpp"
#include "elbo/metrics/dci.hpp"
#include "elbo/metrics/factor_vae.hpp"
#include "elbo/metrics/irs.hpp"
#include "elbo/metrics/mig.hpp"
#include "elbo/metrics/modularity.hpp"
#include "elbo/metrics/sap.hpp"
#include "elbo/metrics/unsupervised.hpp"

namespace elbo::metrics {

// The metric names in suite order.
const std::vector<std::string>& suite_metric_names();

struct SuiteOptions {
  uint64_t seed = 0;
  std::vector<std::string> metrics = suite_metric_names();  // which to run, any order
  BetaVaeOptions beta_vae;
  FactorVaeOptions factor_vae;
  MigOptions mig;
  SapOptions sap;
  DciOptions dci;
  ModularityExplicitnessOptions modularity_explicitness;
  IrsOptions irs;
  UnsupervisedOptions unsupervised;
};

struct SuiteValue {
  std::string name;  // "metric.key"
  double value = 0.0;
};

struct SuiteTiming {
  std::string metric;
  double seconds = 0.0;
};

struct SuiteResult {
  std::vector<SuiteValue> values;
  std::vector<SuiteTiming> timings;
};

SuiteResult run_metrics_suite(const data::GroundTruthDataset& dataset, const Representation& rep,
                              const SuiteOptions& options = {});

// The result as an aligned text table (name, value; then the timings), and as JSON
// {"values": {name: value, …}, "seconds": {metric: seconds, …}} (a non-finite value is null).
std::string suite_table(const SuiteResult& result);
std::string suite_json(const SuiteResult& result);

}  // namespace elbo::metrics
