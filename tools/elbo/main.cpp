// elbo: the command line. Subcommands live one per file in this directory; docs/CLI.md describes them.
// Every error reaches main() as an exception and is printed as one line naming the command, with
// exit code 1 (2 for a bad option, 130 for an interrupted training run).
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "elbo/error.hpp"
#include "metrics.hpp"  // run_metrics

int run_train(int argc, char** argv);        // train.cpp
int run_ensemble(int argc, char** argv);     // ensemble.cpp
int run_sweep(int argc, char** argv);        // sweep.cpp
int run_encode(int argc, char** argv);       // encode.cpp
int run_traverse(int argc, char** argv);     // traverse.cpp
int run_reconstruct(int argc, char** argv);  // reconstruct.cpp
int run_sample(int argc, char** argv);       // sample.cpp
int run_eval(int argc, char** argv);         // eval.cpp
int run_info(int argc, char** argv);         // info.cpp
int run_spaces(int argc, char** argv);       // spaces.cpp
int run_fusion(int argc, char** argv);       // fusion.cpp
int run_batches(int argc, char** argv);      // batches.cpp
int run_nvae(int argc, char** argv);         // nvae.cpp

namespace {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* summary;
};

const Command kCommands[] = {
    {"train", run_train, "train a VAE (β-VAE, FactorVAE, β-TCVAE, ...) and write a run directory"},
    {"ensemble", run_ensemble, "train one run per seed and hyper-parameter value (e.g. --betas 1,2,4 --seeds 5)"},
    {"sweep", run_sweep, "the beta sweep of Higgins et al.: train, score every metric, plot each against beta"},
    {"encode", run_encode, "posterior means and log-variances of a run's data, as .npy"},
    {"traverse", run_traverse, "the latent-traversal picture: one row per latent, ordered by KL"},
    {"reconstruct", run_reconstruct, "images above their reconstructions"},
    {"sample", run_sample, "images decoded from the prior"},
    {"eval", run_eval, "test ELBO, KL per latent and importance-weighted log-likelihood"},
    {"info", run_info, "information analysis of an ensemble's posteriors: NMI/VI, OPTICS hotspots, HTML report"},
    {"spaces", run_spaces, "whole latent spaces of an ensemble by Monte Carlo: I(U;X), NMI and VI with errors"},
    {"fusion", run_fusion, "ensemble fusion on the unit circle (Murphy et al. section 4.4): continuity vs ensemble size"},
    {"batches", run_batches, "the dataset indices of every training step's batch, as .npy (to replay a run elsewhere)"},
    {"nvae", run_nvae, "NVAE, the deep hierarchical VAE: nvae train | nvae eval | nvae sample"},
    {"metrics", run_metrics, "disentanglement metrics of codes (.npy) or of a synthetic code (self-check)"},
};

void print_usage() {
  std::printf("usage: elbo <command> [options]\n\ncommands:\n");
  for (const Command& c : kCommands) std::printf("  %-12s %s\n", c.name, c.summary);
  std::printf("\nRun 'elbo <command> --help' for the options of a command (docs/CLI.md has examples).\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  for (const Command& c : kCommands) {
    if (command != c.name) continue;
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const elbo::Error& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "elbo %s: %s\n", c.name, e.what());
    } catch (const std::exception& e) {  // the standard library's: file systems, memory
      std::fflush(stdout);
      std::fprintf(stderr, "elbo %s: %s\n", c.name, e.what());
    }
    return 1;
  }
  std::fprintf(stderr, "elbo: unknown command '%s'\n\n", command.c_str());
  print_usage();
  return 2;
}
