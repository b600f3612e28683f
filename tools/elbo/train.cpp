// elbo train: trains a VAE of the family (models/model.hpp) and writes a run directory (run.hpp).
//
// Step t trains on the batch BatchIterator(seed).seek(t) gives and draws its noise from streams
// keyed by (seed, t) (models/noise.hpp); the checkpoint holds the weights and both optimisers'
// states. So a run resumed from the checkpoint of step t continues with exactly the bits of a run
// that never stopped: the finished checkpoint and metrics.csv (but for its steps_per_second
// column) are the same bytes.
//
// metrics.csv has one row every --log-every steps (and at the last step): the step count, the mean
// over those steps of each loss term and of each latent's KL, and the speed. The running sums of
// an interval that a checkpoint cuts are saved in the checkpoint's metadata, so rows do not
// depend on where a run was interrupted.
#include "train.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "args.hpp"
#include "elbo/autograd.hpp"
#include "elbo/context.hpp"
#include "elbo/data/batches.hpp"
#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/csv.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/png.hpp"
#include "elbo/models/visualize.hpp"
#include "progress.hpp"

namespace cli {

using namespace elbo;
namespace fs = std::filesystem;

namespace {

// Files that elbo's subcommands write into a run directory; --force removes them before a fresh start.
const char* kRunFiles[] = {"config.txt",  "checkpoint.safetensors", "metrics.csv",     "summary.json",
                           "samples.png", "reconstructions.png",    "traversal.png",   "reconstruct.png",
                           "sample.png",  "eval.json",              "batches.npy"};
const char* kRunFolders[] = {"encoded"};

// The means over one logging interval: the terms in the report's order, then KL per latent.
struct Interval {
  std::vector<std::string> names;
  std::vector<double> sums;
  int64_t count = 0;

  void add(const models::StepReport& r) {
    if (sums.empty()) sums.assign(r.terms.size() + r.kl_per_latent.size(), 0.0);
    if (names.empty())
      for (const models::NamedValue& t : r.terms) names.push_back(t.name);
    size_t i = 0;
    for (const models::NamedValue& t : r.terms) sums[i++] += t.value;
    for (double kl : r.kl_per_latent) sums[i++] += kl;
    ++count;
  }
  std::vector<double> means() const {
    std::vector<double> m(sums.size());
    for (size_t i = 0; i < sums.size(); ++i) m[i] = sums[i] / static_cast<double>(count);
    return m;
  }
  void clear() {
    std::fill(sums.begin(), sums.end(), 0.0);
    count = 0;
  }
  json::Value to_json() const {
    json::Value v = json::Value::object(), s = json::Value::array();
    for (double x : sums) s.push_back(x);
    v.set("count", count);
    v.set("sums", s);
    return v;
  }
  void from_json(const json::Value& v) {
    count = v.at("count").as_int();
    sums.clear();
    for (const json::Value& x : v.at("sums").items()) sums.push_back(x.as_double());
  }
};

const char* short_name(const std::string& term) {
  if (term == "reconstruction") return "recon";
  if (term == "discriminator_loss") return "d_loss";
  return term.c_str();
}

std::string format_number(const char* pattern, double v) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, v);
  return text;
}

// "loss 123.40  recon 100.10  kl 23.30  | KL/latent 5.1 4.2 0.0"
std::string progress_details(const models::StepReport& r) {
  std::string s;
  for (const models::NamedValue& t : r.terms) {
    s.append(short_name(t.name)).append(" ").append(format_number("%.2f", t.value)).append("  ");
  }
  s.append("| KL/latent");
  for (double kl : r.kl_per_latent) s.append(" ").append(format_number("%.1f", kl));
  return s;
}

// Keeps the rows of metrics.csv up to step `step` (a run killed without saving may have logged
// beyond its last checkpoint). Rows are "step,...", the first line is the header.
void truncate_metrics(const std::string& path, int64_t step) {
  if (!fs::is_regular_file(path)) return;
  std::ifstream in(path);
  std::string line, kept;
  bool header = true;
  while (std::getline(in, line)) {
    if (in.eof() && !line.empty()) break;  // a row cut off without its newline
    if (header) {
      kept += line + "\n";
      header = false;
      continue;
    }
    if (std::strtoll(line.c_str(), nullptr, 10) <= step) kept += line + "\n";
  }
  io::write_file_atomic(path, kept);
}

// Lines "name = value" of a config text, keyed by name.
std::vector<std::pair<std::string, std::string>> config_lines(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    size_t eq = line.find(" = ");
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    lines.emplace_back(line.substr(0, eq), line.substr(eq + 3));
  }
  return lines;
}

// A resumed run must be the run that was started: every option but those that may change is equal.
void check_same_run(const RunOptions& saved, const RunOptions& now, const std::string& dir) {
  auto a = config_lines(run_config_text(saved)), b = config_lines(run_config_text(now));
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (option_may_change_on_resume(a[i].first) || a[i].second == b[i].second) continue;
    elbo::detail::fail("--resume: --", a[i].first, " is ", b[i].second, " but the run in ", dir, " was trained with ",
                       a[i].second, "; a resumed run keeps its options (only --steps, --threads, --checkpoint-every "
                       "may change). Start a new run with another --out, or with --force");
  }
}

json::Value read_json_file(const std::string& path) {
  return json::parse(io::read_text_file(path), path);
}

void write_pictures(const std::string& dir, models::Model& model, const Tensor& originals, uint64_t seed) {
  model.vae.eval();
  Tensor samples = models::prior_samples(model.vae, 64, seed);
  io::write_image_grid(run_file(dir, kSamplesFile), samples.to(Device::cpu), {.cols = 8, .margin = 2, .background = 1.0f, .row_labels = {}, .label_scale = 1});
  write_reconstruction_grid(run_file(dir, kReconstructionsFile), originals, models::reconstruct(model.vae, originals),
                            8);
  model.vae.train();
}

}  // namespace

RunStatus run_status(const std::string& dir) {
  RunStatus s;
  std::error_code ec;
  s.exists = fs::is_directory(dir, ec) && !fs::is_empty(dir, ec);
  if (!s.exists) return s;
  std::ifstream config(run_file(dir, kConfigFile));
  std::string first;
  s.is_run = config && std::getline(config, first) && first == "# elbo train";
  s.has_checkpoint = fs::is_regular_file(run_file(dir, kCheckpointFile));
  std::string summary = run_file(dir, kSummaryFile);
  if (s.is_run && fs::is_regular_file(summary)) {
    json::Value v = read_json_file(summary);
    s.finished = v.contains("finished") && v.at("finished").as_bool();
    s.steps_done = v.contains("steps") ? v.at("steps").as_int() : 0;
  }
  return s;
}

int train_run(RunOptions o, const TrainControl& control) {
  resolve_run_options(o);
  const Device device = parse_device(o.device);
  apply_threads(o.threads);
  const std::string dir = o.out;

  // 1. The directory: new, resumed, or started over.
  RunStatus status = run_status(dir);
  bool resuming = false;
  if (status.is_run) {
    if (control.resume) {
      resuming = status.has_checkpoint;
      if (!resuming) std::printf("%s has no checkpoint yet: starting from step 0\n", dir.c_str());
    } else if (control.force) {
      for (const char* name : kRunFiles) fs::remove(run_file(dir, name));
      for (const char* name : kRunFolders) fs::remove_all(run_file(dir, name));
    } else if (status.finished) {
      elbo::detail::fail("--out ", dir, " holds a finished run (", status.steps_done, " steps); pass --force to train "
                         "it again from the start, --resume with a larger --steps to train it further, or choose "
                         "another --out");
    } else {
      elbo::detail::fail("--out ", dir, " holds an unfinished run", status.steps_done > 0 ? " (at step " +
                         std::to_string(status.steps_done) + ")" : std::string(), "; pass --resume to continue it, "
                         "--force to start it over, or choose another --out");
    }
  } else if (status.exists) {
    ELBO_CHECK(!control.resume, "--resume: ", dir, " holds no elbo run (no config.txt written by elbo train)");
    ELBO_CHECK(control.force, "--out ", dir, " is not empty and holds no elbo run; pass --force to write into it "
               "anyway, or choose another --out");
  }
  fs::create_directories(dir);

  // 2. Data and model.
  std::unique_ptr<data::Dataset> dataset = open_dataset(o);
  if (o.architecture == "auto") o.architecture = auto_architecture(dataset->image_shape());
  models::Model model(model_config(o, dataset->image_shape()));

  int64_t start = 0;
  double seconds_before = 0;
  Interval interval;
  const std::string checkpoint = run_file(dir, kCheckpointFile), metrics = run_file(dir, kMetricsFile);
  const std::string summary = run_file(dir, kSummaryFile);
  if (resuming) {
    check_same_run(read_run_config(run_file(dir, kConfigFile)), o, dir);
    json::Value meta = load_model(checkpoint, model, true);
    start = meta.at("step").as_int();
    interval.from_json(meta.at("interval"));
    if (start == o.steps) {
      std::printf("%s: the run is finished (%lld steps); nothing to do (pass a larger --steps to train further)\n",
                  dir.c_str(), static_cast<long long>(start));
      return 0;
    }
    ELBO_CHECK(start < o.steps, "--steps ", o.steps, ": the run in ", dir, " is already at step ", start);
    truncate_metrics(metrics, start);
    if (fs::is_regular_file(summary)) {
      json::Value s = read_json_file(summary);
      if (s.contains("steps") && s.at("steps").as_int() == start) seconds_before = s.at("seconds").as_double();
    }
  }
  io::write_file_atomic(run_file(dir, kConfigFile), run_config_text(o));

  std::printf("elbo train: %s\n", model.describe().c_str());
  std::printf("data: %s, %lld images of %lldx%lldx%lld; batch %lld, %lld steps (%.2f epochs); %d threads, %s\n",
              dataset->name().c_str(), static_cast<long long>(dataset->size()),
              static_cast<long long>(dataset->image_shape().channels),
              static_cast<long long>(dataset->image_shape().height),
              static_cast<long long>(dataset->image_shape().width), static_cast<long long>(o.batch),
              static_cast<long long>(o.steps),
              static_cast<double>(o.steps * o.batch) / static_cast<double>(dataset->size()), num_threads(),
              device_name(device));
  if (start > 0) std::printf("resuming %s at step %lld\n", dir.c_str(), static_cast<long long>(start));
  else std::printf("writing %s\n", dir.c_str());
  std::fflush(stdout);

  // Fixed images for the reconstruction pictures: the same 16 for every run of this dataset.
  std::vector<int64_t> picture_ids = fixed_sample(dataset->size(), 16, 0);
  Tensor originals = dataset->images(picture_ids).to(device);

  data::BatchIterator batches(*dataset, training_batch_options(o));
  batches.seek(start);
  std::unique_ptr<io::CsvLog> log;
  std::vector<double> last_row;  // means of the last logged interval
  Tensor x;

  auto metadata = [&](int64_t step) {
    json::Value m = json::Value::object();
    m.set("step", step);
    m.set("interval", interval.to_json());
    m.set("dataset", o.dataset);
    m.set("architecture", model.config.vae.architecture);
    m.set("latents", o.latents);
    m.set("objective", models::describe_objective(model.config.objective));
    m.set("seed", o.seed);
    return m;
  };
  cli::Progress progress(start, o.steps, o.log_every);
  double interval_start = seconds_now();
  int64_t interval_first = start;
  auto write_summary = [&](int64_t step, bool finished) {
    double seconds = seconds_before + progress.elapsed();
    json::Value s = json::Value::object();
    s.set("finished", finished);
    s.set("steps", step);
    s.set("steps_total", o.steps);
    s.set("seconds", seconds);
    s.set("steps_per_second", static_cast<double>(step - start) / (progress.elapsed() + 1e-12));
    s.set("samples_per_second", static_cast<double>((step - start) * o.batch) / (progress.elapsed() + 1e-12));
    s.set("dataset", dataset->name());
    s.set("architecture", model.config.vae.architecture);
    s.set("parameters", model.vae.num_parameters());
    s.set("objective", models::describe_objective(model.config.objective));
    s.set("beta_norm", model.beta_norm());
    json::Value terms = json::Value::object(), kl = json::Value::array();
    for (size_t i = 0; i < interval.names.size() && i < last_row.size(); ++i) terms.set(interval.names[i], last_row[i]);
    for (size_t i = interval.names.size(); i < last_row.size(); ++i) kl.push_back(last_row[i]);
    s.set("terms", terms);
    s.set("kl_per_latent", kl);
    io::write_file_atomic(summary, json::dump(s, 2) + "\n");
  };

  InterruptGuard guard;
  for (int64_t t = start; t < o.steps; ++t) {
    batches.next(x);
    models::StepReport r = model.step(device == Device::cpu ? x : x.to(device), static_cast<uint64_t>(t));
    double loss = r.get("loss");
    if (!std::isfinite(loss)) {
      progress.finish_line();
      elbo::detail::fail("the loss became ", loss, " at step ", t, "; try a smaller --lr (", dir, " keeps the last "
                         "checkpoint; start over with --force)");
    }
    interval.add(r);
    const int64_t done = t + 1;
    if (done % o.log_every == 0 || done == o.steps) {
      if (!log) {
        std::vector<std::string> columns = {"step"};
        for (const std::string& n : interval.names) columns.push_back(n);
        for (size_t j = 0; j < r.kl_per_latent.size(); ++j) columns.push_back("kl_" + std::to_string(j));
        columns.push_back("steps_per_second");
        log = std::make_unique<io::CsvLog>(metrics, columns, start > 0);
      }
      double now = seconds_now();
      last_row = interval.means();
      std::vector<io::CsvCell> cells = {io::CsvCell(done)};
      for (double v : last_row) cells.emplace_back(v);
      cells.emplace_back(static_cast<double>(done - interval_first) / (now - interval_start + 1e-12));
      log->row(cells);
      interval.clear();
      interval_start = now;
      interval_first = done;
    }
    progress.update(done, progress_details(r));

    bool interrupted = guard.interrupted() || done == control.stop_after;
    if (interrupted && done < o.steps) {
      progress.finish_line();
      save_model(checkpoint, model, metadata(done));
      write_summary(done, false);
      std::printf("interrupted at step %lld of %lld; checkpoint saved in %s\nresume with: elbo train --out %s --resume\n",
                  static_cast<long long>(done), static_cast<long long>(o.steps), checkpoint.c_str(), dir.c_str());
      return 130;
    }
    if (done % o.checkpoint_every == 0 && done < o.steps) {
      save_model(checkpoint, model, metadata(done));
      write_pictures(dir, model, originals, static_cast<uint64_t>(o.seed));
      write_summary(done, false);
    }
  }
  save_model(checkpoint, model, metadata(o.steps));
  write_pictures(dir, model, originals, static_cast<uint64_t>(o.seed));
  write_summary(o.steps, true);
  std::printf("done: %lld steps in %s; files in %s\n", static_cast<long long>(o.steps - start),
              format_duration(progress.elapsed()).c_str(), dir.c_str());
  return 0;
}

}  // namespace cli

int run_train(int argc, char** argv) {
  using namespace cli;
  RunOptions options;
  TrainControl control;
  auto bind = [&](Args& args) {
    args.config_file();
    bind_run_options(args, options);
    args.flag("--resume", control.resume, "continue the run in --out from its checkpoint (its config.txt gives the "
              "options; --steps may grow)");
    args.flag("--force", control.force, "start over in a directory that holds a run (or write into a foreign one)");
    args.flag("--stop-after", control.stop_after, "stop as Ctrl-C does once this many steps are done (0: never)");
  };
  const char* summary = "Train a VAE and write a run directory (config.txt, checkpoint.safetensors, metrics.csv, "
                        "summary.json, samples.png, reconstructions.png). Ctrl-C saves a checkpoint; --resume continues.";
  Args args("elbo train", summary);
  bind(args);
  if (!args.parse(argc, argv)) return args.exit_code();
  // Resuming: the run's config.txt is the base, then --config and the command line as given.
  std::string saved = run_file(options.out, kConfigFile);
  if (control.resume && run_status(options.out).is_run) {
    options = RunOptions();
    control = TrainControl();
    Args again("elbo train", summary);
    bind(again);
    if (!again.read_config(saved) || !again.parse(argc, argv)) return again.exit_code();
  }
  return train_run(options, control);
}
