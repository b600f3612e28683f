// The inputs that the ensemble commands (`elbo info`, `elbo spaces`) share: one posteriors directory
// per model (info/ensemble_analysis.hpp: read_member_posteriors), given as
//   --posteriors DIR [DIR ...]   the directories themselves
//   --posteriors-list FILE       a file listing them, one per line
//   --ensemble DIR               an ensemble directory (elbo ensemble): its finished members' runs
#pragma once
#include <string>
#include <vector>

namespace cli {

// Takes `--posteriors DIR [DIR ...]` (every following argument up to the next option) and
// `--posteriors=DIR` out of argv: the directories are appended to `dirs` and every other argument to
// `rest` (argv[0] first), for Args::parse. Returns false after printing "<command>: --posteriors needs
// at least one directory" when it has none.
bool take_posteriors_flag(int argc, char** argv, const char* command, std::vector<std::string>& dirs,
                          std::vector<char*>& rest);

// The directories listed in a file, one per line; blank lines and text after '#' are ignored. Errors
// name --posteriors-list and the file.
std::vector<std::string> read_posteriors_list(const std::string& path);

// The run directories of the finished members of an ensemble directory (its ensemble.json). Errors
// name the file.
std::vector<std::string> finished_ensemble_runs(const std::string& root);

// Runs another subcommand of this program (encode, traverse) with the given words (the first one is
// its name).
int run_subcommand(int (*command)(int, char**), std::vector<std::string> words);

}  // namespace cli
