// What every subcommand shares: the options of a training run, the dataset and model they make,
// and the run directory that `elbo train` writes and the other subcommands read.
//
//   RunOptions options;                      // the defaults
//   cli::Args args("elbo train", "...");
//   bind_run_options(args, options);         // --dataset, --latents, --beta, ... (--help lists them)
//   if (!args.parse(argc, argv)) return args.exit_code();
//   resolve_run_options(options);            // the objective's defaults; range checks naming the flag
//   auto dataset = open_dataset(options);
//   models::Model model(model_config(options, dataset->image_shape()));
//
//   LoadedRun run = load_run("runs/beta4");  // options from config.txt, dataset, model with its weights
//
// A run directory (docs/CLI.md):
//   config.txt               the resolved options, one "name = value" per line: `elbo train --config
//                            RUN/config.txt` trains the same run again
//   checkpoint.safetensors   the VAE, FactorVAE's discriminator and both optimisers' states, with
//                            the step count in its metadata (save_model / load_model)
//   metrics.csv              one row per --log-every steps
//   summary.json             steps, seconds, final terms, KL per latent, β_norm; "finished": true at the end
//   samples.png, reconstructions.png
//
// Errors are thrown as elbo::Error with the flag or file they concern; main() prints them.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/data/batches.hpp"
#include "elbo/data/dataset.hpp"
#include "elbo/io/json.hpp"
#include "elbo/models/model.hpp"

namespace cli {

struct RunOptions {
  // data
  std::string dataset = "dsprites";  // dsprites | scenes3d | fashion-mnist | mnist | dsprites-file | images
  std::string data_dir;              // the IDX files' folder, the .npz file (or its folder), or the image folder
  std::string split = "train";       // fashion-mnist, mnist: the split trained on
  int64_t image_size = 64;           // images: side of the square the pictures are cropped and resized to
  int64_t channels = 3;              // images: 3 (RGB) or 1 (grey)
  // model
  std::string architecture = "auto";  // a name of models/architectures.hpp; auto: by image size
  int64_t latents = 10;
  std::string hidden = "512,256";     // mlp: hidden widths
  std::string likelihood = "bernoulli";
  std::string weight_init = "reference";  // reference: the architecture's own scheme
  // objective; a hyper-parameter left at −1 takes the objective's default (models/objective.hpp),
  // and stays −1 in config.txt when the objective does not use it
  std::string objective = "beta_vae";
  double beta = -1, gamma = -1, c_max = -1, lambda_od = -1, lambda_d = -1;
  int64_t iteration_threshold = -1;
  // training
  int64_t steps = 5000, batch = 64;
  double lr = 1e-4;
  int64_t seed = 0;
  int64_t checkpoint_every = 1000, log_every = 100;
  // machine and output
  int64_t threads = 0;
  std::string device = "cpu";
  std::string out = "runs/run";
};

// Binds every field above to its flag (--dataset, --data-dir, ..., --out).
void bind_run_options(Args& args, RunOptions& options);
// Fills in the objective's defaults and "auto" choices that need no data, checks every value;
// throws naming the flag. Idempotent.
void resolve_run_options(RunOptions& options);
// The architecture "auto" picks for images of this shape: dlib_conv when the side is a multiple of
// 16, fmnist_conv when a multiple of 4, else mlp.
std::string auto_architecture(const elbo::data::ImageShape& shape);

// config.txt: the options as "name = value" lines (Args's config format), with "# elbo train" first.
std::string run_config_text(const RunOptions& options);
// Reads a config.txt; errors name the file and line.
RunOptions read_run_config(const std::string& path);
// The option names whose values may differ between a run and its resumption (steps, threads,
// checkpoint-every, out); any other difference is refused.
bool option_may_change_on_resume(const std::string& name);

// The dataset the options name, ready to read; errors say which file is missing and how to get it.
std::unique_ptr<elbo::data::Dataset> open_dataset(const RunOptions& options);
// The held-out images: the "test" split of fashion-mnist and mnist, else the training data itself
// (generated data and files without a test split).
std::unique_ptr<elbo::data::Dataset> open_test_dataset(const RunOptions& options);
// How `elbo train` walks the training data: batches of --batch, shuffled per epoch by --seed, the
// last partial batch of an epoch dropped (data/batches.hpp). `elbo batches` writes the same order.
elbo::data::BatchOptions training_batch_options(const RunOptions& options);
// `count` distinct indices of a dataset of n images: the first count of a Fisher–Yates shuffle
// (data::shuffled_order with this seed, epoch 0); count 0 or ≥ n: all of 0 … n−1 in order.
std::vector<int64_t> fixed_sample(int64_t n, int64_t count, uint64_t seed);

// The model the options describe, for images of this shape (square).
elbo::models::ModelConfig model_config(const RunOptions& options, const elbo::data::ImageShape& shape);

// "cpu" or "cuda"; cuda fails with the reason when this build or machine has none.
elbo::Device parse_device(const std::string& name, const std::string& flag = "--device");
// Sets the thread count when threads > 0 (0 keeps OMP_NUM_THREADS or all cores).
void apply_threads(int64_t threads);

// The whole model in one checkpoint: the VAE (prefix ""), FactorVAE's discriminator ("discriminator")
// and, with optimizers, both Adam states (io/checkpoint.hpp). Returns the metadata.
void save_model(const std::string& path, elbo::models::Model& model, const elbo::json::Value& metadata);
elbo::json::Value load_model(const std::string& path, elbo::models::Model& model, bool with_optimizers);

// File names inside a run directory.
inline const char* kConfigFile = "config.txt";
inline const char* kCheckpointFile = "checkpoint.safetensors";
inline const char* kMetricsFile = "metrics.csv";
inline const char* kSummaryFile = "summary.json";
inline const char* kSamplesFile = "samples.png";
inline const char* kReconstructionsFile = "reconstructions.png";
std::string run_file(const std::string& dir, const char* name);

// A trained run, read back for inspection.
struct LoadedRun {
  std::string dir;
  RunOptions options;  // from config.txt, with out = dir
  std::unique_ptr<elbo::data::Dataset> dataset;
  std::unique_ptr<elbo::models::Model> model;  // weights from the checkpoint, optimisers untouched
  int64_t step = 0;                             // training steps the checkpoint holds
};
// Reads dir/config.txt and dir/checkpoint.safetensors and opens the dataset; builds the model on
// `device`. Errors name the missing or bad file.
LoadedRun load_run(const std::string& dir, const std::string& device = "cpu");

// Images [N, C, H, W] in rows of `cols`: originals above their reconstructions, pair of rows by pair
// of rows, labelled INPUT and OUTPUT.
void write_reconstruction_grid(const std::string& path, const elbo::Tensor& originals,
                               const elbo::Tensor& reconstructions, int64_t cols);

}  // namespace cli
