// elbo metrics: disentanglement metrics of codes computed elsewhere, or of a synthetic code of a
// generated dataset's factors (the self-check). The metrics live in src/metrics; this file reads
// the inputs, checks them, and prints and writes the results.
#include "metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/autograd.hpp"
#include "elbo/context.hpp"
#include "elbo/data/dsprites.hpp"
#include "elbo/data/scenes3d.hpp"
#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/metrics/factor_representation.hpp"
#include "elbo/metrics/suite_from_codes.hpp"
#include "run.hpp"

using namespace elbo;

namespace cli {

json::Value metrics_json(const metrics::SuiteResult& result, json::Value input, uint64_t seed) {
  json::Value doc = json::Value::object();
  doc.set("command", "elbo metrics");
  doc.set("input", std::move(input));
  doc.set("seed", seed);
  doc.set("threads", static_cast<int64_t>(num_threads()));
  json::Value values = json::Value::object(), seconds = json::Value::object();
  double total = 0.0;
  for (const metrics::SuiteValue& v : result.values)
    values.set(v.name, std::isfinite(v.value) ? json::Value(v.value) : json::Value());
  for (const metrics::SuiteTiming& t : result.timings) {
    seconds.set(t.metric, t.seconds);
    total += t.seconds;
  }
  doc.set("values", std::move(values));
  doc.set("seconds", std::move(seconds));
  doc.set("total_seconds", total);
  return doc;
}

namespace {

// Prints the table and writes the JSON file.
void report(const metrics::SuiteResult& result, json::Value input, uint64_t seed, const std::string& out_json) {
  std::printf("\n%s", metrics::suite_table(result).c_str());
  if (out_json.empty()) return;
  io::write_file_atomic(out_json, json::dump(metrics_json(result, std::move(input), seed), 2) + "\n");
  std::printf("\nwrote %s\n", out_json.c_str());
}

}  // namespace

metrics::SuiteResult score_representation(const data::GroundTruthDataset& dataset, const metrics::Representation& rep,
                                          const metrics::SuiteOptions& options, json::Value input,
                                          const std::string& out_json) {
  metrics::SuiteResult result = metrics::run_metrics_suite(dataset, rep, options);
  report(result, std::move(input), options.seed, out_json);
  return result;
}

std::vector<std::string> parse_metric_list(const std::string& text) {
  std::vector<std::string> names;
  for (const std::string& part : split_commas(text)) {
    const size_t a = part.find_first_not_of(' '), b = part.find_last_not_of(' ');
    if (a != std::string::npos) names.push_back(part.substr(a, b - a + 1));
  }
  return names;
}

void check_metric_names(const std::vector<std::string>& selected) {
  const std::vector<std::string>& names = metrics::suite_metric_names();
  for (const std::string& m : selected)
    ELBO_CHECK(std::find(names.begin(), names.end(), m) != names.end(), "--metrics: unknown metric '", m,
               "'; the metrics are beta_vae, factor_vae, mig, sap, dci, modularity_explicitness, irs, unsupervised");
}

metrics::SuiteOptions suite_options(const std::vector<std::string>& selected, int64_t num_train, int64_t num_test,
                                    uint64_t seed) {
  metrics::SuiteOptions options;
  options.seed = seed;
  if (!selected.empty()) options.metrics = selected;
  options.beta_vae.num_train = options.factor_vae.num_train = num_train;
  options.factor_vae.num_variance_estimate = options.mig.num_train = options.sap.num_train = num_train;
  options.dci.num_train = options.modularity_explicitness.num_train = num_train;
  options.irs.num_train = options.unsupervised.num_train = num_train;
  options.beta_vae.num_eval = options.factor_vae.num_eval = num_test;
  options.sap.num_test = options.dci.num_test = options.modularity_explicitness.num_test = num_test;
  return options;
}

json::Value score_run(const std::string& dir, const metrics::SuiteOptions& options, const std::string& out_json) {
  check_metric_names(options.metrics);
  LoadedRun run = load_run(dir);
  const auto* dataset = dynamic_cast<const data::GroundTruthDataset*>(run.dataset.get());
  ELBO_CHECK(dataset, "--run ", dir, ": its dataset ", run.dataset->name(),
             " has no ground-truth factors; the metrics need dsprites, scenes3d or dsprites-file");
  models::Vae& vae = run.model->vae;
  const Device device = run.model->config.device;
  const metrics::Representation rep = [&vae, device](const Tensor& images) {
    NoGradGuard no_grad;
    return vae.encode(images.to(device)).mu.to(Device::cpu).to(DType::f64).contiguous();
  };
  const int64_t num_train = options.beta_vae.num_train, num_test = options.beta_vae.num_eval;
  std::printf("elbo metrics: run %s at step %lld on %s, representation: posterior mean of %lld latents\n",
              dir.c_str(), static_cast<long long>(run.step), dataset->name().c_str(),
              static_cast<long long>(vae.latents));
  std::fflush(stdout);
  // One metric at a time, in suite order, so that each can be reported as it ends.
  std::vector<std::string> order;
  for (const std::string& m : metrics::suite_metric_names())
    if (std::find(options.metrics.begin(), options.metrics.end(), m) != options.metrics.end()) order.push_back(m);
  metrics::SuiteResult result;
  for (size_t i = 0; i < order.size(); ++i) {
    metrics::SuiteOptions one = options;
    one.metrics = {order[i]};
    const metrics::SuiteResult part = metrics::run_metrics_suite(*dataset, rep, one);
    result.values.insert(result.values.end(), part.values.begin(), part.values.end());
    result.timings.insert(result.timings.end(), part.timings.begin(), part.timings.end());
    std::printf("  metric %zu/%zu %-24s %.1f s\n", i + 1, order.size(), order[i].c_str(), part.timings.at(0).seconds);
    std::fflush(stdout);
  }
  json::Value input = json::Value::object();
  input.set("mode", "run");
  input.set("run", dir);
  input.set("step", run.step);
  input.set("representation", "mean");
  input.set("num_train", num_train);
  input.set("num_test", num_test);
  json::Value doc = metrics_json(result, input, options.seed);
  report(result, std::move(input), options.seed, out_json);
  return doc;
}

}  // namespace cli

namespace {

int usage_error(const std::string& message) {
  std::fprintf(stderr, "elbo metrics: %s (see elbo metrics --help)\n", message.c_str());
  return 2;
}

std::string shape_text(const Tensor& t) { return t.shape().str(); }

// A factor that never changes carries no information, and MIG, DCI and the classifiers cannot use
// it (dSprites' "color" column, for one): name the file and the column.
void check_no_constant_factor(const Tensor& factors, const std::string& path) {
  const int64_t n = factors.size(0), k = factors.size(1);
  const int64_t* f = factors.data<int64_t>();
  for (int64_t j = 0; j < k; ++j) {
    bool varies = false;
    for (int64_t i = 1; i < n && !varies; ++i) varies = f[i * k + j] != f[j];
    ELBO_CHECK(varies, path, ": factor column ", j, " is ", f[j], " in every row; a constant factor carries no "
               "information and the metrics cannot score it: leave the column out (dSprites: drop 'color', column 0)");
  }
}

// --codes mode: read, check, split, score.
int metrics_from_files(const std::string& codes_path, const std::string& factors_path, const std::string& test_codes_path,
                       const std::string& test_factors_path, const std::vector<std::string>& selected,
                       int64_t num_train, int64_t num_test, uint64_t seed, const std::string& out_json) {
  const Tensor codes = metrics::codes_from_array(io::read_npy(codes_path), codes_path);
  const Tensor factors = metrics::factors_from_array(io::read_npy(factors_path), factors_path);
  ELBO_CHECK(codes.size(0) == factors.size(0), codes_path, " has ", codes.size(0), " rows but ", factors_path, " has ",
             factors.size(0), "; row n of both files must describe the same image");
  check_no_constant_factor(factors, factors_path);
  const bool separate_test = !test_codes_path.empty();
  metrics::CodesSplit split;
  int64_t test_rows = 0;
  if (separate_test) {
    const Tensor test_codes = metrics::codes_from_array(io::read_npy(test_codes_path), test_codes_path);
    const Tensor test_factors = metrics::factors_from_array(io::read_npy(test_factors_path), test_factors_path);
    ELBO_CHECK(test_codes.size(0) == test_factors.size(0), test_codes_path, " has ", test_codes.size(0), " rows but ",
               test_factors_path, " has ", test_factors.size(0), "; row n of both files must describe the same image");
    ELBO_CHECK(test_codes.size(1) == codes.size(1), test_codes_path, " has ", test_codes.size(1),
               " code dimensions but ", codes_path, " has ", codes.size(1), "; both must come from the same model");
    ELBO_CHECK(test_factors.size(1) == factors.size(1), test_factors_path, " has ", test_factors.size(1),
               " factors per row but ", factors_path, " has ", factors.size(1));
    test_rows = test_codes.size(0);
    split = metrics::subsample_codes(codes, factors, test_codes, test_factors, num_train, num_test, seed);
  } else {
    split = metrics::split_codes(codes, factors, num_train, num_test, seed);
  }
  const int64_t n_train = split.codes_train.size(0), n_test = split.codes_test.size(0);
  std::printf("elbo metrics: codes %s %s, factors %s %s\n", codes_path.c_str(), shape_text(codes).c_str(),
              factors_path.c_str(), shape_text(factors).c_str());
  if (separate_test)
    std::printf("points: %lld training (of %lld), %lld test (of %lld in %s); seed %llu, %d threads\n",
                static_cast<long long>(n_train), static_cast<long long>(codes.size(0)), static_cast<long long>(n_test),
                static_cast<long long>(test_rows), test_codes_path.c_str(), static_cast<unsigned long long>(seed), num_threads());
  else
    std::printf("points: %lld training and %lld test, a random split of the %lld rows; seed %llu, %d threads\n",
                static_cast<long long>(n_train), static_cast<long long>(n_test), static_cast<long long>(codes.size(0)),
                static_cast<unsigned long long>(seed), num_threads());
  std::fflush(stdout);

  metrics::CodesSuiteOptions options;
  if (!selected.empty()) options.metrics = selected;
  const metrics::SuiteResult result = metrics::run_metrics_suite_from_codes(split, options);

  json::Value input = json::Value::object();
  input.set("mode", "codes");
  input.set("codes", codes_path);
  input.set("factors", factors_path);
  input.set("test_codes", separate_test ? json::Value(test_codes_path) : json::Value());
  input.set("test_factors", separate_test ? json::Value(test_factors_path) : json::Value());
  input.set("num_points", codes.size(0));
  input.set("num_codes", codes.size(1));
  input.set("num_factors", factors.size(1));
  input.set("num_train", n_train);
  input.set("num_test", n_test);
  input.set("split", separate_test ? "separate test files, each subsampled" : "random split of one file");
  cli::report(result, std::move(input), seed, out_json);
  return 0;
}

// --run mode.
int metrics_of_run(const std::string& dir, const std::vector<std::string>& selected, int64_t num_train,
                   int64_t num_test, uint64_t seed, const std::string& out) {
  cli::score_run(dir, cli::suite_options(selected, num_train, num_test, seed), out);
  return 0;
}

}  // namespace

int run_metrics(int argc, char** argv) {
  std::string codes, factors, test_codes, test_factors, dataset_name, representation = "identity-factors", only, out,
      run_dir;
  int64_t num_train = 10000, num_test = 5000, seed = 0, threads = 0;
  cli::Args args("elbo metrics",
                 "Disentanglement metrics (docs/METRICS.md). Either score codes computed elsewhere:\n"
                 "  elbo metrics --codes C.npy --factors F.npy [--test-codes T.npy --test-factors U.npy]\n"
                 "(codes [N, D] float, factors [N, K] integer class indices, row n of both the same image;\n"
                 "without test files the rows are split at random, 2:1 below 15,000 rows), or check the suite\n"
                 "on a synthetic code of a generated dataset's factors (all metrics, with timings):\n"
                 "  elbo metrics --dataset dsprites --representation identity-factors\n"
                 "or score a trained run on its ground-truth dataset (its encoder's posterior means as the code):\n"
                 "  elbo metrics --run RUN");
  args.flag("--run", run_dir, "a run directory (elbo train) on dsprites, scenes3d or dsprites-file");
  args.flag("--codes", codes, "codes .npy [N, D] (float)");
  args.flag("--factors", factors, "factors .npy [N, K] (integer class indices)");
  args.flag("--test-codes", test_codes, "test codes .npy (default: split --codes)");
  args.flag("--test-factors", test_factors, "test factors .npy");
  args.flag("--dataset", dataset_name, "self-check on a generated dataset", {"dsprites", "scenes3d"});
  args.flag("--representation", representation, "self-check code of the factors", {"identity-factors", "random-rotation"});
  args.flag("--metrics", only,
            "comma list (default all): beta_vae,factor_vae (--dataset only),mig,sap,dci,modularity_explicitness,irs,"
            "unsupervised");
  args.flag("--num-train", num_train, "training points per metric (disentanglement_lib's default)");
  args.flag("--num-test", num_test, "test points per metric (disentanglement_lib's default)");
  args.flag("--seed", seed, "seed of the split, the sampling and the classifiers");
  args.flag("--threads", threads, "threads (0: OMP_NUM_THREADS or all cores)");
  args.flag("--out", out, "write the values and timings to this JSON file");
  if (!args.parse(argc, argv)) return args.exit_code();

  const bool codes_mode = !codes.empty() || !factors.empty() || !test_codes.empty() || !test_factors.empty();
  if (!run_dir.empty()) {
    if (codes_mode || !dataset_name.empty()) return usage_error("--run goes alone: not with --codes or --dataset");
    if (num_train < 1 || num_test < 1) return usage_error("--num-train and --num-test must be positive");
    if (seed < 0 || threads < 0) return usage_error("--seed and --threads must be ≥ 0");
    if (threads > 0) set_num_threads(static_cast<int>(threads));
    return metrics_of_run(run_dir, cli::parse_metric_list(only), num_train, num_test, static_cast<uint64_t>(seed), out);
  }
  if (codes_mode == !dataset_name.empty())
    return usage_error(codes_mode ? "give either --codes/--factors or --dataset, not both"
                                  : "nothing to score: give --codes C.npy --factors F.npy, or --dataset");
  if (codes_mode && (codes.empty() || factors.empty())) return usage_error("--codes and --factors go together");
  if (test_codes.empty() != test_factors.empty()) return usage_error("--test-codes and --test-factors go together");
  if (num_train < 1 || num_test < 1) return usage_error("--num-train and --num-test must be positive");
  if (seed < 0 || threads < 0) return usage_error("--seed and --threads must be ≥ 0");
  if (threads > 0) set_num_threads(static_cast<int>(threads));
  const std::vector<std::string> selected = cli::parse_metric_list(only);
  if (!only.empty() && selected.empty()) return usage_error("--metrics lists no metric");

  if (codes_mode)
    return metrics_from_files(codes, factors, test_codes, test_factors, selected, num_train, num_test,
                              static_cast<uint64_t>(seed), out);

  // Self-check: a synthetic code of the generated dataset's factors (metrics/factor_representation.hpp).
  std::unique_ptr<data::GroundTruthDataset> source;
  if (dataset_name == "dsprites") source = std::make_unique<data::Dsprites>();
  else source = std::make_unique<data::Scenes3d>();
  const metrics::FactorImages dataset(*source);
  const int64_t K = dataset.num_factors();
  const metrics::Representation rep = metrics::factor_representation(
      dataset, representation == "identity-factors" ? metrics::identity_mixing(K)
                                                    : metrics::random_rotation_mixing(K, static_cast<uint64_t>(seed)));
  const metrics::SuiteOptions options = cli::suite_options(selected, num_train, num_test, static_cast<uint64_t>(seed));

  std::string factor_names;
  json::Value names = json::Value::array();
  for (const data::Factor& f : dataset.factor_list()) {
    factor_names += (factor_names.empty() ? "" : ", ") + f.name + " " + std::to_string(f.size);
    names.push_back(f.name);
  }
  std::printf("elbo metrics: self-check on %s (%s), representation %s: %lld codes\n", source->name().c_str(),
              factor_names.c_str(), representation.c_str(), static_cast<long long>(K));
  std::printf("points: %lld training and %lld test per metric, factors sampled uniformly; seed %lld, %d threads\n",
              static_cast<long long>(num_train), static_cast<long long>(num_test), static_cast<long long>(seed),
              num_threads());
  std::fflush(stdout);
  json::Value input = json::Value::object();
  input.set("mode", "self-check");
  input.set("dataset", dataset_name);
  input.set("representation", representation);
  input.set("factors", std::move(names));
  input.set("num_train", num_train);
  input.set("num_test", num_test);
  cli::score_representation(dataset, rep, options, std::move(input), out);
  return 0;
}
