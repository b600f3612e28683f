// elbo demo: trains the convolutional β-VAE (the benchmark network) on generated images of
// squares and ellipses and prints the loss as it falls.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "args.hpp"
#include "elbo/context.hpp"
#include "elbo/data/toy_shapes.hpp"
#include "elbo/models/vae.hpp"

using namespace elbo;

int run_demo(int argc, char** argv) {
  int64_t steps = 300, batch = 64, latents = 10, seed = 1, threads = 0;
  double beta = 1.0, lr = 5e-4;
  cli::Args args("elbo demo", "Train a convolutional VAE on generated 64x64 images of squares and ellipses.");
  args.flag("--steps", steps, "training steps");
  args.flag("--batch", batch, "images per step");
  args.flag("--latents", latents, "latent dimensions");
  args.flag("--beta", beta, "weight of the KL term (beta-VAE)");
  args.flag("--lr", lr, "Adam learning rate");
  args.flag("--seed", seed, "seed of the weights, the data and the noise");
  args.flag("--threads", threads, "threads (0: OMP_NUM_THREADS or all cores)");
  if (!args.parse(argc, argv)) return args.exit_code();
  if (steps < 1 || batch < 1 || latents < 1 || lr <= 0 || threads < 0) {
    std::fprintf(stderr, "elbo demo: --steps, --batch, --latents and --lr must be positive, --threads ≥ 0\n");
    return 2;
  }
  if (threads > 0) set_num_threads(static_cast<int>(threads));

  nn::Init init{.seed = static_cast<uint64_t>(seed)};
  models::Vae model(init, models::Architecture::conv64, latents);
  nn::Optimizer optimizer = nn::adam(model.parameters(), lr);
  std::printf("elbo demo: conv β-VAE (%lld parameters), batch %lld, β = %g, Adam lr %g, %d threads\n",
              static_cast<long long>(model.num_parameters()), static_cast<long long>(batch), beta, lr, num_threads());
  std::printf("data: generated 64x64 binary images of one square or ellipse (a new batch every step)\n");

  auto clock = [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
  const double start = clock();
  const bool tty = isatty(fileno(stdout));
  double first_loss = 0, last_loss = 0;
  const int64_t report_every = steps < 20 ? 1 : steps / 15;
  for (int64_t step = 0; step < steps; ++step) {
    Tensor x = toy_shapes(batch, 64, static_cast<uint64_t>(seed), static_cast<uint64_t>(step * batch));
    models::StepResult r = models::train_step(model, optimizer, x, beta, static_cast<uint64_t>(seed),
                                              static_cast<uint64_t>(step));
    if (!std::isfinite(r.loss)) {
      std::fprintf(stderr, "\nelbo demo: the loss became %g at step %lld; try a smaller --lr\n", r.loss,
                   static_cast<long long>(step));
      return 1;
    }
    if (step == 0) first_loss = r.loss;
    last_loss = r.loss;
    double elapsed = clock() - start, rate = static_cast<double>(step + 1) / elapsed;
    double eta = static_cast<double>(steps - step - 1) / rate;
    bool report = (step + 1) % report_every == 0 || step + 1 == steps;
    if (tty || report) {
      std::printf("%sstep %5lld/%lld  %6.2f steps/s  ETA %4.0f s  loss %8.2f  (reconstruction %8.2f, KL %6.2f)%s",
                  tty ? "\r" : "", static_cast<long long>(step + 1), static_cast<long long>(steps), rate, eta, r.loss,
                  r.reconstruction, r.kl, report ? "\n" : "");
      std::fflush(stdout);
    }
  }
  double elapsed = clock() - start;
  std::printf("done: %lld steps in %.1f s; the loss fell from %.2f to %.2f\n", static_cast<long long>(steps),
              elapsed, first_loss, last_loss);
  return 0;
}
