// Objective benchmark: one Model::step (forward, backward, Adam; FactorVAE also its
// discriminator's update) for each objective of the VAE family on the model zoo's setting,
// disentanglement_lib's conv network on 64×64×1 images, batch 64, 10 latents (docs/MODELS.md).
//
// Inputs are random binary images (a pool of 4 batches used in turn). After a warm-up of ≥ 3 steps
// and ≥ 1 s it times a few windows and reports the median rate, one line per objective:
//   RESULT <objective> steps/s <rate> ms/step <time> threads <n>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/context.hpp"
#include "elbo/models/model.hpp"
#include "elbo/ops.hpp"
#include "step_timing.hpp"

using namespace elbo;

namespace {

struct Options {
  int64_t threads = 0, batch = 64, latents = 10, image_size = 64, windows = 3;
  double window_seconds = 2.0, warmup_seconds = 1.0;
  std::string objectives = "vae,beta_vae,annealed_vae,beta_tcvae,factor_vae,dip_vae_i,dip_vae_ii";
  std::string architecture = "dlib_conv";
};

void run(const Options& o, const std::string& name) {
  models::ModelConfig config;
  config.vae = {.architecture = o.architecture, .latents = o.latents, .channels = 1, .image_size = o.image_size};
  config.objective = models::objective_defaults(models::parse_objective(name));
  config.seed = 1;
  models::Model model(config);
  const std::vector<Tensor> pool = bench::random_binary_batches(Shape{o.batch, 1, o.image_size, o.image_size}, 2, 4);
  uint64_t step = 0;
  double loss = 0;
  auto one_step = [&] {
    uint64_t t = step++;
    loss = model.step(pool[t % pool.size()], t).get("loss");
  };
  const std::vector<double> rates = bench::time_step_windows(
      one_step, {.min_warmup_steps = 3, .warmup_seconds = o.warmup_seconds, .min_window_steps = 2,
                 .window_seconds = o.window_seconds, .windows = o.windows});
  ELBO_CHECK(std::isfinite(loss), "bench_objectives: the loss of ", name, " became ", loss);
  double median = rates[rates.size() / 2];
  std::printf("RESULT %-12s steps/s %7.2f ms/step %8.2f threads %d\n", name.c_str(), median, 1000.0 / median,
              num_threads());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  cli::Args args("bench_objectives",
                 "Times one training step of each objective of the VAE family (models::Model::step).\n"
                 "Prints: RESULT <objective> steps/s <rate> ms/step <time> threads <n>");
  args.flag("--threads", o.threads, "threads (0: OMP_NUM_THREADS or all cores)");
  args.flag("--objectives", o.objectives, "comma list of objective names");
  args.flag("--architecture", o.architecture, "architecture name (models/architectures.hpp)");
  args.flag("--batch", o.batch, "images per step");
  args.flag("--latents", o.latents, "latent dimensions");
  args.flag("--image-size", o.image_size, "image side");
  args.flag("--windows", o.windows, "timed windows, median reported");
  args.flag("--window-seconds", o.window_seconds, "length of one window");
  args.flag("--warmup-seconds", o.warmup_seconds, "warm-up");
  if (!args.parse(argc, argv)) return args.exit_code();
  if (o.threads > 0) set_num_threads(static_cast<int>(o.threads));
  std::printf("# elbo bench_objectives: %s, %lldx%lld images, batch %lld, %lld latents, threads=%d\n",
              o.architecture.c_str(), static_cast<long long>(o.image_size), static_cast<long long>(o.image_size),
              static_cast<long long>(o.batch), static_cast<long long>(o.latents), num_threads());
  for (const std::string& name : cli::split_commas(o.objectives)) run(o, name);
  return 0;
}
