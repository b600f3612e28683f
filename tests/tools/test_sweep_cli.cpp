// `elbo sweep` end to end on a tiny grid (2 β × 2 seeds, an MLP trained 6 steps, 60/30 metric
// points): it resumes like `elbo ensemble`, writes sweep.csv, sweep.json and the plots with the
// right rows and columns, reads the scores back instead of computing them again, its values are
// those of `elbo metrics --run`, and bad inputs fail before any training.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/png.hpp"

using namespace elbo;
using namespace elbo::testing;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
std::string read(const TempDir& dir, const std::string& name) { return io::read_text_file(dir.file(name)); }

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (!parts.empty() && parts.back().empty()) parts.pop_back();  // after the last line break
  return parts;
}

double number(const std::string& field) { return std::strtod(field.c_str(), nullptr); }

const std::string kSweep =
    "sweep --dataset dsprites --architecture mlp --hidden 24 --latents 3 --batch 8 --lr 1e-3 --log-every 4 "
    "--checkpoint-every 6 --threads 1 --steps 6 --seed 5 --betas 1,4 --seeds 2 --num-train 60 --num-test 30 --out sw";

// Every metric value of the suite, in its order: the columns after the training terms.
constexpr int kSuiteValues = 20;

}  // namespace

TEST_CASE("cli: sweep trains the grid, scores every member once and writes the table, the statistics and the plots") {
  TempDir dir;
  // Interrupted in the first member: no scores, no table.
  CliResult r = run_cli(dir, kSweep + " --stop-after 3");
  REQUIRE_MESSAGE(r.code == 130, r.output);
  CHECK(contains(r.output, "[1/4] beta1-seed5: training"));
  CHECK(!std::filesystem::exists(dir.file("sw/sweep.csv")));

  // Resumed: the first member continues, the others train, then each is scored.
  r = run_cli(dir, kSweep);
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(contains(r.output, "[1/4] beta1-seed5: resuming"));
  CHECK(contains(r.output, "[4/4] beta4-seed6: training"));
  CHECK(contains(r.output, "[4/4] beta4-seed6: metrics (none yet)"));
  CHECK(contains(r.output, "metric 8/8 unsupervised"));
  CHECK(contains(r.output, "| value | β = 1 (β_norm 0.000732) | β = 4 (β_norm 0.00293) |"));  // 3 latents, 4096 pixels

  // sweep.csv: a header and one row per member, value by value and seed by seed.
  const std::vector<std::string> lines = split(read(dir, "sw/sweep.csv"), '\n');
  REQUIRE(lines.size() == 5);
  const std::vector<std::string> header = split(lines[0], ',');
  REQUIRE(header.size() == 9 + kSuiteValues);
  CHECK(lines[0].rfind("beta,beta_norm,seed,dir,steps,train_seconds,metric_seconds,reconstruction,kl,"
                       "beta_vae.train_accuracy,beta_vae.eval_accuracy,",
                       0) == 0);
  CHECK(header.back() == "unsupervised.mutual_info_score");
  const char* dirs[] = {"beta1-seed5", "beta1-seed6", "beta4-seed5", "beta4-seed6"};
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 4; ++i) {
    rows.push_back(split(lines[static_cast<size_t>(i + 1)], ','));
    REQUIRE(rows.back().size() == header.size());
    CHECK(rows.back()[3] == dirs[i]);
    CHECK(rows.back()[4] == "6");
  }
  CHECK(rows[0][0] == "1");
  CHECK(rows[3][0] == "4");
  CHECK(rows[3][2] == "6");
  CHECK(number(rows[3][1]) == 4.0 * 3 / 4096);  // β_norm = β·M/N

  // sweep.json: per β, n, mean, std, min and max of every column after the member's own fields.
  const json::Value doc = json::parse(read(dir, "sw/sweep.json"), "sweep.json");
  REQUIRE(doc.at("results").size() == 2);
  CHECK(doc.at("members_scored").as_int() == 4);
  CHECK(doc.at("metric_options").at("num_train").as_int() == 60);
  for (size_t b = 0; b < 2; ++b) {
    const json::Value& values = doc.at("results")[b].at("values");
    CHECK(values.size() == 2 + kSuiteValues);
    for (size_t c = 7; c < header.size(); ++c) {
      INFO(header[c]);
      const json::Value& s = values.at(header[c]);
      const double x = number(rows[2 * b][c]), y = number(rows[2 * b + 1][c]);
      REQUIRE(s.at("n").as_int() == 2);
      CHECK(s.at("mean").as_double() == doctest::Approx((x + y) / 2).epsilon(1e-12));
      CHECK(s.at("std").as_double() == doctest::Approx(std::fabs(x - y) / std::sqrt(2.0)).epsilon(1e-9));
      CHECK(s.at("min").as_double() == std::min(x, y));
      CHECK(s.at("max").as_double() == std::max(x, y));
    }
  }

  // The plots: one per column, and the overview of twelve panels (4 × 3, 360 × 250 each, 4-pixel margins).
  for (size_t c = 7; c < header.size(); ++c) CHECK(std::filesystem::is_regular_file(dir.file("sw/plots/" + header[c] + ".png")));
  const Tensor overview = io::read_image(dir.file("sw/sweep.png"));
  CHECK(overview.size(1) == 3 * 250 + 4 * 4);
  CHECK(overview.size(2) == 4 * 360 + 5 * 4);

  // Again: nothing is trained or scored; the files stay as they were.
  const std::string scores = read(dir, "sw/beta4-seed6/disentanglement.json"), csv = read(dir, "sw/sweep.csv");
  r = run_cli(dir, kSweep);
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(count(r.output, ": finished, skipped") == 4);
  CHECK(count(r.output, "disentanglement.json, skipped") == 4);
  CHECK(!contains(r.output, "metric 1/8"));
  CHECK(read(dir, "sw/beta4-seed6/disentanglement.json") == scores);
  CHECK(read(dir, "sw/sweep.csv") == csv);

  // The values are those `elbo metrics --run` computes for the member with the same sizes.
  r = run_cli(dir, "metrics --run sw/beta4-seed6 --num-train 60 --num-test 30 --threads 1 --out scores.json");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  const json::Value single = json::parse(read(dir, "scores.json"), "scores.json");
  REQUIRE(single.at("values").size() == kSuiteValues);
  for (size_t c = 9; c < header.size(); ++c) {
    INFO(header[c]);
    const json::Value& v = single.at("values").at(header[c]);
    if (v.is_null()) CHECK(rows[3][c] == "nan");
    else CHECK(number(rows[3][c]) == v.as_double());
  }

  // Other metric options: the scores are computed again, the trained members kept.
  r = run_cli(dir, kSweep + " --metrics mig,sap");
  REQUIRE_MESSAGE(r.code == 0, r.output);
  CHECK(count(r.output, ": metrics (other --metrics)") == 4);
  CHECK(split(split(read(dir, "sw/sweep.csv"), '\n')[0], ',').size() == 9 + 2);
}

TEST_CASE("cli: sweep refuses bad values before training anything") {
  TempDir dir;
  struct Case {
    const char* args;
    const char* message;
  };
  const Case cases[] = {
      {"--betas ''", "--betas lists no value"},
      {"--betas 1,,4", "--betas expects numbers separated by commas, got '1,,4'"},
      {"--betas 1,four", "--betas expects numbers separated by commas, got '1,four'"},
      {"--betas 2,2", "--betas lists 2 twice"},
      {"--metrics mig,migg", "--metrics: unknown metric 'migg'"},
      {"--metrics ,", "--metrics lists no metric"},
      {"--dataset mnist", "--dataset mnist has no ground-truth factors"},
      {"--seeds 0", "--seeds must be at least 1, got 0"},
      {"--num-test 0", "--num-train and --num-test must be positive"},
      {"--objective factor_vae", "member beta1-seed0: --beta does not apply to --objective factor_vae"},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    CliResult r = run_cli(dir, std::string("sweep --out sw ") + c.args);
    CHECK(r.code == 1);
    CHECK(contains(r.output, std::string("elbo sweep: ") + c.message));
    CHECK(!std::filesystem::exists(dir.file("sw")));
  }
  CliResult r = run_cli(dir, "sweep --architecture nope --out sw");
  CHECK(r.code != 0);
  CHECK(!std::filesystem::exists(dir.file("sw")));
  CHECK(run_cli(dir, "sweep --help").code == 0);
}
