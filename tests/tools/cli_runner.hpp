// Runs the built `elbo` program (its path comes from CMake) as a user does, in a temporary directory.
#pragma once
#include <sys/wait.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "elbo/io/atomic_file.hpp"
#include "temp_dir.hpp"

namespace elbo::testing {

struct CliResult {
  int code = -1;       // the exit status
  std::string output;  // stdout and stderr together
};

// `elbo <args>` with the working directory `dir` (relative paths in args are inside it).
inline CliResult run_cli(const TempDir& dir, const std::string& args) {
  std::string log = dir.file("cli-output.txt");
  std::string command = "cd '" + dir.path().string() + "' && '" ELBO_CLI_PATH "' " + args + " > '" + log + "' 2>&1";
  int status = std::system(command.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.output = io::read_text_file(log);
  return r;
}

// A training run small enough for a test: an MLP on generated dSprites.
inline std::string tiny_run(const std::string& out, int steps) {
  return "train --dataset dsprites --architecture mlp --hidden 24 --latents 3 --batch 8 --lr 1e-3 --seed 5 "
         "--log-every 4 --checkpoint-every 6 --threads 1 --steps " + std::to_string(steps) + " --out " + out;
}

// The lines of a text, each without its last `drop_columns` comma-separated fields.
inline std::vector<std::string> csv_without_last_columns(const std::string& text, int drop_columns) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    for (int k = 0; k < drop_columns; ++k) line = line.substr(0, line.rfind(','));
    lines.push_back(line);
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return lines;
}

}  // namespace elbo::testing
