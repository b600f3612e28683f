#include "elbo/metrics/suite.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "elbo/error.hpp"

namespace elbo::metrics {

const std::vector<std::string>& suite_metric_names() {
  static const std::vector<std::string> names = {"beta_vae", "factor_vae", "mig", "sap", "dci",
                                                 "modularity_explicitness", "irs", "unsupervised"};
  return names;
}

SuiteResult run_metrics_suite(const data::GroundTruthDataset& dataset, const Representation& rep,
                              const SuiteOptions& o) {
  const std::vector<std::string>& names = suite_metric_names();
  for (const std::string& m : o.metrics)
    ELBO_CHECK(std::find(names.begin(), names.end(), m) != names.end(), "run_metrics_suite: unknown metric '", m,
               "'; the metrics are beta_vae, factor_vae, mig, sap, dci, modularity_explicitness, irs, unsupervised");
  SuiteResult result;
  for (size_t index = 0; index < names.size(); ++index) {
    const std::string& m = names[index];
    if (std::find(o.metrics.begin(), o.metrics.end(), m) == o.metrics.end()) continue;
    Rng rng{o.seed, /*stream=*/0x6d657472696300ULL + index, 0};
    auto put = [&](const char* key, double value) { result.values.push_back({m + "." + key, value}); };
    const auto start = std::chrono::steady_clock::now();
    if (m == "beta_vae") {
      const BetaVaeResult r = beta_vae(dataset, rep, rng, o.beta_vae);
      put("train_accuracy", r.train_accuracy);
      put("eval_accuracy", r.eval_accuracy);
    } else if (m == "factor_vae") {
      const FactorVaeResult r = factor_vae(dataset, rep, rng, o.factor_vae);
      put("train_accuracy", r.train_accuracy);
      put("eval_accuracy", r.eval_accuracy);
      put("num_active_dims", static_cast<double>(r.num_active_dims));
    } else if (m == "mig") {
      put("discrete_mig", mig(dataset, rep, rng, o.mig).mig);
    } else if (m == "sap") {
      put("SAP_score", sap(dataset, rep, rng, o.sap).sap);
    } else if (m == "dci") {
      const DciResult r = dci(dataset, rep, rng, o.dci);
      put("disentanglement", r.disentanglement);
      put("completeness", r.completeness);
      put("informativeness_train", r.informativeness_train);
      put("informativeness_test", r.informativeness_test);
    } else if (m == "modularity_explicitness") {
      const ModularityExplicitnessResult r = modularity_explicitness(dataset, rep, rng, o.modularity_explicitness);
      put("modularity_score", r.modularity);
      put("explicitness_score_train", r.explicitness_train);
      put("explicitness_score_test", r.explicitness_test);
    } else if (m == "irs") {
      const IrsResult r = irs(dataset, rep, rng, o.irs);
      put("IRS", r.irs);
      put("num_active_dims", static_cast<double>(r.num_active_dims));
    } else if (m == "unsupervised") {
      const UnsupervisedResult r = unsupervised(dataset, rep, rng, o.unsupervised);
      put("gaussian_total_correlation", r.gaussian_total_correlation);
      put("gaussian_wasserstein_correlation", r.gaussian_wasserstein_correlation);
      put("gaussian_wasserstein_correlation_norm", r.gaussian_wasserstein_correlation_norm);
      put("mutual_info_score", r.mutual_info_score);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.timings.push_back({m, seconds});
  }
  return result;
}

std::string suite_table(const SuiteResult& r) {
  size_t width = 6;
  for (const SuiteValue& v : r.values) width = std::max(width, v.name.size());
  for (const SuiteTiming& t : r.timings) width = std::max(width, t.metric.size() + 8);
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-*s  %s\n", static_cast<int>(width), "metric", "value");
  out += line;
  for (const SuiteValue& v : r.values) {
    std::snprintf(line, sizeof line, "%-*s  %.6f\n", static_cast<int>(width), v.name.c_str(), v.value);
    out += line;
  }
  out += "\n";
  double total = 0.0;
  for (const SuiteTiming& t : r.timings) {
    std::snprintf(line, sizeof line, "%-*s  %.3f s\n", static_cast<int>(width), (t.metric + " (time)").c_str(), t.seconds);
    out += line;
    total += t.seconds;
  }
  std::snprintf(line, sizeof line, "%-*s  %.3f s\n", static_cast<int>(width), "total (time)", total);
  out += line;
  return out;
}

std::string suite_json(const SuiteResult& r) {
  auto number = [](double v) {
    if (!std::isfinite(v)) return std::string("null");
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", v);
    return std::string(text);
  };
  std::string out = "{\"values\": {";
  for (size_t i = 0; i < r.values.size(); ++i)
    out += (i ? ", \"" : "\"") + r.values[i].name + "\": " + number(r.values[i].value);
  out += "}, \"seconds\": {";
  for (size_t i = 0; i < r.timings.size(); ++i)
    out += (i ? ", \"" : "\"") + r.timings[i].metric + "\": " + number(r.timings[i].seconds);
  out += "}}";
  return out;
}

}  // namespace elbo::metrics
