// elbo sweep: the β sweep of Higgins et al. 2017 (for a given number of latents, their
// disentanglement score against β is an inverted U: too little pressure leaves the latents
// entangled, too much leaves fewer latents than factors) with every metric of the suite.
//
//   1. trains one run per (β, seed) into OUT/beta<β>-seed<s>/ exactly as `elbo ensemble` does
//      (ensemble.hpp: resumable, OUT/ensemble.json);
//   2. scores each finished member as `elbo metrics --run` does (metrics.hpp, score_run) and keeps
//      the result in the member's directory as disentanglement.json, so a second sweep reads it
//      instead of computing it again (unless the step count or the metric options changed);
//   3. writes OUT/sweep.csv (one row per member), OUT/sweep.json (per β: n, mean, std, min, max over
//      the seeds of each value), OUT/plots/<value>.png (the value against β: the seeds' mean as a line,
//      their min–max range as a band, each seed as a point) and OUT/sweep.png (the main values, one
//      panel each), and prints the table of mean ± std per β.
//
// β_norm = β·M/N (M latents, N input dimensions; models/beta_vae.hpp) is read from each member's
// summary.json, where `elbo train` records the value its model used.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/context.hpp"
#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/csv.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/line_plot.hpp"
#include "elbo/io/png.hpp"
#include "elbo/ops/shape.hpp"
#include "elbo/tensor.hpp"
#include "ensemble.hpp"
#include "metrics.hpp"
#include "run.hpp"
#include "train.hpp"

namespace cli {
namespace {

using namespace elbo;
namespace fs = std::filesystem;

constexpr const char* kScoresFile = "disentanglement.json";  // in each member's run directory
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// The values drawn in sweep.png, one panel each (those the sweep computed, in this order): the
// score of each metric that scores disentanglement, and the held-out side of the others.
const std::vector<std::string>& overview_values() {
  static const std::vector<std::string> names = {
      "beta_vae.eval_accuracy",        "factor_vae.eval_accuracy",
      "mig.discrete_mig",              "sap.SAP_score",
      "dci.disentanglement",           "dci.completeness",
      "dci.informativeness_test",      "modularity_explicitness.modularity_score",
      "modularity_explicitness.explicitness_score_test", "irs.IRS",
      "unsupervised.gaussian_total_correlation",         "unsupervised.mutual_info_score"};
  return names;
}

// One scored member: a row of sweep.csv.
struct MemberScores {
  const EnsembleMember* member = nullptr;
  double beta_norm = kNan;
  int64_t steps = 0;
  double train_seconds = kNan, metric_seconds = kNan;
  std::vector<double> stats;  // one per SweepScores::stat_names; NaN where there is none (null in JSON)
};

struct SweepScores {
  // The final training terms "reconstruction" and "kl" (summary.json: the mean over the last
  // --log-every steps), then the metric values in suite order ("beta_vae.train_accuracy", ...).
  std::vector<std::string> stat_names;
  std::vector<MemberScores> rows;  // the scored members, in grid order
  double train_seconds = 0, metric_seconds = 0;
};

json::Value read_json(const std::string& path) { return json::parse(io::read_text_file(path), path); }

double number_or_nan(const json::Value* v) { return v && v->is_number() ? v->as_double() : kNan; }

// The metrics the options select, in suite order (the order of disentanglement.json's "seconds").
std::vector<std::string> selected_in_suite_order(const metrics::SuiteOptions& options) {
  std::vector<std::string> order;
  for (const std::string& m : metrics::suite_metric_names())
    if (std::find(options.metrics.begin(), options.metrics.end(), m) != options.metrics.end()) order.push_back(m);
  return order;
}

// Why a cached disentanglement.json cannot stand for the scores these options would compute at this
// step; empty when it can.
std::string cache_mismatch(const json::Value& doc, int64_t step, const metrics::SuiteOptions& options) {
  const json::Value& input = doc.at("input");
  if (!input.contains("mode") || input.at("mode").as_string() != "run") return "not a run's scores";
  if (input.at("step").as_int() != step) return "scored at step " + std::to_string(input.at("step").as_int());
  if (input.at("num_train").as_int() != options.beta_vae.num_train ||
      input.at("num_test").as_int() != options.beta_vae.num_eval)
    return "other --num-train or --num-test";
  if (doc.at("seed").as_int() != static_cast<int64_t>(options.seed)) return "another --metric-seed";
  std::vector<std::string> cached;
  for (const auto& [name, seconds] : doc.at("seconds").members()) cached.push_back(name);
  if (cached != selected_in_suite_order(options)) return "other --metrics";
  return "";
}

// The member's scores: from its disentanglement.json when that holds them, else computed (and the
// file written). Prints what it does.
json::Value member_scores(const std::string& dir, const std::string& label, int64_t step,
                          const metrics::SuiteOptions& options, bool force) {
  const std::string path = (fs::path(dir) / kScoresFile).string();
  std::string why = force ? "--force" : "none yet";
  if (!force && fs::is_regular_file(path)) {
    try {
      json::Value doc = read_json(path);
      why = cache_mismatch(doc, step, options);
      if (why.empty()) {
        std::printf("%s: metrics in %s, skipped\n", label.c_str(), path.c_str());
        return doc;
      }
    } catch (const Error& e) {
      why = std::string("unreadable: ") + e.what();
    }
  }
  std::printf("%s: metrics (%s)\n", label.c_str(), why.c_str());
  std::fflush(stdout);
  return score_run(dir, options, path);
}

// n, mean, standard deviation (n − 1 in the denominator; null for fewer than two values), min and
// max of the finite values; a value that is not finite (a failed seed, a singular covariance) is
// left out and only counts as missing.
json::Value statistics(const std::vector<double>& xs) {
  std::vector<double> v;
  for (double x : xs)
    if (std::isfinite(x)) v.push_back(x);
  json::Value s = json::Value::object();
  s.set("n", static_cast<int64_t>(v.size()));
  if (v.empty()) {
    for (const char* key : {"mean", "std", "min", "max"}) s.set(key, json::Value());
    return s;
  }
  double sum = 0.0;
  for (double x : v) sum += x;
  const double mean = sum / static_cast<double>(v.size());
  double squares = 0.0;
  for (double x : v) squares += (x - mean) * (x - mean);
  s.set("mean", mean);
  s.set("std", v.size() >= 2 ? json::Value(std::sqrt(squares / static_cast<double>(v.size() - 1))) : json::Value());
  s.set("min", *std::min_element(v.begin(), v.end()));
  s.set("max", *std::max_element(v.begin(), v.end()));
  return s;
}

// "0.726 ± 0.012" (three decimals below 10, one above), the mean alone for one seed, "-" for none.
std::string table_cell(const json::Value& s) {
  if (s.at("n").as_int() == 0) return "-";
  const double mean = s.at("mean").as_double();
  const int digits = std::fabs(mean) < 10 ? 3 : 1;
  char text[96];
  if (s.at("std").is_null()) std::snprintf(text, sizeof text, "%.*f", digits, mean);
  else std::snprintf(text, sizeof text, "%.*f ± %.*f", digits, mean, digits, s.at("std").as_double());
  return text;
}

// A value against β: one series whose y[i] holds the seeds' values at betas[i] (NaN where a seed has
// none).
std::vector<io::LineSeries> stat_series(const std::vector<double>& betas, const std::vector<MemberScores>& rows,
                                        size_t column, int64_t seeds) {
  io::LineSeries s;
  s.label = "mean of " + std::to_string(seeds) + (seeds == 1 ? " seed" : " seeds") + ", min-max, each seed";
  s.x = betas;
  s.y.assign(betas.size(), {});
  for (const MemberScores& r : rows) {
    const size_t i = static_cast<size_t>(std::find(betas.begin(), betas.end(), r.member->value) - betas.begin());
    s.y[i].push_back(r.stats[column]);
  }
  for (std::vector<double>& y : s.y)
    if (y.empty()) y.push_back(kNan);
  return {s};
}

// Stage 2: the scores of every finished member, each computed or read back (member_scores).
SweepScores score_members(const Ensemble& grid, const metrics::SuiteOptions& suite, bool force) {
  SweepScores scores;
  std::vector<std::string> value_names;
  const size_t n = grid.members.size();
  for (size_t i = 0; i < n; ++i) {
    const EnsembleMember& m = grid.members[i];
    const std::string dir = (fs::path(grid.options.out) / m.dir).string();
    const std::string label = "[" + std::to_string(i + 1) + "/" + std::to_string(n) + "] " + m.dir;
    if (m.status != "finished") {
      std::printf("%s: %s, not scored\n", label.c_str(), m.status.c_str());
      continue;
    }
    const json::Value summary = read_json(run_file(dir, kSummaryFile));
    MemberScores r;
    r.member = &m;
    r.steps = summary.at("steps").as_int();
    r.beta_norm = number_or_nan(summary.find("beta_norm"));
    r.train_seconds = number_or_nan(summary.find("seconds"));
    const json::Value* terms = summary.find("terms");
    r.stats.push_back(terms ? number_or_nan(terms->find("reconstruction")) : kNan);
    r.stats.push_back(terms ? number_or_nan(terms->find("kl")) : kNan);
    const json::Value doc = member_scores(dir, label, r.steps, suite, force);
    r.metric_seconds = number_or_nan(doc.find("total_seconds"));
    std::vector<std::string> names_here;
    for (const auto& [name, value] : doc.at("values").members()) {
      names_here.push_back(name);
      r.stats.push_back(number_or_nan(&value));
    }
    if (scores.rows.empty()) value_names = names_here;
    ELBO_CHECK(names_here == value_names, dir, "/", kScoresFile, " holds other values than the first member's");
    scores.train_seconds += std::isfinite(r.train_seconds) ? r.train_seconds : 0;
    scores.metric_seconds += std::isfinite(r.metric_seconds) ? r.metric_seconds : 0;
    scores.rows.push_back(std::move(r));
  }
  scores.stat_names = {"reconstruction", "kl"};
  scores.stat_names.insert(scores.stat_names.end(), value_names.begin(), value_names.end());
  return scores;
}

// sweep.csv: a header, then one row per scored member.
std::string sweep_csv(const SweepScores& scores) {
  std::vector<std::string> columns = {"beta", "beta_norm", "seed", "dir", "steps", "train_seconds", "metric_seconds"};
  columns.insert(columns.end(), scores.stat_names.begin(), scores.stat_names.end());
  std::string csv;
  for (size_t c = 0; c < columns.size(); ++c) csv += (c ? "," : "") + io::csv_field(columns[c]);
  csv += "\n";
  for (const MemberScores& r : scores.rows) {
    std::vector<io::CsvCell> cells = {r.member->value, r.beta_norm,     r.member->seed,  r.member->dir,
                                      r.steps,         r.train_seconds, r.metric_seconds};
    for (double v : r.stats) cells.emplace_back(v);
    for (size_t c = 0; c < cells.size(); ++c) csv += (c ? "," : "") + cells[c].text;
    csv += "\n";
  }
  return csv;
}

// sweep.json's "results": per β, its β_norm, the members scored and the statistics over them of
// every stat.
json::Value results_by_beta(const Ensemble& grid, const SweepScores& scores) {
  json::Value results = json::Value::array();
  for (double beta : grid.values) {
    double beta_norm = kNan;
    std::vector<std::vector<double>> columns(scores.stat_names.size());
    int64_t members = 0;
    for (const MemberScores& r : scores.rows) {
      if (r.member->value != beta) continue;
      ++members;
      beta_norm = r.beta_norm;
      for (size_t k = 0; k < r.stats.size(); ++k) columns[k].push_back(r.stats[k]);
    }
    json::Value entry = json::Value::object(), stats = json::Value::object();
    entry.set("beta", beta);
    entry.set("beta_norm", std::isfinite(beta_norm) ? json::Value(beta_norm) : json::Value());
    entry.set("members", members);
    for (size_t k = 0; k < scores.stat_names.size(); ++k) stats.set(scores.stat_names[k], statistics(columns[k]));
    entry.set("values", std::move(stats));
    results.push_back(std::move(entry));
  }
  return results;
}

// OUT/plots/<stat>.png for every stat, and OUT/sweep.png: the overview's panels, four to a row.
void write_plots(const Ensemble& grid, const SweepScores& scores) {
  const fs::path root = grid.options.out;
  bool log_x = true;
  for (double b : grid.values) log_x = log_x && b > 0;
  fs::create_directories(root / "plots");
  for (size_t k = 0; k < scores.stat_names.size(); ++k) {
    io::LinePlotOptions o;
    o.title = scores.stat_names[k] + " against beta";
    o.x_label = log_x ? "beta (log scale)" : "beta";
    o.y_label = scores.stat_names[k];
    o.log_x = log_x;
    io::write_line_plot((root / "plots" / (scores.stat_names[k] + ".png")).string(),
                        stat_series(grid.values, scores.rows, k, grid.seeds), o);
  }
  std::vector<Tensor> panels;
  const int64_t panel_w = 360, panel_h = 250;
  for (const std::string& name : overview_values()) {
    const auto at = std::find(scores.stat_names.begin(), scores.stat_names.end(), name);
    if (at == scores.stat_names.end()) continue;
    io::LinePlotOptions o;
    o.width = panel_w;
    o.height = panel_h;
    o.title = name;
    o.x_label = log_x ? "beta (log scale)" : "beta";
    o.log_x = log_x;
    o.legend = io::LegendCorner::none;
    const size_t column = static_cast<size_t>(at - scores.stat_names.begin());
    panels.push_back(reshape(io::line_plot(stat_series(grid.values, scores.rows, column, grid.seeds), o),
                             Shape{1, 3, panel_h, panel_w}));
  }
  if (!panels.empty())
    io::write_image_grid((root / "sweep.png").string(), concat(panels, 0),
                         {.cols = std::min<int64_t>(4, static_cast<int64_t>(panels.size())), .margin = 4,
                          .background = 1.0f, .row_labels = {}, .label_scale = 1});
}

// The table of mean ± std, a row per stat and a column per β, in Markdown.
void print_table(const Ensemble& grid, const SweepScores& scores, const json::Value& results) {
  std::printf("\nmean ± std over %lld seeds (n − 1 in the std); %zu of %zu members scored\n\n",
              static_cast<long long>(grid.seeds), scores.rows.size(), grid.members.size());
  std::string header = "| value |", rule = "|---|";
  for (size_t b = 0; b < grid.values.size(); ++b) {
    const json::Value& beta_norm = results[b].at("beta_norm");
    char text[96];
    if (beta_norm.is_null()) std::snprintf(text, sizeof text, " β = %s |", shortest_number(grid.values[b]).c_str());
    else std::snprintf(text, sizeof text, " β = %s (β_norm %.3g) |", shortest_number(grid.values[b]).c_str(),
                       beta_norm.as_double());
    header += text;
    rule += "---|";
  }
  std::printf("%s\n%s\n", header.c_str(), rule.c_str());
  for (const std::string& name : scores.stat_names) {
    std::string line = "| " + name + " |";
    for (size_t b = 0; b < grid.values.size(); ++b) {
      line += ' ';
      line += table_cell(results[b].at("values").at(name));
      line += " |";
    }
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace
}  // namespace cli

int run_sweep(int argc, char** argv) {
  using namespace cli;
  using namespace elbo;
  namespace fs = std::filesystem;
  RunOptions options;
  options.out = "runs/sweep";
  std::string betas = "1,2,4,6,8,16", only;
  int64_t seeds = 3, stop_after = 0, num_train = 10000, num_test = 5000, metric_seed = 0;
  bool force = false, one_pass = false;
  Args args("elbo sweep",
            "The beta sweep of Higgins et al. 2017 with every disentanglement metric: train one run per beta and seed "
            "into OUT/beta<b>-seed<s>/ (as elbo ensemble does; run it again to skip finished members and resume "
            "interrupted ones), score each as elbo metrics --run does (kept in the member's disentanglement.json), and "
            "write OUT/sweep.csv, OUT/sweep.json, OUT/plots/<value>.png and OUT/sweep.png. Every train option applies "
            "to each member.");
  args.config_file();
  bind_run_options(args, options);
  args.flag("--betas", betas, "values of beta, comma separated");
  args.flag("--seeds", seeds, "seeds per beta: --seed, --seed + 1, ...");
  args.flag("--metrics", only,
            "comma list (default all): beta_vae,factor_vae,mig,sap,dci,modularity_explicitness,irs,unsupervised");
  args.flag("--num-train", num_train, "training points per metric (as elbo metrics; disentanglement_lib's default)");
  args.flag("--num-test", num_test, "test points per metric (as elbo metrics; disentanglement_lib's default)");
  args.flag("--metric-seed", metric_seed, "seed of the metrics' sampling and classifiers (elbo metrics --seed)");
  args.flag("--force", force, "train every member and compute every score again, and write into a foreign directory");
  args.flag("--stop-after", stop_after, "stop as Ctrl-C does once a member has done this many steps (0: never)");
  args.flag("--one-pass", one_pass, "train the members together, as one batched computation per step (as elbo "
            "ensemble --one-pass)");
  if (!args.parse(argc, argv)) return args.exit_code();

  // Every check before any training.
  ELBO_CHECK(betas.find_first_not_of(" ,") != std::string::npos, "--betas lists no value; give the values of beta "
             "separated by commas, e.g. --betas 1,2,4,6,8,16");
  const std::vector<double> grid_values = parse_values(betas, "--betas");
  for (size_t i = 0; i < grid_values.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      ELBO_CHECK(grid_values[i] != grid_values[j], "--betas lists ", shortest_number(grid_values[i]), " twice");
  ELBO_CHECK(options.dataset == "dsprites" || options.dataset == "scenes3d" || options.dataset == "dsprites-file",
             "--dataset ", options.dataset, " has no ground-truth factors; the metrics need dsprites, scenes3d or "
             "dsprites-file");
  const std::vector<std::string> selected = parse_metric_list(only);
  ELBO_CHECK(only.empty() || !selected.empty(), "--metrics lists no metric");
  check_metric_names(selected);
  ELBO_CHECK(num_train >= 1 && num_test >= 1, "--num-train and --num-test must be positive, got ", num_train, " and ",
             num_test);
  ELBO_CHECK(metric_seed >= 0, "--metric-seed must be at least 0, got ", metric_seed);
  const metrics::SuiteOptions suite = suite_options(selected, num_train, num_test, static_cast<uint64_t>(metric_seed));

  // 1. Training.
  Ensemble grid = open_ensemble(options, "beta", grid_values, seeds, force, "sweep");
  TrainControl control;
  control.force = force;
  control.stop_after = stop_after;
  control.one_pass = one_pass;
  const int train_code = train_ensemble(grid, control, "sweep");
  if (train_code == 130) return train_code;

  // 2. Scores.
  apply_threads(options.threads);
  const SweepScores scores = score_members(grid, suite, force);
  ELBO_CHECK(!scores.rows.empty(), "no member of ", options.out, " finished training; nothing to score");

  // 3. Outputs.
  const fs::path root = options.out;
  io::write_file_atomic((root / "sweep.csv").string(), sweep_csv(scores));
  json::Value doc = json::Value::object(), metric_options = json::Value::object(), seed_list = json::Value::array(),
              beta_list = json::Value::array(), compute = json::Value::object(), metric_list = json::Value::array();
  for (double b : grid.values) beta_list.push_back(b);
  for (int64_t k = 0; k < seeds; ++k) seed_list.push_back(options.seed + k);
  for (const std::string& m : selected_in_suite_order(suite)) metric_list.push_back(m);
  metric_options.set("metrics", std::move(metric_list));
  metric_options.set("num_train", num_train);
  metric_options.set("num_test", num_test);
  metric_options.set("seed", metric_seed);
  compute.set("train_seconds", scores.train_seconds);
  compute.set("metric_seconds", scores.metric_seconds);
  compute.set("threads", static_cast<int64_t>(num_threads()));
  doc.set("command", "elbo sweep");
  doc.set("betas", std::move(beta_list));
  doc.set("seeds", std::move(seed_list));
  doc.set("members_scored", static_cast<int64_t>(scores.rows.size()));
  doc.set("metric_options", std::move(metric_options));
  doc.set("compute", std::move(compute));
  doc.set("results", results_by_beta(grid, scores));
  io::write_file_atomic((root / "sweep.json").string(), json::dump(doc, 2) + "\n");
  write_plots(grid, scores);

  print_table(grid, scores, doc.at("results"));
  std::printf("\ncompute: training %.1f s, metrics %.1f s (as recorded by the members)\n", scores.train_seconds,
              scores.metric_seconds);
  std::printf("wrote %s/{sweep.csv, sweep.json, sweep.png, plots/*.png}\n", root.string().c_str());
  return train_code;
}
