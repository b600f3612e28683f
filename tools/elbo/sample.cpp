// elbo sample: images decoded from the prior, σ(decoder(z)) with z ~ N(0, I)
// (models/visualize.hpp: prior_samples; the draws are keyed by --seed).
#include <cstdio>

#include "elbo/io/png.hpp"
#include "elbo/models/visualize.hpp"
#include "inspect.hpp"

int run_sample(int argc, char** argv) {
  using namespace cli;
  using namespace elbo;
  InspectOptions inspect;
  int64_t count = 64, columns = 8, seed = 0;
  std::string out;
  Args args("elbo sample", "Draw images decoded from codes sampled from the prior N(0, I).");
  bind_inspect_options(args, inspect);
  args.flag("--count", count, "images");
  args.flag("--columns", columns, "images per row");
  args.flag("--seed", seed, "seed of the codes");
  args.flag("--out", out, "the PNG to write (default RUN/sample.png)");
  if (!args.parse(argc, argv)) return args.exit_code();
  ELBO_CHECK(count >= 1, "--count must be at least 1, got ", count);
  ELBO_CHECK(columns >= 1, "--columns must be at least 1, got ", columns);
  ELBO_CHECK(seed >= 0, "--seed must be at least 0, got ", seed);

  LoadedRun run = open_run(inspect);
  if (out.empty()) out = run_file(run.dir, "sample.png");
  Tensor images = models::prior_samples(run.model->vae, count, static_cast<uint64_t>(seed));
  io::write_image_grid(out, images.to(Device::cpu).to(DType::f32), {.cols = columns, .margin = 2, .background = 1.0f, .row_labels = {}, .label_scale = 1});
  std::printf("wrote %s (%lld samples)\n", out.c_str(), static_cast<long long>(count));
  return 0;
}
