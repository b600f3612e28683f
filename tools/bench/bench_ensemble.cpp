// Ensemble-training benchmark: K members of one network trained one after the other (K calls of
// Model::step per step) against the same K members in one pass (models/one_pass_ensemble.hpp),
// on the CPU or the GPU. Each member trains the β-VAE loss (β = 4, Adam 1e-4) on its own batch
// of random binary images (a pool of 8 batches used in turn, member k starting at batch k).
//
// A step of either mode trains every member once, so the aggregate rate is
//     samples/s = steps/s · K · batch
// and the speed-up of one pass is the ratio of the two rates in the same process. K sequential
// runs of a peer (PyTorch eager) have the aggregate rate of one run.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/context.hpp"
#include "elbo/models/one_pass_ensemble.hpp"
#include "elbo/ops.hpp"
#include "step_timing.hpp"

using namespace elbo;

namespace {

struct Options {
  std::string architecture = "conv64";
  int64_t image_size = 64, batch = 64, members = 5, latents = 10;
  std::string modes = "sequential,one-pass";
  std::string device = "cpu";
  int64_t threads = 0, windows = 5;
  double window_seconds = 2.0, warmup_seconds = 2.0;
};

double run(const Options& o, const std::string& mode, Device device) {
  std::vector<std::unique_ptr<models::Model>> models;
  std::vector<models::Model*> members;
  for (int64_t k = 0; k < o.members; ++k) {
    models::ModelConfig c;
    c.vae = {.architecture = o.architecture, .latents = o.latents, .channels = 1, .image_size = o.image_size};
    c.objective = models::objective_defaults(models::ObjectiveKind::beta_vae);  // β = 4
    c.seed = static_cast<uint64_t>(k);
    c.device = device;
    models.push_back(std::make_unique<models::Model>(c));
    members.push_back(models.back().get());
  }
  std::vector<Tensor> pool = bench::random_binary_batches(Shape{o.batch, 1, o.image_size, o.image_size}, 1235, 8);
  for (Tensor& x : pool) x = x.to(device);
  models::OnePassEnsemble ensemble(members);
  uint64_t step = 0;
  double loss = 0;
  auto one_step = [&] {
    const uint64_t t = step++;
    std::vector<Tensor> xs;
    for (int64_t k = 0; k < o.members; ++k) xs.push_back(pool[(t + static_cast<uint64_t>(k)) % pool.size()]);
    if (mode == "one-pass") {
      loss = ensemble.step(xs, t)[0].get("loss");
    } else {
      for (int64_t k = 0; k < o.members; ++k) {
        double l = members[k]->step(xs[k], t).get("loss");
        if (k == 0) loss = l;
      }
    }
  };
  const std::vector<double> rates = bench::time_step_windows(
      one_step, {.min_warmup_steps = 3, .warmup_seconds = o.warmup_seconds, .min_window_steps = 2,
                 .window_seconds = o.window_seconds, .windows = o.windows});
  ELBO_CHECK(std::isfinite(loss), "bench_ensemble: the loss became ", loss);
  const double median = rates[rates.size() / 2], per_step = static_cast<double>(o.members * o.batch);
  std::printf("%-10s %s K=%-3lld batch=%-4lld %8.2f steps/s (min %.2f max %.2f) %10.1f samples/s (all members) "
              "%9.1f per member\n",
              mode.c_str(), o.architecture.c_str(), static_cast<long long>(o.members), static_cast<long long>(o.batch),
              median, rates.front(), rates.back(), median * per_step, median * static_cast<double>(o.batch));
  std::printf("RESULT %s %s members %lld batch %lld samples/s %.1f steps/s %.3f threads %d device %s\n", mode.c_str(),
              o.architecture.c_str(), static_cast<long long>(o.members), static_cast<long long>(o.batch),
              median * per_step, median, num_threads(), device_name(device));
  std::fflush(stdout);
  return median * per_step;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  cli::Args args("bench_ensemble",
                 "Times the training of K ensemble members one after the other and in one pass. Prints one line per "
                 "mode:\nRESULT <mode> <architecture> members <K> batch <n> samples/s <rate> steps/s <rate> threads <n> "
                 "device <d>\nthen the speed-up of one pass over sequential.");
  args.flag("--architecture", o.architecture, "the members' network (models/architectures.hpp)");
  args.flag("--image-size", o.image_size, "side of the square 1-channel images");
  args.flag("--batch", o.batch, "images per member per step");
  args.flag("--members", o.members, "ensemble members K");
  args.flag("--latents", o.latents, "latents per member");
  args.flag("--modes", o.modes, "comma list of sequential, one-pass");
  args.flag("--device", o.device, "where the members train (cuda needs -DELBO_CUDA=ON)", {"cpu", "cuda"});
  args.flag("--threads", o.threads, "threads (0: OMP_NUM_THREADS or all cores)");
  args.flag("--windows", o.windows, "timed windows, median reported");
  args.flag("--window-seconds", o.window_seconds, "length of one window");
  args.flag("--warmup-seconds", o.warmup_seconds, "warm-up");
  if (!args.parse(argc, argv)) return args.exit_code();
  ELBO_CHECK(o.members >= 1 && o.batch >= 1, "--members and --batch must be at least 1");
  const Device device = o.device == "cuda" ? Device::cuda : Device::cpu;
  if (!device_available(device)) {
    std::fprintf(stderr, "bench_ensemble: --device %s is not available (build with -DELBO_CUDA=ON, on a machine with a GPU)\n",
                 o.device.c_str());
    return 2;
  }
  if (o.threads > 0) set_num_threads(static_cast<int>(o.threads));
  std::printf("# elbo bench_ensemble: threads=%d, device %s, OpenBLAS kernels: %s\n", num_threads(),
              device_name(device), cpu_blas_kernels());
  double sequential = 0, one_pass = 0;
  for (const std::string& mode : cli::split_commas(o.modes)) {
    ELBO_CHECK(mode == "sequential" || mode == "one-pass", "--modes: unknown mode '", mode,
               "' (choose sequential or one-pass)");
    (mode == "sequential" ? sequential : one_pass) = run(o, mode, device);
  }
  if (sequential > 0 && one_pass > 0) std::printf("one pass / sequential: %.2fx\n", one_pass / sequential);
  return 0;
}
