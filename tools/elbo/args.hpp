// The command line's option parser. Each option is bound to a variable that holds its default;
// `--help` lists the options with their defaults, and every error names the option (or the file
// and line) and what is wrong with it.
//
//   int64_t steps = 300;
//   cli::Args args("elbo demo", "what the command does");
//   args.flag("--steps", steps, "training steps");
//   if (!args.parse(argc, argv)) return args.exit_code();
//
// Options take the form "--name value" or "--name=value"; a switch (bool) takes no value.
//
// Config files. A command that calls `args.config_file()` also reads options from a file given as
// `--config FILE`, one per line, in the same names without the dashes:
//
//   # β-VAE on generated dSprites
//   objective = beta_vae
//   beta      = 4
//   resume    = true
//
// Blank lines and text after '#' are ignored. Options given on the command line win over the
// file, wherever they stand. `write_config` writes every option in this format, so a run directory's
// config.txt reproduces the run: `elbo train --config RUN/config.txt`.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace cli {

// The shortest decimal text that reads back as v ("4", "2.5", "0.001", "1e-05"): the defaults in
// --help and config.txt, and the member directory names of an ensemble.
inline std::string shortest_number(double v) {
  char text[64];
  for (int digits = 1; digits <= 17; ++digits) {  // 17 significant digits always read back
    std::snprintf(text, sizeof text, "%.*g", digits, v);
    if (std::strtod(text, nullptr) == v) break;
  }
  return text;
}

class Args {
 public:
  Args(std::string command, std::string summary) : command_(std::move(command)), summary_(std::move(summary)) {}

  void flag(const std::string& name, int64_t& value, const std::string& help) { add(name, help, &value); }
  void flag(const std::string& name, double& value, const std::string& help) { add(name, help, &value); }
  void flag(const std::string& name, bool& value, const std::string& help) { add(name, help, &value); }
  void flag(const std::string& name, std::string& value, const std::string& help,
            std::initializer_list<const char*> choices = {}) {
    add(name, help, &value);
    for (const char* c : choices) flags_.back().choices.push_back(c);
  }
  // Accept `--config FILE`.
  void config_file() { config_enabled_ = true; }

  // Parses argv[1..argc) (argv[0] is the subcommand). Returns false after --help (exit code 0)
  // or an error (message printed to stderr, exit code 2).
  bool parse(int argc, char** argv) {
    std::vector<std::pair<std::string, std::string>> given;  // (name, value) from the command line
    std::string config;
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i], value;
      if (arg == "--help" || arg == "-h") {
        print_help();
        exit_code_ = 0;
        return false;
      }
      bool inline_value = false;
      if (size_t eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        inline_value = true;
      }
      bool is_config = config_enabled_ && arg == "--config";
      Flag* f = is_config ? nullptr : find(arg);
      if (!is_config && !f) return fail(unknown(arg));
      if (!inline_value) {
        if (f && std::holds_alternative<bool*>(f->target)) {
          value = "true";
        } else {
          if (i + 1 >= argc) return fail(arg + " needs a value");
          value = argv[++i];
        }
      }
      if (is_config) config = value;
      else given.emplace_back(arg, value);
    }
    if (!config.empty() && !read_config(config)) return false;
    for (auto& [name, value] : given)
      if (!assign(*find(name), value, name)) return false;
    return true;
  }
  int exit_code() const { return exit_code_; }
  // The last error's message (without the command's name); empty when none.
  const std::string& error() const { return error_; }
  // Quiet: errors are kept in error() and not printed (for callers that report them themselves).
  void set_quiet(bool quiet) { quiet_ = quiet; }

  // Every option as "name = value" lines (the config-file format), in declaration order.
  std::string config_text() const {
    std::string text = "# " + command_ + "\n";
    for (const Flag& f : flags_) text += f.name.substr(2) + " = " + current(f) + "\n";
    return text;
  }

  // Reads options from a config file (format above). Errors name the file and line.
  bool read_config(const std::string& path) {
    std::ifstream in(path);
    if (!in) return fail("cannot read config file '" + path + "'");
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
      std::string text = trim(line);
      if (text.empty()) continue;
      std::string where = path + ":" + std::to_string(number);
      size_t eq = text.find('=');
      if (eq == std::string::npos) return fail(where + ": expected 'name = value', got '" + text + "'");
      std::string name = "--" + trim(text.substr(0, eq)), value = trim(text.substr(eq + 1));
      Flag* f = find(name);
      if (!f) return fail(where + ": " + unknown(name.substr(2)));
      if (!assign(*f, value, where + ": " + name.substr(2))) return false;
    }
    return true;
  }

 private:
  struct Flag {
    std::string name, help, fallback;
    std::variant<int64_t*, double*, bool*, std::string*> target;
    std::vector<std::string> choices;
  };

  template <class T> void add(const std::string& name, const std::string& help, T* value) {
    flags_.push_back({name, help, "", value, {}});
    flags_.back().fallback = current(flags_.back());
  }
  static std::string current(const Flag& f) {
    if (auto* p = std::get_if<int64_t*>(&f.target)) return std::to_string(**p);
    if (auto* q = std::get_if<double*>(&f.target)) return shortest_number(**q);
    if (auto* b = std::get_if<bool*>(&f.target)) return **b ? "true" : "false";
    return *std::get<std::string*>(f.target);
  }
  static std::string trim(const std::string& s) {
    size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
  }
  std::string unknown(const std::string& name) const {
    std::string message = "unknown option '" + name + "'";
    std::string bare = name.substr(name.find_first_not_of('-'));
    for (const Flag& f : flags_)  // suggest an option that differs by a prefix
      if (bare.size() >= 3 && f.name.find(bare.substr(0, 3)) == 2) return message + " (did you mean " + f.name + "?)";
    return message + " (see --help)";
  }
  Flag* find(const std::string& name) {
    for (Flag& f : flags_)
      if (f.name == name) return &f;
    return nullptr;
  }
  bool fail(const std::string& message) {
    error_ = message;
    if (!quiet_) std::fprintf(stderr, "%s: %s\n", command_.c_str(), message.c_str());
    exit_code_ = 2;
    return false;
  }
  bool assign(Flag& f, const std::string& value, const std::string& where) {
    char* end = nullptr;
    if (auto* p = std::get_if<int64_t*>(&f.target)) {
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end) return fail(where + " expects an integer, got '" + value + "'");
      **p = v;
    } else if (auto* q = std::get_if<double*>(&f.target)) {
      double v = std::strtod(value.c_str(), &end);
      if (value.empty() || *end || v != v) return fail(where + " expects a number, got '" + value + "'");
      **q = v;
    } else if (auto* b = std::get_if<bool*>(&f.target)) {
      if (value == "true" || value == "1" || value == "yes") **b = true;
      else if (value == "false" || value == "0" || value == "no") **b = false;
      else return fail(where + " expects true or false, got '" + value + "'");
    } else {
      if (!f.choices.empty()) {
        bool ok = false;
        std::string list;
        for (const std::string& c : f.choices) {
          ok = ok || c == value;
          list += (list.empty() ? "" : ", ") + c;
        }
        if (!ok) return fail(where + " must be one of " + list + ", got '" + value + "'");
      }
      *std::get<std::string*>(f.target) = value;
    }
    return true;
  }
  void print_help() const {
    std::printf("usage: %s [options]\n\n%s\n\noptions:\n", command_.c_str(), summary_.c_str());
    if (config_enabled_) std::printf("  %-22s read options from FILE (name = value per line)\n", "--config FILE");
    for (const Flag& f : flags_) {
      std::string name = f.name + (std::holds_alternative<bool*>(f.target) ? "" : " X");
      std::printf("  %-22s %s", name.c_str(), f.help.c_str());
      if (!f.choices.empty()) {
        std::printf(" (");
        for (size_t i = 0; i < f.choices.size(); ++i) std::printf("%s%s", i ? "|" : "", f.choices[i].c_str());
        std::printf(")");
      }
      std::printf(" [default %s]\n", f.fallback.empty() ? "none" : f.fallback.c_str());
    }
  }

  std::string command_, summary_;
  std::vector<Flag> flags_;
  bool config_enabled_ = false, quiet_ = false;
  int exit_code_ = 0;
  std::string error_;
};

// "a,,b" as {"a", "", "b"}: the parts of a comma-separated option value, as written ("" gives {""}).
inline std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return parts;
}

}  // namespace cli
