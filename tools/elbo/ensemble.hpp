// A grid of training runs, one per (value of a swept option, seed), each in its own run directory
// ROOT/<name><value>-seed<s>/ (ROOT/beta4-seed2/), with an index ROOT/ensemble.json:
//
//   {"sweep": "beta", "values": [1, 2, 4], "seeds": [0, 1],
//    "members": [{"dir": "beta1-seed0", "seed": 0, "beta": 1, "status": "finished"}, ...]}
//
// status: pending, finished, interrupted (resumable) or failed (with "error"). Training the same grid
// again skips finished members, resumes interrupted ones from their checkpoints and starts the rest;
// Ctrl-C stops the member in training (saving its checkpoint) and the grid. `elbo ensemble` trains a
// grid; `elbo sweep` trains one and scores its members.
//
//   Ensemble grid = open_ensemble(options, "beta", {1, 2, 4}, 3, false, "ensemble");
//   int code = train_ensemble(grid, control, "ensemble");   // 0, 130 (interrupted) or 1 (failed)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "run.hpp"
#include "train.hpp"

namespace cli {

struct EnsembleMember {
  std::string dir;  // inside the root: "beta4-seed2"
  int64_t seed = 0;
  double value = 0;                 // the swept option's value
  std::string status = "pending";  // pending, finished, interrupted, failed
  std::string error;                // why it failed
};

struct Ensemble {
  RunOptions options;  // what every member shares; options.out is the root directory
  std::string sweep;   // the swept option's flag name without dashes: beta, gamma, ...
  std::vector<double> values;
  int64_t seeds = 1;  // seeds options.seed, options.seed + 1, ...
  std::vector<EnsembleMember> members;  // value by value, seed by seed within a value
};

// "1,2,4.5" as numbers; an empty item or one that is not a number fails naming `flag`.
std::vector<double> parse_values(const std::string& text, const char* flag);
// Sets the option a sweep varies (beta, gamma, c-max, lambda-od, lambda-d, lr, latents) to `value`.
void set_swept(RunOptions& options, const std::string& sweep, double value);
// The complete options of one member: the shared ones, its value, its seed, out = ROOT/dir.
RunOptions member_options(const Ensemble& grid, const EnsembleMember& member);

// Lays out the grid in options.out: checks every member's options (an error names the member) and
// that the root is empty or holds an ensemble.json (or force), reads what each member directory
// holds (finished: a run finished at options.steps, unless force; interrupted: any other run) and
// writes the index. `command` ("ensemble", "sweep") names the caller in messages.
Ensemble open_ensemble(const RunOptions& options, const std::string& sweep, const std::vector<double>& values,
                       int64_t seeds, bool force, const std::string& command);
// Rewrites ROOT/ensemble.json from the members' states (atomically).
void write_ensemble_index(const Ensemble& grid);
// Trains every member that is not finished, one after another, printing "[i/n] DIR: training"
// (resuming, or "finished, skipped") before each; control.resume is decided per member, control.force
// and control.stop_after apply to all. A member that fails is recorded and the others go on.
// Returns 0 when every member is finished, 130 when one was interrupted (the rest are not started),
// 1 when some failed.
int train_ensemble(Ensemble& grid, const TrainControl& control, const std::string& command);

}  // namespace cli
