// elbo train as a function, for the train and ensemble subcommands.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "elbo/data/batches.hpp"
#include "elbo/io/csv.hpp"
#include "run.hpp"

namespace cli {

struct TrainControl {
  bool resume = false;     // continue the run in --out from its checkpoint (start it when there is none)
  bool force = false;      // start over in a directory that holds a run, or write into a foreign one
  int64_t stop_after = 0;  // behave as if Ctrl-C came once this many steps are done (0: never); for tests
  bool one_pass = false;   // train_ensemble: the members of one network in one pass (models/one_pass_ensemble.hpp)
};

// Trains the run `options` describe into options.out (run.hpp has the directory's layout).
// Returns 0 when the run is finished, 130 when it was interrupted (Ctrl-C, SIGTERM or stop_after)
// after saving a checkpoint. Throws elbo::Error on bad options, files or a diverging loss.
int train_run(RunOptions options, const TrainControl& control);

// One run being trained: train_run is a loop over one, and train_ensemble's one pass steps several
// together (ensemble.hpp).
//   RunTrainer run(options, control);      // opens options.out: new, started over or resumed
//   for (int64_t t = run.start(); t < run.steps(); ++t) {
//     StepReport r = run.model().step(run.next_batch(), t);
//     run.check_finite(t, r);
//     run.record(t, r);                     // metrics.csv; checkpoint, pictures, summary.json when due
//   }
//   run.finish();                           // the final checkpoint, pictures and summary
// Step t trains on the batch BatchIterator(seed).seek(t) gives (data/batches.hpp).
class RunTrainer {
 public:
  RunTrainer(RunOptions options, const TrainControl& control);
  ~RunTrainer();
  RunTrainer(const RunTrainer&) = delete;
  RunTrainer& operator=(const RunTrainer&) = delete;

  bool done() const { return finished_; }  // a finished run, resumed: nothing to train (nor to write)
  int64_t start() const { return start_; }
  int64_t steps() const { return o_.steps; }
  const RunOptions& options() const { return o_; }
  elbo::models::Model& model() { return *model_; }
  // The batch of the next step, on the model's device.
  elbo::Tensor next_batch();
  // Throws, naming the run, when step t's loss is not finite.
  void check_finite(int64_t t, const elbo::models::StepReport& r) const;
  // After step t: its terms into metrics.csv; checkpoint, pictures and summary every --checkpoint-every.
  void record(int64_t t, const elbo::models::StepReport& r);
  // Saves the checkpoint and summary after `done` steps and says how to resume (Ctrl-C).
  void interrupt(int64_t done);
  // The final checkpoint, pictures and summary.
  void finish();

 private:
  struct Interval {
    std::vector<std::string> names;
    std::vector<double> sums;
    int64_t count = 0;
    void add(const elbo::models::StepReport& r);
    std::vector<double> means() const;
    void clear();
    elbo::json::Value to_json() const;
    void from_json(const elbo::json::Value& v);
  };
  void save(int64_t done, bool interrupted);
  void write_summary(int64_t step, bool finished);

  RunOptions o_;
  elbo::Device device_ = elbo::Device::cpu;
  std::unique_ptr<elbo::data::Dataset> dataset_;
  std::unique_ptr<elbo::models::Model> model_;
  std::unique_ptr<elbo::data::BatchIterator> batches_;
  std::unique_ptr<elbo::io::CsvLog> log_;
  elbo::Tensor originals_, x_;
  std::string checkpoint_, metrics_, summary_;
  int64_t start_ = 0, interval_first_ = 0;
  double seconds_before_ = 0, started_ = 0, interval_start_ = 0;
  Interval interval_;
  bool finished_ = false;
  std::vector<double> last_row_;  // means of the last logged interval
};

// "loss 123.40  recon 100.10  kl 23.30  | KL/latent 5.1 4.2 0.0": a step's terms for the progress line.
std::string progress_details(const elbo::models::StepReport& r);

// What a directory holds, from its config.txt and summary.json.
struct RunStatus {
  bool exists = false;    // the directory exists and is not empty
  bool is_run = false;    // it holds an elbo run (config.txt written by elbo train)
  bool finished = false;  // summary.json says "finished": true
  int64_t steps_done = 0;     // per summary.json (0 without one)
  bool has_checkpoint = false;
};
RunStatus run_status(const std::string& dir);

}  // namespace cli
