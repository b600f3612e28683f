// elbo: the command line. Subcommands live one per file in this directory.
#include <cstdio>
#include <cstring>
#include <string>

#include "elbo/error.hpp"
#include "metrics.hpp"

int run_demo(int argc, char** argv);  // demo.cpp
int run_info(int argc, char** argv);  // info.cpp

namespace {
void print_usage() {
  std::printf(
      "usage: elbo <command> [options]\n"
      "\n"
      "commands:\n"
      "  demo     train a small convolutional VAE on generated images and print the loss falling\n"
      "  metrics  disentanglement metrics of codes (.npy) or of a synthetic code (self-check)\n"
      "  info     information analysis of an ensemble's posteriors: NMI/VI, OPTICS hotspots, HTML report\n"
      "\n"
      "Run 'elbo <command> --help' for the options of a command.\n");
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  try {
    if (command == "demo") return run_demo(argc - 1, argv + 1);
    if (command == "metrics") return run_metrics(argc - 1, argv + 1);
    if (command == "info") return run_info(argc - 1, argv + 1);
  } catch (const elbo::Error& e) {
    std::fprintf(stderr, "elbo %s: %s\n", command.c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr, "elbo: unknown command '%s'\n\n", command.c_str());
  print_usage();
  return 2;
}
