#include "elbo/metrics/suite_from_codes.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "elbo/error.hpp"

namespace elbo::metrics {

namespace {

// Philox streams of the split (fixed, so that a seed gives the same rows in every version).
constexpr uint64_t kSplitStream = 0x73706c6974ULL;       // "split": the one permutation, or the training arrays'
constexpr uint64_t kTestSplitStream = 0x73706c6975ULL;   // the test arrays' permutation

void check_array(const Tensor& array, const std::string& what, const char* kind, const char* columns) {
  ELBO_CHECK(array.defined(), what, ": no array");
  ELBO_CHECK(array.ndim() == 2, what, ": ", kind, " must be a 2-D array [N, ", columns, "] (one row per image), got shape ",
             array.shape().str(), array.ndim() == 1 ? "; write a single column as shape [N, 1]" : "");
  ELBO_CHECK(array.size(0) >= 1 && array.size(1) >= 1, what, ": ", kind, " array of shape ", array.shape().str(),
             " is empty");
}

}  // namespace

const std::vector<std::string>& codes_metric_names() {
  static const std::vector<std::string> names = {"mig", "sap", "dci", "modularity_explicitness", "irs", "unsupervised"};
  return names;
}

Tensor codes_from_array(const Tensor& array, const std::string& what) {
  check_array(array, what, "codes", "D");
  Tensor cpu = array.device() == Device::cpu ? array : array.to(Device::cpu);
  Tensor codes = (cpu.dtype() == DType::f64 ? cpu : cpu.to(DType::f64)).contiguous();
  const double* z = codes.data<double>();
  const int64_t n = codes.size(0), d = codes.size(1);
  for (int64_t i = 0; i < n * d; ++i)
    ELBO_CHECK(std::isfinite(z[i]), what, ": codes element [", i / d, ", ", i % d, "] is ", z[i],
               "; every code must be a finite number (check the encoder's output for NaN)");
  return codes;
}

Tensor factors_from_array(const Tensor& array, const std::string& what) {
  check_array(array, what, "factors", "K");
  Tensor cpu = (array.device() == Device::cpu ? array : array.to(Device::cpu)).contiguous();
  const int64_t n = cpu.size(0), k = cpu.size(1);
  if (!is_floating(cpu.dtype())) return (cpu.dtype() == DType::i64 ? cpu : cpu.to(DType::i64)).contiguous();
  Tensor values = cpu.to(DType::f64).contiguous();
  const double* v = values.data<double>();
  Tensor factors = empty(Shape{n, k}, DType::i64);
  int64_t* f = factors.data<int64_t>();
  for (int64_t i = 0; i < n * k; ++i) {
    ELBO_CHECK(std::isfinite(v[i]) && v[i] == std::floor(v[i]) && std::fabs(v[i]) < 0x1p53, what, ": factors element [",
               i / k, ", ", i % k, "] is ", v[i],
               "; factors must be integer class indices (0, 1, 2, ...: the index of each factor's value, "
               "as in dSprites' latents_classes), best written with dtype int64");
    f[i] = static_cast<int64_t>(v[i]);
  }
  return factors;
}

namespace {

// The first `count` entries of a Fisher–Yates shuffle of 0..n−1 (step i swaps i with i + below(n − i)).
std::vector<int64_t> shuffled_prefix(int64_t n, int64_t count, Rng& rng) {
  ELBO_CHECK(n >= 0 && count >= 0 && count <= n, "sample_rows: cannot take ", count, " rows of ", n);
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(n - i)));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  order.resize(static_cast<size_t>(count));
  return order;
}

}  // namespace

std::vector<int64_t> sample_rows(int64_t n, int64_t count, Rng& rng) {
  if (count == n && n >= 0) {
    std::vector<int64_t> all(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) all[static_cast<size_t>(i)] = i;
    return all;
  }
  std::vector<int64_t> rows = shuffled_prefix(n, count, rng);
  std::sort(rows.begin(), rows.end());
  return rows;
}

Tensor take_rows(const Tensor& array, const std::vector<int64_t>& rows) {
  ELBO_CHECK(array.defined() && array.ndim() == 2 && array.device() == Device::cpu, "take_rows: expected a CPU array [N, C]");
  Tensor src = array.contiguous();
  const int64_t n = src.size(0), c = src.size(1);
  const size_t row_bytes = static_cast<size_t>(c) * dtype_size(src.dtype());
  Tensor out = empty(Shape{static_cast<int64_t>(rows.size()), c}, src.dtype());
  const auto* in = static_cast<const uint8_t*>(src.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  for (size_t r = 0; r < rows.size(); ++r) {
    ELBO_CHECK(rows[r] >= 0 && rows[r] < n, "take_rows: row ", rows[r], " outside [0, ", n, ")");
    std::memcpy(dst + r * row_bytes, in + static_cast<size_t>(rows[r]) * row_bytes, row_bytes);
  }
  return out;
}

namespace {

void check_pair(const char* op, const Tensor& codes, const Tensor& factors, const char* which) {
  ELBO_CHECK(codes.defined() && factors.defined() && codes.ndim() == 2 && factors.ndim() == 2 &&
                 codes.dtype() == DType::f64 && factors.dtype() == DType::i64,
             op, ": the ", which, " arrays must be f64 codes [N, D] and i64 factors [N, K] "
             "(codes_from_array, factors_from_array)");
  ELBO_CHECK(codes.size(0) == factors.size(0), op, ": ", which, " codes ", codes.shape().str(), " and factors ",
             factors.shape().str(), " have different numbers of rows");
}

}  // namespace

CodesSplit split_codes(const Tensor& codes, const Tensor& factors, int64_t num_train, int64_t num_test, uint64_t seed) {
  check_pair("split_codes", codes, factors, "training");
  ELBO_CHECK(num_train >= 1 && num_test >= 1, "split_codes: num_train and num_test must be positive, got ", num_train,
             " and ", num_test);
  const int64_t n = codes.size(0);
  int64_t n_train = num_train, n_test = num_test;
  if (n < num_train + num_test) {
    n_test = n * num_test / (num_train + num_test);  // the defaults' proportion, rounded down
    n_train = n - n_test;
  }
  ELBO_CHECK(n_train >= 2 && n_test >= 1, "split_codes: ", n, " points are too few to split into training and test "
             "sets (", n_train, " and ", n_test, "); give at least 3, or a separate test set");
  Rng rng{seed, kSplitStream, 0};
  const std::vector<int64_t> order = shuffled_prefix(n, n_train + n_test, rng);
  std::vector<int64_t> train(order.begin(), order.begin() + n_train);
  std::vector<int64_t> test(order.begin() + n_train, order.begin() + n_train + n_test);
  std::sort(train.begin(), train.end());
  std::sort(test.begin(), test.end());
  return {take_rows(codes, train), take_rows(factors, train), take_rows(codes, test), take_rows(factors, test)};
}

CodesSplit subsample_codes(const Tensor& codes_train, const Tensor& factors_train, const Tensor& codes_test,
                           const Tensor& factors_test, int64_t num_train, int64_t num_test, uint64_t seed) {
  check_pair("subsample_codes", codes_train, factors_train, "training");
  check_pair("subsample_codes", codes_test, factors_test, "test");
  ELBO_CHECK(codes_train.size(1) == codes_test.size(1), "subsample_codes: training codes have ", codes_train.size(1),
             " dimensions but test codes ", codes_test.size(1));
  ELBO_CHECK(factors_train.size(1) == factors_test.size(1), "subsample_codes: training points have ", factors_train.size(1),
             " factors but test points ", factors_test.size(1));
  ELBO_CHECK(num_train >= 1 && num_test >= 1, "subsample_codes: num_train and num_test must be positive, got ", num_train,
             " and ", num_test);
  Rng train_rng{seed, kSplitStream, 0}, test_rng{seed, kTestSplitStream, 0};
  std::vector<int64_t> train = sample_rows(codes_train.size(0), std::min(num_train, codes_train.size(0)), train_rng);
  std::vector<int64_t> test = sample_rows(codes_test.size(0), std::min(num_test, codes_test.size(0)), test_rng);
  return {take_rows(codes_train, train), take_rows(factors_train, train), take_rows(codes_test, test),
          take_rows(factors_test, test)};
}

SuiteResult run_metrics_suite_from_codes(const CodesSplit& s, const CodesSuiteOptions& o) {
  const std::vector<std::string>& names = codes_metric_names();
  for (const std::string& m : o.metrics) {
    const bool needs_dataset = m == "beta_vae" || m == "factor_vae";
    ELBO_CHECK(!needs_dataset, "metrics from codes: ", m,
               " chooses which images to encode, so it needs the dataset and the model, not fixed codes; "
               "the metrics from codes are mig, sap, dci, modularity_explicitness, irs, unsupervised");
    ELBO_CHECK(std::find(names.begin(), names.end(), m) != names.end(), "metrics from codes: unknown metric '", m,
               "'; the metrics from codes are mig, sap, dci, modularity_explicitness, irs, unsupervised");
  }
  check_pair("run_metrics_suite_from_codes", s.codes_train, s.factors_train, "training");
  check_pair("run_metrics_suite_from_codes", s.codes_test, s.factors_test, "test");
  SuiteResult result;
  for (const std::string& m : names) {
    if (std::find(o.metrics.begin(), o.metrics.end(), m) == o.metrics.end()) continue;
    auto put = [&](const char* key, double value) { result.values.push_back({m + "." + key, value}); };
    const auto start = std::chrono::steady_clock::now();
    if (m == "mig") {
      put("discrete_mig", mig_from_codes(s.codes_train, s.factors_train, o.num_bins).mig);
    } else if (m == "sap") {
      put("SAP_score", sap_from_codes(s.codes_train, s.factors_train, s.codes_test, s.factors_test, o.sap).sap);
    } else if (m == "dci") {
      const DciResult r = dci_from_codes(s.codes_train, s.factors_train, s.codes_test, s.factors_test, o.dci);
      put("disentanglement", r.disentanglement);
      put("completeness", r.completeness);
      put("informativeness_train", r.informativeness_train);
      put("informativeness_test", r.informativeness_test);
    } else if (m == "modularity_explicitness") {
      const double modularity = modularity_from_codes(s.codes_train, s.factors_train, o.num_bins);
      const ExplicitnessResult r =
          explicitness_from_codes(s.codes_train, s.factors_train, s.codes_test, s.factors_test, o.explicitness);
      put("modularity_score", modularity);
      put("explicitness_score_train", r.train);
      put("explicitness_score_test", r.test);
    } else if (m == "irs") {
      const IrsResult r = irs_from_codes(s.codes_train, s.factors_train, o.irs_diff_quantile, o.num_bins);
      put("IRS", r.irs);
      put("num_active_dims", static_cast<double>(r.num_active_dims));
    } else if (m == "unsupervised") {
      const UnsupervisedResult r = unsupervised_from_codes(s.codes_train, o.num_bins);
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

}  // namespace elbo::metrics
