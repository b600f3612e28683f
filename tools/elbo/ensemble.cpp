// elbo ensemble: one training run per (hyper-parameter value, seed), one after the other, each in
// its own run directory (ENSEMBLE/beta4-seed2/), with an index ENSEMBLE/ensemble.json:
//
//   {"sweep": "beta", "values": [1, 2, 4], "seeds": [0, 1],
//    "members": [{"dir": "beta1-seed0", "seed": 0, "beta": 1, "status": "finished"}, ...]}
//
// status: pending, finished, interrupted (resumable) or failed (with "error"). Running the same
// command again skips finished members, resumes interrupted ones from their checkpoints and starts
// the rest; Ctrl-C stops the member in training (saving its checkpoint) and the ensemble.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/json.hpp"
#include "train.hpp"

namespace cli {
namespace {

using namespace elbo;
namespace fs = std::filesystem;

std::vector<double> parse_values(const std::string& text, const char* flag) {
  std::vector<double> values;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char* end = nullptr;
    double v = std::strtod(item.c_str(), &end);
    ELBO_CHECK(!item.empty() && *end == '\0' && v == v, flag, " expects numbers separated by commas, got '", text, "'");
    values.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return values;
}

// The run option a sweep sets, by its flag name without dashes.
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

std::string shortest(double v) {
  char text[64];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, v);
    if (std::strtod(text, nullptr) == v) break;
  }
  return text;
}

json::Value number(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v))) return json::Value(static_cast<int64_t>(v));
  return json::Value(v);
}

}  // namespace
}  // namespace cli

int run_ensemble(int argc, char** argv) {
  using namespace cli;
  using namespace elbo;
  namespace fs = std::filesystem;
  RunOptions options;
  options.out = "runs/ensemble";
  std::string betas, sweep = "beta", values;
  int64_t seeds = 3, stop_after = 0;
  bool force = false;
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
  if (!args.parse(argc, argv)) return args.exit_code();

  ELBO_CHECK(betas.empty() || values.empty(), "--betas and --values both given; pass one");
  if (!betas.empty()) {
    ELBO_CHECK(sweep == "beta", "--betas sweeps beta, but --sweep is ", sweep);
    values = betas;
  }
  ELBO_CHECK(!values.empty(), "no values to sweep: pass --betas LIST or --sweep NAME --values LIST");
  std::vector<double> grid = parse_values(values, betas.empty() ? "--values" : "--betas");
  ELBO_CHECK(seeds >= 1, "--seeds must be at least 1, got ", seeds);
  ELBO_CHECK(options.seed >= 0, "--seed must be at least 0, got ", options.seed);

  const std::string root = options.out;
  const std::string index_path = (fs::path(root) / "ensemble.json").string();
  std::error_code ec;
  bool foreign = fs::is_directory(root, ec) && !fs::is_empty(root, ec) && !fs::is_regular_file(index_path);
  ELBO_CHECK(!foreign || force, "--out ", root, " is not empty and holds no ensemble.json; pass --force to write into it "
             "anyway, or choose another --out");
  fs::create_directories(root);

  struct Member {
    std::string dir;
    int64_t seed;
    double value;
    std::string status = "pending", error;
  };
  std::vector<Member> members;
  for (double v : grid)
    for (int64_t k = 0; k < seeds; ++k)
      members.push_back({sweep + shortest(v) + "-seed" + std::to_string(options.seed + k), options.seed + k, v, "pending", ""});
  // Check every member's options before training any.
  for (const Member& m : members) {
    RunOptions o = options;
    set_swept(o, sweep, m.value);
    o.seed = m.seed;
    try {
      resolve_run_options(o);
    } catch (const Error& e) {
      detail::fail("member ", m.dir, ": ", e.what());
    }
  }
  auto write_index = [&] {
    json::Value index = json::Value::object(), vs = json::Value::array(), ss = json::Value::array(),
                ms = json::Value::array();
    for (double v : grid) vs.push_back(number(v));
    for (int64_t k = 0; k < seeds; ++k) ss.push_back(options.seed + k);
    for (const Member& m : members) {
      json::Value e = json::Value::object();
      e.set("dir", m.dir);
      e.set("seed", m.seed);
      e.set(sweep, number(m.value));
      e.set("status", m.status);
      if (!m.error.empty()) e.set("error", m.error);
      ms.push_back(e);
    }
    index.set("sweep", sweep);
    index.set("values", vs);
    index.set("seeds", ss);
    index.set("members", ms);
    io::write_file_atomic(index_path, json::dump(index, 2) + "\n");
  };
  for (Member& m : members) {
    RunStatus s = run_status((fs::path(root) / m.dir).string());
    if (s.is_run && s.finished && s.steps_done == options.steps && !force) m.status = "finished";
    else if (s.is_run) m.status = "interrupted";
  }
  write_index();

  int failed = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    Member& m = members[i];
    std::printf("[%zu/%zu] %s: ", i + 1, members.size(), m.dir.c_str());
    if (m.status == "finished") {
      std::printf("finished, skipped\n");
      continue;
    }
    std::printf("%s\n", m.status == "interrupted" ? "resuming" : "training");
    std::fflush(stdout);
    RunOptions o = options;
    set_swept(o, sweep, m.value);
    o.seed = m.seed;
    o.out = (fs::path(root) / m.dir).string();
    TrainControl control;
    control.resume = m.status == "interrupted" && !force;
    control.force = force;
    control.stop_after = stop_after;
    try {
      int code = train_run(o, control);
      m.status = code == 0 ? "finished" : "interrupted";
      m.error.clear();
      write_index();
      if (code != 0) {
        std::printf("ensemble interrupted; run the same command again to continue\n");
        return code;
      }
    } catch (const Error& e) {
      m.status = "failed";
      m.error = e.what();
      write_index();
      std::fflush(stdout);
      std::fprintf(stderr, "elbo ensemble: member %s failed: %s\n", m.dir.c_str(), e.what());
      ++failed;
    }
  }
  std::printf("ensemble: %zu members, %d failed; index %s\n", members.size(), failed, index_path.c_str());
  return failed ? 1 : 0;
}
