// elbo train as a function, for the train and ensemble subcommands.
#pragma once
#include <cstdint>
#include <string>

#include "run.hpp"

namespace cli {

struct TrainControl {
  bool resume = false;     // continue the run in --out from its checkpoint (start it when there is none)
  bool force = false;      // start over in a directory that holds a run, or write into a foreign one
  int64_t stop_after = 0;  // behave as if Ctrl-C came once this many steps are done (0: never); for tests
};

// Trains the run `options` describe into options.out (run.hpp has the directory's layout).
// Returns 0 when the run is finished, 130 when it was interrupted (Ctrl-C, SIGTERM or stop_after)
// after saving a checkpoint. Throws elbo::Error on bad options, files or a diverging loss.
int train_run(RunOptions options, const TrainControl& control);

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
