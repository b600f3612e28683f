// A small command-line flag parser for the elbo subcommands. Each flag is bound to a variable
// that holds its default; `--help` lists the flags with their defaults, and every error names
// the flag and what is wrong with it.
//
//   int64_t steps = 300;
//   cli::Args args("elbo demo", "what the command does");
//   args.flag("--steps", steps, "training steps");
//   if (!args.parse(argc, argv)) return args.exit_code();
//
// Flags take the form "--name value" or "--name=value".
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

namespace cli {

class Args {
 public:
  Args(std::string command, std::string summary) : command_(std::move(command)), summary_(std::move(summary)) {}

  void flag(const std::string& name, int64_t& value, const std::string& help) {
    flags_.push_back({name, help, std::to_string(value), &value});
  }
  void flag(const std::string& name, double& value, const std::string& help) {
    char text[64];
    std::snprintf(text, sizeof text, "%g", value);
    flags_.push_back({name, help, text, &value});
  }
  void flag(const std::string& name, std::string& value, const std::string& help) {
    flags_.push_back({name, help, value, &value});
  }

  // Parses argv[1..argc) (argv[0] is the subcommand). Returns false after --help (exit code 0)
  // or an error (message printed to stderr, exit code 2).
  bool parse(int argc, char** argv) {
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
      Flag* f = find(arg);
      if (!f) return fail("unknown option '" + arg + "' (see --help)");
      if (!inline_value) {
        if (i + 1 >= argc) return fail(arg + " needs a value");
        value = argv[++i];
      }
      if (!assign(*f, value)) return false;
    }
    return true;
  }
  int exit_code() const { return exit_code_; }

 private:
  struct Flag {
    std::string name, help, fallback;
    std::variant<int64_t*, double*, std::string*> target;
  };

  Flag* find(const std::string& name) {
    for (Flag& f : flags_)
      if (f.name == name) return &f;
    return nullptr;
  }
  bool fail(const std::string& message) {
    std::fprintf(stderr, "%s: %s\n", command_.c_str(), message.c_str());
    exit_code_ = 2;
    return false;
  }
  bool assign(Flag& f, const std::string& value) {
    char* end = nullptr;
    if (auto* p = std::get_if<int64_t*>(&f.target)) {
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end) return fail(f.name + " expects an integer, got '" + value + "'");
      **p = v;
    } else if (auto* q = std::get_if<double*>(&f.target)) {
      double v = std::strtod(value.c_str(), &end);
      if (value.empty() || *end) return fail(f.name + " expects a number, got '" + value + "'");
      **q = v;
    } else {
      *std::get<std::string*>(f.target) = value;
    }
    return true;
  }
  void print_help() const {
    std::printf("usage: %s [options]\n\n%s\n\noptions:\n", command_.c_str(), summary_.c_str());
    for (const Flag& f : flags_)
      std::printf("  %-18s %s (default %s)\n", f.name.c_str(), f.help.c_str(), f.fallback.c_str());
  }

  std::string command_, summary_;
  std::vector<Flag> flags_;
  int exit_code_ = 0;
};

}  // namespace cli
