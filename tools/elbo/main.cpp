// elbo: the command line. Subcommands live one per file in this directory.
#include <cstdio>
#include <cstring>
#include <string>

int run_demo(int argc, char** argv);    // demo.cpp
int run_fusion(int argc, char** argv);  // fusion.cpp

namespace {
void print_usage() {
  std::printf(
      "usage: elbo <command> [options]\n"
      "\n"
      "commands:\n"
      "  demo     train a small convolutional VAE on generated images and print the loss falling\n"
      "  fusion   fuse 1-D VAEs trained on the unit circle into one 2-D representation (Murphy et al. 4.4)\n"
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
  if (command == "demo") return run_demo(argc - 1, argv + 1);
  if (command == "fusion") return run_fusion(argc - 1, argv + 1);
  std::fprintf(stderr, "elbo: unknown command '%s'\n\n", command.c_str());
  print_usage();
  return 2;
}
