// Training-step benchmark: forward, backward and Adam for the two benchmark networks
// (docs/BENCHMARKS.md), timed as the PyTorch peer script times them, so the figures compare.
//
//   (a) conv: the conv β-VAE for 64×64×1 images, batch 64      (models::Architecture::conv64)
//   (b) mlp:  the MLP VAE 784-512-256-2·10, batch 128           (models::Architecture::mlp784)
//
// Inputs are random binary images (a pool of 8 batches used in turn); loss = β-VAE with β = 4;
// Adam, lr 1e-4. After a warm-up of ≥ 5 steps and ≥ 2 s, which also sets the steps per window,
// it times several windows of about 2 s and reports the median rate.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "elbo/context.hpp"
#include "elbo/models/vae.hpp"
#include "elbo/ops.hpp"
#include "args.hpp"
#include "step_timing.hpp"

using namespace elbo;

namespace {

struct Options {
  int64_t threads = 0;
  std::string models = "conv,mlp";
  int64_t windows = 7;
  double window_seconds = 2.0, warmup_seconds = 2.0;
  double beta = 4.0, lr = 1e-4;
  int64_t latents = 10;
  double peak_per_core = 260.1;  // fp32 FMA peak of one core, measured with fma_peak.c (docs/BENCHMARKS.md)
};

// Forward multiply-accumulates per sample, counted layer by layer (conv: OH·OW·C_out·C_in·k²;
// transposed conv: H·W·C_in·C_out·k²; linear: in·out). Training ≈ 3 × forward FLOPs.
double forward_macs(models::Architecture a) {
  if (a == models::Architecture::conv64)
    return 524288 + 4194304 + 2097152 + 1048576 + 262144 + 5120 +  // encoder
           2560 + 262144 + 1048576 + 2097152 + 4194304 + 524288;   // decoder
  return 784 * 512 + 512 * 256 + 256 * 20 + 10 * 256 + 256 * 512 + 512 * 784;
}

void run(const Options& o, const std::string& name) {
  models::Architecture arch = name == "conv" ? models::Architecture::conv64 : models::Architecture::mlp784;
  int64_t batch = name == "conv" ? 64 : 128;
  nn::Init init{.seed = 1234};
  models::Vae model(init, arch, o.latents);
  nn::Optimizer opt = nn::adam(model.parameters(), o.lr);
  Shape image = name == "conv" ? Shape{batch, 1, 64, 64} : Shape{batch, 784};
  const std::vector<Tensor> pool = bench::random_binary_batches(image, 1235, 8);

  uint64_t step = 0;
  models::StepResult last;
  auto one_step = [&] {
    uint64_t k = step++;
    last = models::train_step(model, opt, pool[k % pool.size()], o.beta, 1, k);
  };
  const std::vector<double> rates = bench::time_step_windows(
      one_step, {.min_warmup_steps = 5, .warmup_seconds = o.warmup_seconds, .min_window_steps = 3,
                 .window_seconds = o.window_seconds, .windows = o.windows});
  ELBO_CHECK(std::isfinite(last.loss), "bench_train: the loss became ", last.loss);
  double median = rates[rates.size() / 2];
  double gflops = median * static_cast<double>(batch) * 3 * 2 * forward_macs(arch) / 1e9;
  int threads = num_threads();
  std::printf("%-4s train batch=%-4lld %8.2f steps/s (min %.2f max %.2f) %9.1f samples/s %7.2f ms/step %6.1f GFLOP/s "
              "(%.0f%% of %.0f GFLOP/s peak)\n",
              name.c_str(), static_cast<long long>(batch), median, rates.front(), rates.back(),
              median * static_cast<double>(batch), 1000.0 / median, gflops,
              100.0 * gflops / (o.peak_per_core * threads), o.peak_per_core * threads);
  std::printf("RESULT %s samples/s %.1f steps/s %.3f GFLOP/s %.1f threads %d\n", name.c_str(),
              median * static_cast<double>(batch), median, gflops, threads);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  cli::Args args("bench_train",
                 "Times training steps of the benchmark networks. Prints one line per model:\n"
                 "RESULT <model> samples/s <rate> steps/s <rate> GFLOP/s <rate> threads <n>");
  args.flag("--threads", o.threads, "threads (0: OMP_NUM_THREADS or all cores)");
  args.flag("--models", o.models, "comma list of conv, mlp (none: print the header only)");
  args.flag("--windows", o.windows, "timed windows, median reported");
  args.flag("--window-seconds", o.window_seconds, "length of one window");
  args.flag("--warmup-seconds", o.warmup_seconds, "warm-up");
  args.flag("--peak", o.peak_per_core, "fp32 peak of one core in GFLOP/s, for the %-of-peak column");
  if (!args.parse(argc, argv)) return args.exit_code();
  if (o.threads > 0) set_num_threads(static_cast<int>(o.threads));
  std::printf("# elbo bench_train: threads=%d, OpenBLAS kernels: %s\n", num_threads(), cpu_blas_kernels());
  for (const std::string& m : cli::split_commas(o.models)) {
    if (m == "none") break;  // print the header only
    if (m != "conv" && m != "mlp") {
      std::fprintf(stderr, "bench_train: unknown model '%s' (choose conv or mlp)\n", m.c_str());
      return 2;
    }
    run(o, m);
  }
  return 0;
}
