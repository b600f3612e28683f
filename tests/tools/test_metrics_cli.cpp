#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/metrics/suite_from_codes.hpp"
#include "metrics.hpp"
#include "temp_dir.hpp"

using namespace elbo;

namespace {

// Calls the subcommand as main() does: argv[0] is "metrics".
int run(std::vector<std::string> words) {
  words.insert(words.begin(), "metrics");
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  return run_metrics(static_cast<int>(argv.size()), argv.data());
}

// `repeats` copies of the full grid of factors with sizes 3, 4, 5 (60 rows each), row-major.
std::vector<double> factor_grid(int64_t repeats) {
  std::vector<double> f;
  for (int64_t r = 0; r < repeats; ++r)
    for (int64_t a = 0; a < 3; ++a)
      for (int64_t b = 0; b < 4; ++b)
        for (int64_t c = 0; c < 5; ++c) f.insert(f.end(), {double(a), double(b), double(c)});
  return f;
}

json::Value read_json(const std::string& path) { return json::parse(io::read_text_file(path), path); }

double value(const json::Value& doc, const char* name) { return doc.at("values").at(name).as_double(); }

}  // namespace

TEST_CASE("cli: metrics on codes that copy the factors") {
  testing::TempDir dir;
  const std::vector<double> grid = factor_grid(4);  // 240 points, each factor combination 4 times
  const int64_t n = 240;
  // Codes as f32 (converted), factors as i64; the same arrays serve as the test set.
  io::write_npy(dir.file("codes.npy"), from_vector(Shape{n, 3}, grid, DType::f32));
  io::write_npy(dir.file("factors.npy"), from_vector(Shape{n, 3}, grid, DType::i64));
  const std::string out = dir.file("scores.json");
  REQUIRE(run({"--codes", dir.file("codes.npy"), "--factors", dir.file("factors.npy"), "--test-codes",
               dir.file("codes.npy"), "--test-factors", dir.file("factors.npy"), "--out", out}) == 0);
  const json::Value doc = read_json(out);
  // Fewer rows than the default sizes: every row is used, for training and for testing.
  CHECK(doc.at("input").at("mode").as_string() == "codes");
  CHECK(doc.at("input").at("num_train").as_int() == n);
  CHECK(doc.at("input").at("num_test").as_int() == n);
  CHECK(doc.at("input").at("num_codes").as_int() == 3);
  // Closed forms on a balanced grid copied into the codes: each code carries all of its factor's
  // entropy and none of the others' (the plug-in MI of independent balanced columns is exactly 0).
  CHECK(value(doc, "mig.discrete_mig") == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(value(doc, "modularity_explicitness.modularity_score") == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(value(doc, "irs.IRS") == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(value(doc, "irs.num_active_dims") == 3.0);
  CHECK(std::fabs(value(doc, "unsupervised.gaussian_total_correlation")) < 1e-12);  // Σ is diagonal
  CHECK(std::fabs(value(doc, "unsupervised.gaussian_wasserstein_correlation")) < 1e-9);
  CHECK(value(doc, "unsupervised.mutual_info_score") < 1e-12);
  CHECK(value(doc, "dci.disentanglement") == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(value(doc, "dci.completeness") == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(value(doc, "dci.informativeness_test") == 1.0);
  CHECK(value(doc, "modularity_explicitness.explicitness_score_test") > 0.9);
  // SAP and explicitness have no closed form here: they must equal the library's own results.
  const Tensor codes = from_vector(Shape{n, 3}, grid, DType::f64), factors = from_vector(Shape{n, 3}, grid, DType::i64);
  CHECK(value(doc, "sap.SAP_score") == metrics::sap_from_codes(codes, factors, codes, factors).sap);
  CHECK(value(doc, "modularity_explicitness.explicitness_score_test") ==
        metrics::explicitness_from_codes(codes, factors, codes, factors).test);
  // Every metric timed; BetaVAE and FactorVAE are not run on codes.
  CHECK(doc.at("seconds").size() == 6);
  CHECK(!doc.at("values").contains("beta_vae.eval_accuracy"));

  // --metrics selects, and a selection changes no value; the factors may also come as floats.
  io::write_npy(dir.file("factors_f64.npy"), from_vector(Shape{n, 3}, grid, DType::f64));
  REQUIRE(run({"--codes", dir.file("codes.npy"), "--factors", dir.file("factors_f64.npy"), "--test-codes",
               dir.file("codes.npy"), "--test-factors", dir.file("factors.npy"), "--metrics", "sap, mig", "--out",
               dir.file("two.json")}) == 0);
  const json::Value two = read_json(dir.file("two.json"));
  CHECK(two.at("values").size() == 2);
  CHECK(value(two, "sap.SAP_score") == value(doc, "sap.SAP_score"));
  CHECK(value(two, "mig.discrete_mig") == value(doc, "mig.discrete_mig"));
}

TEST_CASE("cli: metrics split one file 2:1 below the default sizes") {
  // Codes hold the row number, so the split's rows can be read back.
  const int64_t n = 90;
  std::vector<double> rows(static_cast<size_t>(n * 2)), labels(static_cast<size_t>(n * 2));
  for (int64_t i = 0; i < n; ++i) {
    rows[static_cast<size_t>(2 * i)] = static_cast<double>(i);
    rows[static_cast<size_t>(2 * i + 1)] = static_cast<double>(-i);
    labels[static_cast<size_t>(2 * i)] = static_cast<double>(i % 3);
    labels[static_cast<size_t>(2 * i + 1)] = static_cast<double>(i % 2);
  }
  const Tensor codes = from_vector(Shape{n, 2}, rows, DType::f64), factors = from_vector(Shape{n, 2}, labels, DType::i64);
  auto rows_of = [](const Tensor& t) {
    std::vector<int64_t> r;
    for (int64_t i = 0; i < t.size(0); ++i) r.push_back(static_cast<int64_t>(t.data<double>()[2 * i]));
    return r;
  };
  // 90 < 10,000 + 5,000: 60 training and 30 test rows, disjoint, each in the file's order.
  const metrics::CodesSplit split = metrics::split_codes(codes, factors, 10000, 5000, 7);
  const std::vector<int64_t> train = rows_of(split.codes_train), test = rows_of(split.codes_test);
  REQUIRE(train.size() == 60);
  REQUIRE(test.size() == 30);
  std::vector<int> seen(static_cast<size_t>(n), 0);
  for (int64_t r : train) ++seen[static_cast<size_t>(r)];
  for (int64_t r : test) ++seen[static_cast<size_t>(r)];
  CHECK(std::count(seen.begin(), seen.end(), 1) == n);
  CHECK(std::is_sorted(train.begin(), train.end()));
  CHECK(std::is_sorted(test.begin(), test.end()));
  CHECK(train != std::vector<int64_t>(train.size()));  // not simply the first 60 rows
  for (int64_t i = 0; i < 30; ++i)  // factors travel with their codes
    CHECK(split.factors_test.data<int64_t>()[2 * i] == test[static_cast<size_t>(i)] % 3);
  // Same seed, same split; another seed, another split.
  CHECK(rows_of(metrics::split_codes(codes, factors, 10000, 5000, 7).codes_test) == test);
  CHECK(rows_of(metrics::split_codes(codes, factors, 10000, 5000, 8).codes_test) != test);
  // Enough rows for the requested sizes: exactly those.
  const metrics::CodesSplit small = metrics::split_codes(codes, factors, 40, 20, 7);
  CHECK(small.codes_train.size(0) == 40);
  CHECK(small.codes_test.size(0) == 20);
  CHECK_THROWS_WITH_AS(metrics::split_codes(metrics::take_rows(codes, {0, 1}), metrics::take_rows(factors, {0, 1}), 10, 5, 0),
                       doctest::Contains("2 points are too few"), Error);

  // The command records the split it made.
  testing::TempDir dir;
  io::write_npy(dir.file("c.npy"), codes);
  io::write_npy(dir.file("f.npy"), factors);
  REQUIRE(run({"--codes", dir.file("c.npy"), "--factors", dir.file("f.npy"), "--metrics", "mig", "--seed", "7", "--out",
               dir.file("s.json")}) == 0);
  const json::Value doc = read_json(dir.file("s.json"));
  CHECK(doc.at("input").at("num_train").as_int() == 60);
  CHECK(doc.at("input").at("num_test").as_int() == 30);
  CHECK(doc.at("input").at("test_codes").is_null());
  CHECK(doc.at("seed").as_int() == 7);
  CHECK(value(doc, "mig.discrete_mig") == metrics::mig_from_codes(split.codes_train, split.factors_train).mig);
}

TEST_CASE("cli: metrics errors name the file and what is wrong") {
  testing::TempDir dir;
  const std::vector<double> grid = factor_grid(1);  // 60 points
  const std::string codes = dir.file("codes.npy"), factors = dir.file("factors.npy");
  io::write_npy(codes, from_vector(Shape{60, 3}, grid, DType::f64));
  io::write_npy(factors, from_vector(Shape{60, 3}, grid, DType::i64));
  auto fails = [&](std::vector<std::string> args, const std::string& message) {
    CHECK_THROWS_WITH_AS(run(std::move(args)), doctest::Contains(message.c_str()), Error);
  };
  // A missing file.
  fails({"--codes", dir.file("nope.npy"), "--factors", factors}, dir.file("nope.npy"));
  // NaN in the codes: the file, the element, the value.
  std::vector<double> bad = grid;
  bad[2 * 3 + 1] = NAN;
  io::write_npy(dir.file("nan.npy"), from_vector(Shape{60, 3}, bad, DType::f32));
  fails({"--codes", dir.file("nan.npy"), "--factors", factors}, dir.file("nan.npy") + ": codes element [2, 1] is nan");
  // Factors that are not integers.
  std::vector<double> half = grid;
  half[5 * 3 + 2] = 0.5;
  io::write_npy(dir.file("half.npy"), from_vector(Shape{60, 3}, half, DType::f64));
  fails({"--codes", codes, "--factors", dir.file("half.npy")},
        dir.file("half.npy") + ": factors element [5, 2] is 0.5; factors must be integer class indices");
  // Row counts that differ, and a 1-D array.
  io::write_npy(dir.file("short.npy"), from_vector(Shape{59, 3}, std::vector<double>(grid.begin(), grid.end() - 3), DType::i64));
  fails({"--codes", codes, "--factors", dir.file("short.npy")},
        codes + " has 60 rows but " + dir.file("short.npy") + " has 59");
  io::write_npy(dir.file("flat.npy"), from_vector(Shape{180}, grid, DType::f64));
  fails({"--codes", dir.file("flat.npy"), "--factors", factors}, dir.file("flat.npy") + ": codes must be a 2-D array [N, D]");
  // A constant factor column (dSprites' colour).
  std::vector<double> constant = grid;
  for (size_t i = 0; i < 60; ++i) constant[i * 3 + 1] = 4;
  io::write_npy(dir.file("constant.npy"), from_vector(Shape{60, 3}, constant, DType::i64));
  fails({"--codes", codes, "--factors", dir.file("constant.npy")},
        dir.file("constant.npy") + ": factor column 1 is 4 in every row");
  // Test codes from another model (other D).
  io::write_npy(dir.file("d2.npy"), from_vector(Shape{60, 2}, std::vector<double>(120, 1.0), DType::f64));
  fails({"--codes", codes, "--factors", factors, "--test-codes", dir.file("d2.npy"), "--test-factors", factors},
        dir.file("d2.npy") + " has 2 code dimensions but " + codes + " has 3");
  // Metrics that need a dataset, and unknown ones.
  fails({"--codes", codes, "--factors", factors, "--metrics", "beta_vae"}, "beta_vae chooses which images to encode");
  fails({"--codes", codes, "--factors", factors, "--metrics", "mig,migg"}, "unknown metric 'migg'");
  // Option misuse: exit code 2, nothing thrown.
  CHECK(run({"--codes", codes}) == 2);
  CHECK(run({"--codes", codes, "--factors", factors, "--dataset", "dsprites"}) == 2);
  CHECK(run({"--codes", codes, "--factors", factors, "--test-codes", codes}) == 2);
  CHECK(run({"--dataset", "mnist"}) == 2);
  CHECK(run({}) == 2);
  CHECK(run({"--help"}) == 0);
  // No JSON is left behind by a failed run.
  fails({"--codes", dir.file("nan.npy"), "--factors", factors, "--out", dir.file("x.json")}, "is nan");
  CHECK(!std::filesystem::exists(dir.file("x.json")));
}

TEST_CASE("cli: metrics self-check scores a copy of the factors near 1 and a rotation lower") {
  testing::TempDir dir;
  // Small sizes keep the test fast; the command's defaults are disentanglement_lib's.
  const std::vector<std::string> common = {"--dataset", "dsprites", "--num-train", "1000", "--num-test", "500",
                                           "--metrics", "beta_vae,factor_vae,mig,irs,unsupervised"};
  std::vector<std::string> identity = common, rotation = common;
  identity.insert(identity.end(), {"--representation", "identity-factors", "--out", dir.file("identity.json")});
  rotation.insert(rotation.end(), {"--representation", "random-rotation", "--out", dir.file("rotation.json")});
  REQUIRE(run(identity) == 0);
  REQUIRE(run(rotation) == 0);
  const json::Value a = read_json(dir.file("identity.json")), b = read_json(dir.file("rotation.json"));
  CHECK(a.at("input").at("mode").as_string() == "self-check");
  CHECK(a.at("input").at("factors").size() == 5);
  CHECK(value(a, "beta_vae.eval_accuracy") == 1.0);
  CHECK(value(a, "factor_vae.eval_accuracy") == 1.0);
  CHECK(value(a, "factor_vae.num_active_dims") == 5.0);
  CHECK(value(a, "mig.discrete_mig") > 0.8);  // below 1: 40 orientations and 32 positions share 20 bins
  CHECK(value(a, "irs.IRS") > 0.95);
  CHECK(std::fabs(value(a, "unsupervised.gaussian_total_correlation")) < 0.02);  // independent factors
  // A rotation keeps the information but mixes it into every code.
  CHECK(value(b, "factor_vae.eval_accuracy") < 0.9);
  CHECK(value(b, "mig.discrete_mig") < 0.5 * value(a, "mig.discrete_mig"));
  CHECK(value(b, "irs.IRS") < 0.6);
  CHECK(value(b, "unsupervised.mutual_info_score") > 1.5 * value(a, "unsupervised.mutual_info_score"));
  // Standardised independent factors have covariance I, and so does any rotation of them: the
  // Gaussian total correlation cannot see the mixing.
  CHECK(std::fabs(value(b, "unsupervised.gaussian_total_correlation")) < 0.02);
  CHECK(b.at("seconds").size() == 5);
}
