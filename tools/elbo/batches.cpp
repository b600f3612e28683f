// elbo batches: the dataset indices of every training step of a run, as an .npy file i64
// [steps, batch]: row t holds the indices of the images step t of `elbo train` trains on, in the
// order they sit in the batch (data/batches.hpp: a Philox Fisher–Yates shuffle per epoch keyed
// by --seed; training_batch_options in run.hpp). With them a program outside elbo replays a run
// on the same batches (tools/reference/torch_fmnist_beta_vae.py, docs/MODELS.md).
// It reads only the run's config.txt: no checkpoint is needed, so it works before training too.
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "elbo/io/npy.hpp"
#include "run.hpp"

int run_batches(int argc, char** argv) {
  using namespace cli;
  using namespace elbo;
  std::string dir, out;
  int64_t steps = -1;
  Args args("elbo batches",
            "Write the dataset indices of the batch of every training step of a run (i64 [steps, batch] .npy).");
  args.flag("--run", dir, "the run directory (its config.txt gives the dataset, --batch and --seed)");
  args.flag("--steps", steps, "steps written (-1: the run's --steps)");
  args.flag("--out", out, "the .npy to write (default RUN/batches.npy)");
  if (!args.parse(argc, argv)) return args.exit_code();
  ELBO_CHECK(!dir.empty(), "--run DIR is required (a directory elbo train wrote, or one with its config.txt)");
  const std::string config = run_file(dir, kConfigFile);
  ELBO_CHECK(std::filesystem::is_regular_file(config), "--run ", dir, ": not a run directory (it has no ",
             kConfigFile, ")");
  RunOptions o = read_run_config(config);
  o.out = dir;
  resolve_run_options(o);
  if (steps < 0) steps = o.steps;
  ELBO_CHECK(steps >= 1, "--steps must be at least 1 (the run in ", dir, " has --steps ", o.steps, ")");
  if (out.empty()) out = run_file(dir, "batches.npy");

  std::unique_ptr<data::Dataset> dataset = open_dataset(o);
  data::BatchOptions options = training_batch_options(o);
  options.prefetch = false;  // only the order is needed, no images
  data::BatchIterator batches(*dataset, options);
  // With drop_last every batch is full, so the rows have one length.
  std::vector<int64_t> ids = batches.batch_indices(0, steps);
  ELBO_CHECK(static_cast<int64_t>(ids.size()) == steps * o.batch, "elbo batches: ", ids.size(), " indices for ",
             steps, " steps of ", o.batch, " images");
  Tensor indices = empty(Shape{steps, o.batch}, DType::i64);
  std::memcpy(indices.data<int64_t>(), ids.data(), ids.size() * sizeof(int64_t));
  io::write_npy(out, indices);
  std::printf("wrote %s: the dataset indices of steps 0 to %lld of %s (%lld per batch, %lld steps per epoch)\n",
              out.c_str(), static_cast<long long>(steps - 1), dataset->name().c_str(),
              static_cast<long long>(o.batch), static_cast<long long>(batches.steps_per_epoch()));
  return 0;
}
