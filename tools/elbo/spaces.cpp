// elbo spaces: the whole latent spaces of an ensemble compared by Monte Carlo (Murphy, Dillavou &
// Bassett 2024, §4.3): the information each model's whole space carries about the data, and the
// generalised NMI and VI between every pair of models, with standard errors.
//
//   elbo spaces --posteriors enc/beta4-seed0 enc/beta4-seed1 ... --out spaces/
//
// The estimates are info::whole_space_similarity and info::summarise_whole_spaces
// (elbo/info/whole_space.hpp); this file reads the directories (the inputs of `elbo info`,
// members.hpp), writes the numbers and prints the table (docs/INFORMATION.md, "Whole latent spaces").
//
// Files written to --out (every one the same bytes for the same inputs, --samples and --seed):
//   spaces.json                  per model Î(U;X) ± error and Î/log2 N; per pair NMI, VI ± errors;
//                                the inverse-variance means over models and pairs
//   nmi.npy, vi.npy              [K, K] f64   NMI and VI (bits) between the models' whole spaces
//   nmi_error.npy, vi_error.npy  [K, K] f64   their standard errors (0 on the diagonal)
//   information.csv              one row per model: dims, I(U;X), I/log2 N, I(U,U′;X), I(U;U′) with errors
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/context.hpp"
#include "elbo/error.hpp"
#include "elbo/info/ensemble_analysis.hpp"
#include "elbo/info/whole_space.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/csv.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/ops/shape.hpp"
#include "members.hpp"
#include "progress.hpp"

using namespace elbo;
namespace fs = std::filesystem;

namespace {

struct SpacesOptions {
  std::vector<std::string> posteriors;
  std::string posteriors_list, ensemble, out = "elbo-spaces";
  int64_t samples = 2000, seed = 0, threads = 0, count = 0;
};

std::string fixed(double v, int digits) {
  if (std::isnan(v)) return "nan";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, v);
  return text;
}

std::string plus_minus(const info::Estimate& e, int digits) { return fixed(e.value, digits) + " ± " + fixed(e.error, digits); }

// A JSON number, or null for NaN and infinities (JSON has no spelling for them).
json::Value number(double v) { return std::isfinite(v) ? json::Value(v) : json::Value(); }

json::Value estimate_json(const info::Estimate& e) {
  json::Value v = json::Value::object();
  v.set("value", number(e.value));
  v.set("error", number(e.error));
  return v;
}

json::Value combined_json(const info::CombinedEstimate& c, const char* over) {
  json::Value v = json::Value::object();
  v.set("mean", number(c.mean.value));
  v.set("error", number(c.mean.error));
  v.set("spread", number(c.spread));
  v.set(over, c.used);
  return v;
}

// Rows `rows` of a matrix [N, L] as a contiguous f64 matrix (a member's rows in the first member's order).
Tensor aligned_rows(const Tensor& x, const std::vector<int64_t>& rows) {
  const Tensor c = contiguous(to_dtype(x, DType::f64));
  const int64_t cols = c.size(1);
  const double* p = c.data<double>();
  std::vector<double> out(rows.size() * static_cast<size_t>(cols));
  for (size_t r = 0; r < rows.size(); ++r)
    std::copy(p + rows[r] * cols, p + (rows[r] + 1) * cols, out.begin() + static_cast<int64_t>(r) * cols);
  return from_vector(Shape{static_cast<int64_t>(rows.size()), cols}, out, DType::f64);
}

// One [K, K] matrix of the values or the errors of estimates.
Tensor matrix(const std::vector<info::Estimate>& estimates, int64_t k, bool errors) {
  std::vector<double> v;
  for (const info::Estimate& e : estimates) v.push_back(errors ? e.error : e.value);
  return from_vector(Shape{k, k}, v, DType::f64);
}

void write_numbers(const info::WholeSpaceSimilarity& r, const info::WholeSpaceSummary& summary,
                   const std::vector<info::MemberPosteriors>& members, const SpacesOptions& o) {
  const int64_t k = r.spaces;
  const double log2n = std::log2(static_cast<double>(r.points));
  io::write_npy(o.out + "/nmi.npy", matrix(r.nmi, k, false));
  io::write_npy(o.out + "/vi.npy", matrix(r.vi, k, false));
  io::write_npy(o.out + "/nmi_error.npy", matrix(r.nmi, k, true));
  io::write_npy(o.out + "/vi_error.npy", matrix(r.vi, k, true));

  std::string csv =
      "model,dims,bits,bits_error,fraction,fraction_error,self_joint_bits,self_joint_error,self_information_bits,"
      "self_information_error,dir\n";
  json::Value models = json::Value::array();
  for (int64_t m = 0; m < k; ++m) {
    const size_t i = static_cast<size_t>(m);
    const info::Estimate& bits = r.information[i];
    const info::Estimate fraction{bits.value / log2n, bits.error / log2n};
    const info::Estimate& self_joint = r.self_joint[i];
    const info::Estimate& self_information = r.mutual_information[static_cast<size_t>(m * k + m)];
    const int64_t dims = members[i].means.size(1);
    std::vector<io::CsvCell> cells = {m, dims};
    for (const info::Estimate* e : {&bits, &fraction, &self_joint, &self_information}) {
      cells.emplace_back(e->value);
      cells.emplace_back(e->error);
    }
    for (const io::CsvCell& cell : cells) {
      csv += cell.text;
      csv += ',';
    }
    csv += io::csv_field(members[i].dir);
    csv += '\n';
    json::Value v = json::Value::object();
    v.set("model", m);
    v.set("dir", members[i].dir);
    v.set("dims", dims);
    v.set("information_bits", estimate_json(bits));
    v.set("information_fraction", estimate_json(fraction));
    v.set("self_joint_bits", estimate_json(self_joint));
    v.set("self_information_bits", estimate_json(self_information));
    models.push_back(v);
  }
  io::write_file_atomic(o.out + "/information.csv", csv);

  json::Value pairs = json::Value::array();
  for (int64_t a = 0; a < k; ++a)
    for (int64_t b = a + 1; b < k; ++b) {
      const size_t at = static_cast<size_t>(a * k + b);
      json::Value v = json::Value::object();
      v.set("a", a);
      v.set("b", b);
      v.set("joint_bits", estimate_json(r.joint[at]));
      v.set("mutual_information_bits", estimate_json(r.mutual_information[at]));
      v.set("nmi", estimate_json(r.nmi[at]));
      v.set("vi_bits", estimate_json(r.vi[at]));
      pairs.push_back(v);
    }
  json::Value combined = json::Value::object();
  combined.set("information_fraction", combined_json(summary.information_fraction, "models"));
  combined.set("nmi", combined_json(summary.nmi, "pairs"));
  combined.set("vi_bits", combined_json(summary.vi, "pairs"));

  json::Value doc = json::Value::object();
  doc.set("model_count", k);
  doc.set("pair_count", k * (k - 1) / 2);
  doc.set("points", r.points);
  doc.set("log2_points", log2n);
  doc.set("samples", r.samples);
  doc.set("seed", o.seed);
  doc.set("combined", combined);
  doc.set("models", models);
  doc.set("pairs", pairs);
  io::write_file_atomic(o.out + "/spaces.json", json::dump(doc, 2) + "\n");
}

void print_table(const info::WholeSpaceSimilarity& r, const info::WholeSpaceSummary& summary,
                 const std::vector<info::MemberPosteriors>& members) {
  const double log2n = std::log2(static_cast<double>(r.points));
  std::printf("\n%-6s %5s  %-20s %-18s %s\n", "model", "dims", "I(U;X) bits", "I(U;X)/log2 N", "dir");
  for (int64_t m = 0; m < r.spaces; ++m) {
    const info::Estimate& e = r.information[static_cast<size_t>(m)];
    std::printf("%-6lld %5lld  %-20s %-18s %s\n", static_cast<long long>(m),
                static_cast<long long>(members[static_cast<size_t>(m)].means.size(1)), plus_minus(e, 3).c_str(),
                plus_minus({e.value / log2n, e.error / log2n}, 4).c_str(), members[static_cast<size_t>(m)].dir.c_str());
  }
  if (r.spaces > 1 && r.spaces <= 12) {
    std::printf("\n%-6s %-18s %s\n", "pair", "NMI", "VI (bits)");
    for (int64_t a = 0; a < r.spaces; ++a)
      for (int64_t b = a + 1; b < r.spaces; ++b)
        std::printf("%-6s %-18s %s\n", (std::to_string(a) + "-" + std::to_string(b)).c_str(),
                    plus_minus(r.nmi_at(a, b), 4).c_str(), plus_minus(r.vi_at(a, b), 4).c_str());
  }
  const int64_t pairs = r.spaces * (r.spaces - 1) / 2;
  std::printf("\ninverse-variance means (N = %lld points, log2 N = %.3f bits, %lld samples per estimate):\n",
              static_cast<long long>(r.points), log2n, static_cast<long long>(r.samples));
  auto line = [](const char* name, const info::CombinedEstimate& c, int64_t of, const char* what, const char* unit) {
    std::printf("  %-14s = %s%s  (%lld of %lld %s; spread %s)\n", name, plus_minus(c.mean, 4).c_str(), unit,
                static_cast<long long>(c.used), static_cast<long long>(of), what, fixed(c.spread, 4).c_str());
  };
  line("I(U;X)/log2 N", summary.information_fraction, r.spaces, "models", "");
  if (pairs > 0) {
    line("NMI", summary.nmi, pairs, "pairs", "");
    line("VI", summary.vi, pairs, "pairs", " bits");
  }
}

}  // namespace

int run_encode(int argc, char** argv);  // encode.cpp

int run_spaces(int argc, char** argv) {
  SpacesOptions o;
  std::string posteriors_help;
  cli::Args args("elbo spaces",
                 "Whole latent spaces of an ensemble compared by Monte Carlo (Murphy, Dillavou & Bassett 2024, "
                 "section 4.3): I(U;X) of every model's whole space and the generalised NMI and VI between every "
                 "pair of models, with standard errors and their inverse-variance means. Each DIR holds one model's "
                 "means.npy, logvars.npy and indices.npy on the same data points (the whole dataset, as the "
                 "authors); see docs/INFORMATION.md.");
  args.flag("--posteriors", posteriors_help, "DIR [DIR ...]: one posteriors directory per model");
  args.flag("--posteriors-list", o.posteriors_list, "file listing posteriors directories, one per line");
  args.flag("--ensemble", o.ensemble,
            "an ensemble directory (elbo ensemble): each finished member encodes --count images of its dataset "
            "(RUN/encoded-all/ or RUN/encoded-COUNT-seedSEED/, reused when present)");
  args.flag("--count", o.count, "with --ensemble: images each member encodes, a fixed sample drawn with --seed (0: all)");
  args.flag("--samples", o.samples, "Monte Carlo samples per estimate");
  args.flag("--seed", o.seed, "seed of the Monte Carlo draws (and of the --count sample)");
  args.flag("--threads", o.threads, "threads (0: OMP_NUM_THREADS or all cores)");
  args.flag("--out", o.out, "output directory");

  std::vector<char*> rest;
  if (!cli::take_posteriors_flag(argc, argv, "elbo spaces", o.posteriors, rest)) return 2;
  if (!args.parse(static_cast<int>(rest.size()), rest.data())) return args.exit_code();
  auto usage_error = [](const std::string& message) {
    std::fprintf(stderr, "elbo spaces: %s\n", message.c_str());
    return 2;
  };
  if (o.samples < 2) return usage_error("--samples must be ≥ 2 (Monte Carlo samples per estimate), got " + std::to_string(o.samples));
  if (o.seed < 0) return usage_error("--seed must be ≥ 0, got " + std::to_string(o.seed));
  if (o.count < 0) return usage_error("--count must be ≥ 0 (0: the whole dataset), got " + std::to_string(o.count));
  if (o.threads < 0) return usage_error("--threads must be ≥ 0, got " + std::to_string(o.threads));
  if (o.out.empty()) return usage_error("--out must name a directory");

  try {
    if (!o.posteriors_list.empty())
      for (const std::string& d : cli::read_posteriors_list(o.posteriors_list)) o.posteriors.push_back(d);
    if (o.threads > 0) set_num_threads(static_cast<int>(o.threads));
    if (!o.ensemble.empty()) {
      const std::string name = o.count == 0 ? "encoded-all"
                                            : "encoded-" + std::to_string(o.count) + "-seed" + std::to_string(o.seed);
      for (const std::string& run : cli::finished_ensemble_runs(o.ensemble)) {
        const std::string encoded = (fs::path(run) / name).string();
        if (!fs::exists(fs::path(encoded) / "means.npy")) {
          int rc = cli::run_subcommand(run_encode, {"encode", "--run", run, "--count", std::to_string(o.count),
                                                    "--sample-seed", std::to_string(o.seed), "--out", encoded,
                                                    "--threads", std::to_string(o.threads)});
          if (rc != 0) return rc;
        }
        o.posteriors.push_back(encoded);
      }
    }
    if (o.posteriors.empty())
      return usage_error("give the members' directories with --posteriors DIR [DIR ...], --posteriors-list FILE or "
                         "--ensemble DIR");
    const double start = cli::seconds_now();
    auto say = [&](const std::string& text) {
      std::printf("[%7.2f s] %s\n", cli::seconds_now() - start, text.c_str());
      std::fflush(stdout);
    };

    say("reading " + std::to_string(o.posteriors.size()) + " posteriors directories");
    std::vector<info::MemberPosteriors> members;
    for (const std::string& dir : o.posteriors) members.push_back(info::read_member_posteriors(dir));
    const std::vector<std::vector<int64_t>> rows = info::match_member_rows(members);
    std::vector<info::LatentSpace> spaces;
    for (size_t m = 0; m < members.size(); ++m)
      spaces.push_back({aligned_rows(members[m].means, rows[m]), aligned_rows(members[m].logvars, rows[m])});
    const int64_t k = static_cast<int64_t>(members.size()), n = static_cast<int64_t>(members[0].indices.size());
    if (n < 2) return usage_error(members[0].dir + " holds " + std::to_string(n) + " data point; need at least 2");

    const int64_t estimates = 2 * k + k * (k - 1) / 2;
    say(std::to_string(estimates) + " Monte Carlo estimates (" + std::to_string(k) + " models, " +
        std::to_string(k * (k - 1) / 2) + " pairs) of " + std::to_string(o.samples) + " samples over " +
        std::to_string(n) + " points");
    info::WholeSpaceOptions options;
    options.samples = o.samples;
    options.seed = static_cast<uint64_t>(o.seed);
    // The samples finish in blocks, so the line is drawn at the first count past each tenth (in a log
    // file) or whenever the terminal's line is due.
    const int64_t all_samples = estimates * o.samples;
    cli::Progress progress(0, all_samples, 1);
    const bool terminal = isatty(fileno(stdout));
    int64_t next_line = 0;
    options.on_progress = [&](int64_t done, int64_t total) {
      if (!terminal && done < next_line && done < total) return;
      next_line = done + std::max<int64_t>(1, total / 10);
      progress.update(done, "samples of " + std::to_string(estimates) + " estimates");
    };
    const double estimate_start = cli::seconds_now();
    const info::WholeSpaceSimilarity r = info::whole_space_similarity(spaces, options);
    progress.finish_line();
    const double estimate_seconds = cli::seconds_now() - estimate_start;
    const info::WholeSpaceSummary summary = info::summarise_whole_spaces(r);

    say("writing numbers to " + o.out);
    fs::create_directories(o.out);
    write_numbers(r, summary, members, o);
    print_table(r, summary, members);
    std::printf("\nestimates %.2f s at %d threads; total %.2f s\n", estimate_seconds, num_threads(),
                cli::seconds_now() - start);
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "elbo spaces: %s\n", e.what());
    return 1;
  } catch (const fs::filesystem_error& e) {
    std::fprintf(stderr, "elbo spaces: %s\n", e.what());
    return 1;
  }
}
