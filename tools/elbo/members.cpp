// The inputs the ensemble commands share; see members.hpp.
#include "members.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/json.hpp"

namespace cli {

namespace fs = std::filesystem;
using namespace elbo;

bool take_posteriors_flag(int argc, char** argv, const char* command, std::vector<std::string>& dirs,
                          std::vector<char*>& rest) {
  rest.push_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--posteriors") == 0) {
      const size_t before = dirs.size();
      while (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) dirs.push_back(argv[++i]);
      if (dirs.size() == before) {
        std::fprintf(stderr, "%s: --posteriors needs at least one directory\n", command);
        return false;
      }
    } else if (std::strncmp(argv[i], "--posteriors=", 13) == 0) {
      dirs.push_back(argv[i] + 13);
    } else {
      rest.push_back(argv[i]);
    }
  }
  return true;
}

std::vector<std::string> read_posteriors_list(const std::string& path) {
  std::ifstream in(path);
  ELBO_CHECK(in, "--posteriors-list ", path, ": cannot read the file (", io::errno_text(errno), ")");
  std::vector<std::string> dirs;
  for (std::string line; std::getline(in, line);) {
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    size_t a = line.find_first_not_of(" \t\r"), b = line.find_last_not_of(" \t\r");
    if (a != std::string::npos) dirs.push_back(line.substr(a, b - a + 1));
  }
  ELBO_CHECK(!dirs.empty(), "--posteriors-list ", path, ": lists no directory");
  return dirs;
}

std::vector<std::string> finished_ensemble_runs(const std::string& root) {
  const std::string index = (fs::path(root) / "ensemble.json").string();
  json::Value e = json::parse(io::read_text_file(index), index);
  std::vector<std::string> runs;
  const json::Value* members = e.find("members");
  ELBO_CHECK(members && members->is_array(), index, ": no \"members\" list; is this a directory elbo ensemble wrote?");
  for (const json::Value& m : members->items()) {
    const json::Value* status = m.find("status");
    if (status && status->as_string() == "finished") runs.push_back((fs::path(root) / m.at("dir").as_string()).string());
  }
  ELBO_CHECK(!runs.empty(), index, ": no finished member yet; run elbo ensemble (again) until its members finish");
  return runs;
}

int run_subcommand(int (*command)(int, char**), std::vector<std::string> words) {
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  return command(static_cast<int>(argv.size()), argv.data());
}

}  // namespace cli
