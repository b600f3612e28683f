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

std::string progress_details(const models::StepReport& r) {
  std::string s;
  for (const models::NamedValue& t : r.terms) {
    s.append(short_name(t.name)).append(" ").append(format_number("%.2f", t.value)).append("  ");
  }
  s.append("| KL/latent");
  for (double kl : r.kl_per_latent) s.append(" ").append(format_number("%.1f", kl));
  return s;
}

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

// The means over one logging interval: the terms in the report's order, then KL per latent.
void RunTrainer::Interval::add(const models::StepReport& r) {
  if (sums.empty()) sums.assign(r.terms.size() + r.kl_per_latent.size(), 0.0);
  if (names.empty())
    for (const models::NamedValue& t : r.terms) names.push_back(t.name);
  size_t i = 0;
  for (const models::NamedValue& t : r.terms) sums[i++] += t.value;
  for (double kl : r.kl_per_latent) sums[i++] += kl;
  ++count;
}

std::vector<double> RunTrainer::Interval::means() const {
  std::vector<double> m(sums.size());
  for (size_t i = 0; i < sums.size(); ++i) m[i] = sums[i] / static_cast<double>(count);
  return m;
}

void RunTrainer::Interval::clear() {
  std::fill(sums.begin(), sums.end(), 0.0);
  count = 0;
}

json::Value RunTrainer::Interval::to_json() const {
  json::Value v = json::Value::object(), s = json::Value::array();
  for (double x : sums) s.push_back(x);
  v.set("count", count);
  v.set("sums", s);
  return v;
}

void RunTrainer::Interval::from_json(const json::Value& v) {
  count = v.at("count").as_int();
  sums.clear();
  for (const json::Value& x : v.at("sums").items()) sums.push_back(x.as_double());
}

RunTrainer::RunTrainer(RunOptions options, const TrainControl& control) : o_(std::move(options)) {
  resolve_run_options(o_);
  device_ = parse_device(o_.device);
  apply_threads(o_.threads);
  const std::string& dir = o_.out;

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
  dataset_ = open_dataset(o_);
  if (o_.architecture == "auto") o_.architecture = auto_architecture(dataset_->image_shape());
  model_ = std::make_unique<models::Model>(model_config(o_, dataset_->image_shape()));

  checkpoint_ = run_file(dir, kCheckpointFile);
  metrics_ = run_file(dir, kMetricsFile);
  summary_ = run_file(dir, kSummaryFile);
  if (resuming) {
    check_same_run(read_run_config(run_file(dir, kConfigFile)), o_, dir);
    json::Value meta = load_model(checkpoint_, *model_, true);
    start_ = meta.at("step").as_int();
    interval_.from_json(meta.at("interval"));
    if (start_ == o_.steps) {
      std::printf("%s: the run is finished (%lld steps); nothing to do (pass a larger --steps to train further)\n",
                  dir.c_str(), static_cast<long long>(start_));
      finished_ = true;
      return;
    }
    ELBO_CHECK(start_ < o_.steps, "--steps ", o_.steps, ": the run in ", dir, " is already at step ", start_);
    truncate_metrics(metrics_, start_);
    if (fs::is_regular_file(summary_)) {
      json::Value s = read_json_file(summary_);
      if (s.contains("steps") && s.at("steps").as_int() == start_) seconds_before_ = s.at("seconds").as_double();
    }
  }
  io::write_file_atomic(run_file(dir, kConfigFile), run_config_text(o_));

  std::printf("elbo train: %s\n", model_->describe().c_str());
  std::printf("data: %s, %lld images of %lldx%lldx%lld; batch %lld, %lld steps (%.2f epochs); %d threads, %s\n",
              dataset_->name().c_str(), static_cast<long long>(dataset_->size()),
              static_cast<long long>(dataset_->image_shape().channels),
              static_cast<long long>(dataset_->image_shape().height),
              static_cast<long long>(dataset_->image_shape().width), static_cast<long long>(o_.batch),
              static_cast<long long>(o_.steps),
              static_cast<double>(o_.steps * o_.batch) / static_cast<double>(dataset_->size()), num_threads(),
              device_name(device_));
  if (start_ > 0) std::printf("resuming %s at step %lld\n", dir.c_str(), static_cast<long long>(start_));
  else std::printf("writing %s\n", dir.c_str());
  std::fflush(stdout);

  // Fixed images for the reconstruction pictures: the same 16 for every run of this dataset.
  std::vector<int64_t> picture_ids = fixed_sample(dataset_->size(), 16, 0);
  originals_ = dataset_->images(picture_ids).to(device_);
  batches_ = std::make_unique<data::BatchIterator>(*dataset_, training_batch_options(o_));
  batches_->seek(start_);
  started_ = interval_start_ = seconds_now();
  interval_first_ = start_;
}

RunTrainer::~RunTrainer() = default;

Tensor RunTrainer::next_batch() {
  batches_->next(x_);
  return device_ == Device::cpu ? x_ : x_.to(device_);
}

void RunTrainer::check_finite(int64_t t, const models::StepReport& r) const {
  const double loss = r.get("loss");
  if (!std::isfinite(loss))
    elbo::detail::fail("the loss became ", loss, " at step ", t, "; try a smaller --lr (", o_.out, " keeps the last "
                       "checkpoint; start over with --force)");
}

void RunTrainer::record(int64_t t, const models::StepReport& r) {
  interval_.add(r);
  const int64_t done = t + 1;
  if (done % o_.log_every == 0 || done == o_.steps) {
    if (!log_) {
      std::vector<std::string> columns = {"step"};
      for (const std::string& n : interval_.names) columns.push_back(n);
      for (size_t j = 0; j < r.kl_per_latent.size(); ++j) columns.push_back("kl_" + std::to_string(j));
      columns.push_back("steps_per_second");
      log_ = std::make_unique<io::CsvLog>(metrics_, columns, start_ > 0);
    }
    double now = seconds_now();
    last_row_ = interval_.means();
    std::vector<io::CsvCell> cells = {io::CsvCell(done)};
    for (double v : last_row_) cells.emplace_back(v);
    cells.emplace_back(static_cast<double>(done - interval_first_) / (now - interval_start_ + 1e-12));
    log_->row(cells);
    interval_.clear();
    interval_start_ = now;
    interval_first_ = done;
  }
  if (done % o_.checkpoint_every == 0 && done < o_.steps) save(done, false);
}

void RunTrainer::save(int64_t done, bool interrupted) {
  json::Value m = json::Value::object();
  m.set("step", done);
  m.set("interval", interval_.to_json());
  m.set("dataset", o_.dataset);
  m.set("architecture", model_->config.vae.architecture);
  m.set("latents", o_.latents);
  m.set("objective", models::describe_objective(model_->config.objective));
  m.set("seed", o_.seed);
  save_model(checkpoint_, *model_, m);
  if (!interrupted) write_pictures(o_.out, *model_, originals_, static_cast<uint64_t>(o_.seed));
  write_summary(done, done == o_.steps);
}

void RunTrainer::write_summary(int64_t step, bool finished) {
  const double elapsed = seconds_now() - started_, seconds = seconds_before_ + elapsed;
  json::Value s = json::Value::object();
  s.set("finished", finished);
  s.set("steps", step);
  s.set("steps_total", o_.steps);
  s.set("seconds", seconds);
  s.set("steps_per_second", static_cast<double>(step - start_) / (elapsed + 1e-12));
  s.set("samples_per_second", static_cast<double>((step - start_) * o_.batch) / (elapsed + 1e-12));
  s.set("dataset", dataset_->name());
  s.set("architecture", model_->config.vae.architecture);
  s.set("parameters", model_->vae.num_parameters());
  s.set("objective", models::describe_objective(model_->config.objective));
  s.set("beta_norm", model_->beta_norm());
  json::Value terms = json::Value::object(), kl = json::Value::array();
  for (size_t i = 0; i < interval_.names.size() && i < last_row_.size(); ++i) terms.set(interval_.names[i], last_row_[i]);
  for (size_t i = interval_.names.size(); i < last_row_.size(); ++i) kl.push_back(last_row_[i]);
  s.set("terms", terms);
  s.set("kl_per_latent", kl);
  io::write_file_atomic(summary_, json::dump(s, 2) + "\n");
}

void RunTrainer::interrupt(int64_t done) {
  save(done, true);
  std::printf("interrupted at step %lld of %lld; checkpoint saved in %s\nresume with: elbo train --out %s --resume\n",
              static_cast<long long>(done), static_cast<long long>(o_.steps), checkpoint_.c_str(), o_.out.c_str());
}

void RunTrainer::finish() {
  save(o_.steps, false);
  std::printf("done: %lld steps in %s; files in %s\n", static_cast<long long>(o_.steps - start_),
              format_duration(seconds_now() - started_).c_str(), o_.out.c_str());
}

int train_run(RunOptions options, const TrainControl& control) {
  RunTrainer run(std::move(options), control);
  if (run.done()) return 0;
  cli::Progress progress(run.start(), run.steps(), run.options().log_every);
  InterruptGuard guard;
  for (int64_t t = run.start(); t < run.steps(); ++t) {
    models::StepReport r = run.model().step(run.next_batch(), static_cast<uint64_t>(t));
    if (!std::isfinite(r.get("loss"))) progress.finish_line();
    run.check_finite(t, r);
    run.record(t, r);
    const int64_t done = t + 1;
    progress.update(done, progress_details(r));
    if ((guard.interrupted() || done == control.stop_after) && done < run.steps()) {
      progress.finish_line();
      run.interrupt(done);
      return 130;
    }
  }
  run.finish();
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
