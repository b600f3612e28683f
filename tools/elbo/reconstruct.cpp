// elbo reconstruct: images of a run's data (a fixed sample) above their reconstructions, the
// decoder's mean at the posterior mean (models/visualize.hpp: reconstruct).
#include <cstdio>

#include "elbo/models/visualize.hpp"
#include "inspect.hpp"

int run_reconstruct(int argc, char** argv) {
  using namespace cli;
  using namespace elbo;
  InspectOptions inspect;
  int64_t count = 16, columns = 8, sample_seed = 0;
  std::string split = "train", out;
  Args args("elbo reconstruct", "Draw images of a run's data above their reconstructions.");
  bind_inspect_options(args, inspect);
  args.flag("--count", count, "images");
  args.flag("--columns", columns, "images per row");
  args.flag("--sample-seed", sample_seed, "seed of the fixed sample of images");
  args.flag("--split", split, "fashion-mnist, mnist: the split the images come from", {"train", "test"});
  args.flag("--out", out, "the PNG to write (default RUN/reconstruct.png)");
  if (!args.parse(argc, argv)) return args.exit_code();
  ELBO_CHECK(count >= 1, "--count must be at least 1, got ", count);
  ELBO_CHECK(columns >= 1, "--columns must be at least 1, got ", columns);
  ELBO_CHECK(sample_seed >= 0, "--sample-seed must be at least 0, got ", sample_seed);

  LoadedRun run = open_run(inspect);
  std::unique_ptr<data::Dataset> test;
  const data::Dataset* dataset = &split_dataset(run, split, test);
  if (out.empty()) out = run_file(run.dir, "reconstruct.png");
  std::vector<int64_t> ids = fixed_sample(dataset->size(), count, static_cast<uint64_t>(sample_seed));
  Tensor x = dataset->images(ids).to(run.model->config.device);
  write_reconstruction_grid(out, x, models::reconstruct(run.model->vae, x), columns);
  std::printf("wrote %s (%zu images of %s above their reconstructions)\n", out.c_str(), ids.size(),
              dataset->name().c_str());
  return 0;
}
