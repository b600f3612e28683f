// elbo ensemble: one training run per (hyper-parameter value, seed), one after the other, each in
// its own run directory (ENSEMBLE/beta4-seed2/), with an index ENSEMBLE/ensemble.json
// (ensemble.hpp has its layout and the functions `elbo sweep` shares).
#include "ensemble.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/json.hpp"
#include "elbo/models/one_pass_ensemble.hpp"
#include "progress.hpp"

namespace cli {

using namespace elbo;
namespace fs = std::filesystem;

std::vector<double> parse_values(const std::string& text, const char* flag) {
  std::vector<double> values;
  for (const std::string& item : split_commas(text)) {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    ELBO_CHECK(!item.empty() && *end == '\0' && v == v, flag, " expects numbers separated by commas, got '", text, "'");
    values.push_back(v);
  }
  return values;
}

void set_swept(RunOptions& o, const std::string& name, double value) {
  if (name == "beta") o.beta = value;
  else if (name == "gamma") o.gamma = value;
  else if (name == "c-max") o.c_max = value;
  else if (name == "lambda-od") o.lambda_od = value;
  else if (name == "lambda-d") o.lambda_d = value;
  else if (name == "lr") o.lr = value;
  else if (name == "latents") {
    ELBO_CHECK(value == static_cast<double>(static_cast<int64_t>(value)), "--values: latents must be integers, got ", value);
    o.latents = static_cast<int64_t>(value);
  } else {
    elbo::detail::fail("--sweep must be one of beta, gamma, c-max, lambda-od, lambda-d, lr, latents; got '", name, "'");
  }
}

RunOptions member_options(const Ensemble& grid, const EnsembleMember& member) {
  RunOptions o = grid.options;
  set_swept(o, grid.sweep, member.value);
  o.seed = member.seed;
  o.out = (fs::path(grid.options.out) / member.dir).string();
  return o;
}

namespace {

// An integral value as a JSON integer (1, not 1.0), as the member directories name it.
json::Value number(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v))) return json::Value(static_cast<int64_t>(v));
  return json::Value(v);
}

}  // namespace

void write_ensemble_index(const Ensemble& grid) {
  json::Value index = json::Value::object(), vs = json::Value::array(), ss = json::Value::array(),
              ms = json::Value::array();
  for (double v : grid.values) vs.push_back(number(v));
  for (int64_t k = 0; k < grid.seeds; ++k) ss.push_back(grid.options.seed + k);
  for (const EnsembleMember& m : grid.members) {
    json::Value e = json::Value::object();
    e.set("dir", m.dir);
    e.set("seed", m.seed);
    e.set(grid.sweep, number(m.value));
    e.set("status", m.status);
    if (!m.error.empty()) e.set("error", m.error);
    ms.push_back(e);
  }
  index.set("sweep", grid.sweep);
  index.set("values", vs);
  index.set("seeds", ss);
  index.set("members", ms);
  io::write_file_atomic((fs::path(grid.options.out) / "ensemble.json").string(), json::dump(index, 2) + "\n");
}

Ensemble open_ensemble(const RunOptions& options, const std::string& sweep, const std::vector<double>& values,
                       int64_t seeds, bool force, const std::string& command) {
  ELBO_CHECK(!values.empty(), command, ": no values to sweep");
  ELBO_CHECK(seeds >= 1, "--seeds must be at least 1, got ", seeds);
  ELBO_CHECK(options.seed >= 0, "--seed must be at least 0, got ", options.seed);
  Ensemble grid;
  grid.options = options;
  grid.sweep = sweep;
  grid.values = values;
  grid.seeds = seeds;
  for (double v : values)
    for (int64_t k = 0; k < seeds; ++k)
      grid.members.push_back({sweep + shortest_number(v) + "-seed" + std::to_string(options.seed + k), options.seed + k,
                              v, "pending", ""});
  // Check every member's options, and the device, before training any.
  parse_device(options.device);
  for (const EnsembleMember& m : grid.members) {
    RunOptions o = member_options(grid, m);
    try {
      resolve_run_options(o);
    } catch (const Error& e) {
      elbo::detail::fail("member ", m.dir, ": ", e.what());
    }
  }
  const std::string& root = options.out;
  std::error_code ec;
  const bool foreign = fs::is_directory(root, ec) && !fs::is_empty(root, ec) &&
                       !fs::is_regular_file(fs::path(root) / "ensemble.json");
  ELBO_CHECK(!foreign || force, "--out ", root, " is not empty and holds no ensemble.json; pass --force to write into it "
             "anyway, or choose another --out");
  fs::create_directories(root);
  for (EnsembleMember& m : grid.members) {
    RunStatus s = run_status((fs::path(root) / m.dir).string());
    if (s.is_run && s.finished && s.steps_done == options.steps && !force) m.status = "finished";
    else if (s.is_run) m.status = "interrupted";
  }
  write_ensemble_index(grid);
  return grid;
}

namespace {

// Prints "[i/n] DIR: " and what becomes of member i (`how` follows "training" or "resuming");
// returns false when it is finished and skipped.
bool announce_member(const Ensemble& grid, size_t i, const char* how) {
  const EnsembleMember& m = grid.members[i];
  std::printf("[%zu/%zu] %s: ", i + 1, grid.members.size(), m.dir.c_str());
  if (m.status == "finished") {
    std::printf("finished, skipped\n");
    return false;
  }
  std::printf("%s%s\n", m.status == "interrupted" ? "resuming" : "training", how);
  std::fflush(stdout);
  return true;
}

// The control of one member: resumed when it was interrupted, unless the grid is forced anew.
TrainControl control_of(const EnsembleMember& m, const TrainControl& control) {
  TrainControl c = control;
  c.resume = m.status == "interrupted" && !control.force;
  return c;
}

// Records member i as failed, in the index and on stderr.
void record_failure(Ensemble& grid, size_t i, const std::string& why, const std::string& command) {
  EnsembleMember& m = grid.members[i];
  m.status = "failed";
  m.error = why;
  write_ensemble_index(grid);
  std::fflush(stdout);
  std::fprintf(stderr, "elbo %s: member %s failed: %s\n", command.c_str(), m.dir.c_str(), why.c_str());
}

// The members that are not finished, trained together (models/one_pass_ensemble.hpp): the members
// that start at the same step (0 when fresh, their checkpoint's when resumed) form a group, and
// the groups train one after another. A member whose loss diverges fails and leaves its group;
// the others go on.
int train_in_one_pass(Ensemble& grid, const TrainControl& control, const std::string& command) {
  int failed = 0;
  const size_t n = grid.members.size();
  // 1. Open every member to train, as train_run would.
  std::vector<std::unique_ptr<RunTrainer>> runs(n);
  for (size_t i = 0; i < n; ++i) {
    if (!announce_member(grid, i, " (one pass)")) continue;
    try {
      runs[i] = std::make_unique<RunTrainer>(member_options(grid, grid.members[i]), control_of(grid.members[i], control));
      if (runs[i]->done()) {
        grid.members[i].status = "finished";
        runs[i].reset();
      }
    } catch (const Error& e) {
      record_failure(grid, i, e.what(), command);
      ++failed;
    }
  }
  write_ensemble_index(grid);
  // 2. Group by the step they start at, and train each group in one pass.
  std::map<int64_t, std::vector<size_t>> groups;
  for (size_t i = 0; i < n; ++i)
    if (runs[i]) groups[runs[i]->start()].push_back(i);
  for (auto& [start, group] : groups) {
    const int64_t steps = runs[group[0]]->steps();
    auto make_ensemble = [&] {
      std::vector<models::Model*> models;
      for (size_t i : group) models.push_back(&runs[i]->model());
      return std::make_unique<models::OnePassEnsemble>(models);
    };
    std::unique_ptr<models::OnePassEnsemble> ensemble = make_ensemble();
    std::printf("one pass: %zu members from step %lld to %lld\n", group.size(), static_cast<long long>(start),
                static_cast<long long>(steps));
    Progress progress(start, steps, grid.options.log_every);
    InterruptGuard guard;
    for (int64_t t = start; t < steps; ++t) {
      std::vector<Tensor> batches;
      for (size_t i : group) batches.push_back(runs[i]->next_batch());
      std::vector<models::StepReport> reports = ensemble->step(batches, static_cast<uint64_t>(t));
      std::vector<size_t> going_on;
      double loss_sum = 0;
      for (size_t k = 0; k < group.size(); ++k) {
        try {
          runs[group[k]]->check_finite(t, reports[k]);
        } catch (const Error& e) {
          progress.finish_line();
          record_failure(grid, group[k], e.what(), command);
          ++failed;
          runs[group[k]].reset();
          continue;
        }
        runs[group[k]]->record(t, reports[k]);
        loss_sum += reports[k].get("loss");
        going_on.push_back(group[k]);
      }
      if (going_on.size() != group.size()) {
        group = going_on;
        if (group.empty()) break;
        ensemble = make_ensemble();
      }
      const int64_t done = t + 1;
      char mean_loss[32];
      std::snprintf(mean_loss, sizeof mean_loss, "%.2f", loss_sum / static_cast<double>(group.size()));
      progress.update(done, std::to_string(group.size()) + " members, mean loss " + mean_loss);
      if ((guard.interrupted() || done == control.stop_after) && done < steps) {
        progress.finish_line();
        for (size_t i : group) {
          runs[i]->interrupt(done);
          grid.members[i].status = "interrupted";
        }
        write_ensemble_index(grid);
        std::printf("%s interrupted; run the same command again to continue\n", command.c_str());
        return 130;
      }
    }
    for (size_t i : group) {
      runs[i]->finish();
      grid.members[i].status = "finished";
      grid.members[i].error.clear();
    }
    write_ensemble_index(grid);
  }
  return failed ? 1 : 0;
}

}  // namespace

int train_ensemble(Ensemble& grid, const TrainControl& control, const std::string& command) {
  if (control.one_pass) return train_in_one_pass(grid, control, command);
  int failed = 0;
  for (size_t i = 0; i < grid.members.size(); ++i) {
    if (!announce_member(grid, i, "")) continue;
    EnsembleMember& m = grid.members[i];
    try {
      int code = train_run(member_options(grid, m), control_of(m, control));
      m.status = code == 0 ? "finished" : "interrupted";
      m.error.clear();
      write_ensemble_index(grid);
      if (code != 0) {
        std::printf("%s interrupted; run the same command again to continue\n", command.c_str());
        return code;
      }
    } catch (const Error& e) {
      record_failure(grid, i, e.what(), command);
      ++failed;
    }
  }
  return failed ? 1 : 0;
}

}  // namespace cli

int run_ensemble(int argc, char** argv) {
  using namespace cli;
  RunOptions options;
  options.out = "runs/ensemble";
  std::string betas, sweep = "beta", values;
  int64_t seeds = 3, stop_after = 0;
  bool force = false, one_pass = false;
  Args args("elbo ensemble",
            "Train one run per value of a hyper-parameter and per seed, one after another, into OUT/<name><value>-seed<s>/, "
            "with an index OUT/ensemble.json. Every train option applies to each member. Run it again to skip finished "
            "members and resume interrupted ones.");
  args.config_file();
  bind_run_options(args, options);
  args.flag("--betas", betas, "values of beta (the same as --sweep beta --values LIST)");
  args.flag("--sweep", sweep, "the option swept (beta, gamma, c-max, lambda-od, lambda-d, lr, latents)");
  args.flag("--values", values, "its values, comma separated");
  args.flag("--seeds", seeds, "seeds per value: --seed, --seed + 1, ...");
  args.flag("--force", force, "start members over even when they hold a run, and write into a foreign directory");
  args.flag("--stop-after", stop_after, "stop as Ctrl-C does once a member has done this many steps (0: never)");
  args.flag("--one-pass", one_pass, "train the members together, as one batched computation per step (each member's "
            "results are those of training it alone; pays on a GPU)");
  if (!args.parse(argc, argv)) return args.exit_code();
  ELBO_CHECK(!one_pass || sweep != "latents", "--one-pass trains members of one network, but --sweep latents gives "
             "each value its own; drop --one-pass");

  ELBO_CHECK(betas.empty() || values.empty(), "--betas and --values both given; pass one");
  if (!betas.empty()) {
    ELBO_CHECK(sweep == "beta", "--betas sweeps beta, but --sweep is ", sweep);
    values = betas;
  }
  ELBO_CHECK(!values.empty(), "no values to sweep: pass --betas LIST or --sweep NAME --values LIST");
  const std::vector<double> grid_values = parse_values(values, betas.empty() ? "--values" : "--betas");

  Ensemble grid = open_ensemble(options, sweep, grid_values, seeds, force, "ensemble");
  TrainControl control;
  control.force = force;
  control.stop_after = stop_after;
  control.one_pass = one_pass;
  const int code = train_ensemble(grid, control, "ensemble");
  if (code == 130) return code;
  int failed = 0;
  for (const EnsembleMember& m : grid.members) failed += m.status == "failed";
  std::printf("ensemble: %zu members, %d failed; index %s\n", grid.members.size(), failed,
              (std::filesystem::path(options.out) / "ensemble.json").string().c_str());
  return code;
}
