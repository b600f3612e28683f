// All-pairs generalised NMI and VI benchmark (elbo/info/nmi_vi.hpp): M one-dimensional Gaussian
// channels on N fingerprint points, from posteriors to the M×M matrices, timed per stage.
//
// Posteriors are random, as in the numpy peer (../shared/bench/numpy_fingerprint_bench.py):
// μ ~ N(0, 1) and ln σ² ~ N(−2, 1), drawn from Philox. Stages:
//   information   Î(U;X) of every channel from its fingerprint (channel_information)
//   all_pairs     Î(U;X), Î(U;U′), Î(U,V;X), I(U;V), NMI and VI for all M² pairs (channel_similarity)
// --check K compares K random pairs of the batched result with the per-pair definition in f64.
// --device cuda runs the all-pairs stage on a GPU (a CUDA build), as the program of tensor operations
// of channel_similarity_by_tensor_ops; --tensor-ops runs that program on the CPU instead of the fused
// CPU path. The information stage always runs on the CPU.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/context.hpp"
#include "elbo/info/fingerprint.hpp"
#include "elbo/info/mutual_information.hpp"
#include "elbo/info/nmi_vi.hpp"
#include "elbo/ops.hpp"
#include "progress.hpp"  // cli::seconds_now

using namespace elbo;

namespace {

}  // namespace

int main(int argc, char** argv) {
  int64_t points = 1000, channels = 500, threads = 0, repeats = 1, check = 0;
  std::string dtype = "f32", device_name = "cpu";
  bool tensor_ops = false;
  cli::Args args("bench_info",
                 "Times all-pairs generalised NMI/VI from Gaussian posteriors. Prints one line per stage and\n"
                 "RESULT info N <N> M <M> threads <t> seconds <total of the all-pairs stage>");
  args.flag("--points", points, "fingerprint points N");
  args.flag("--channels", channels, "channels M");
  args.flag("--threads", threads, "threads (0: OMP_NUM_THREADS or all cores)");
  args.flag("--repeats", repeats, "timed repeats of each stage (the fastest is reported)");
  args.flag("--dtype", dtype, "arithmetic of the estimators: f32 or f64");
  args.flag("--check", check, "compare this many random pairs with the per-pair definition");
  args.flag("--device", device_name, "where the all-pairs stage runs (cuda needs -DELBO_CUDA=ON)", {"cpu", "cuda"});
  args.flag("--tensor-ops", tensor_ops, "run the all-pairs stage as the GPU's tensor-op program, on the CPU too");
  if (!args.parse(argc, argv)) return args.exit_code();
  if (dtype != "f32" && dtype != "f64") {
    std::fprintf(stderr, "bench_info: --dtype must be f32 or f64, got '%s'\n", dtype.c_str());
    return 2;
  }
  const Device device = device_name == "cuda" ? Device::cuda : Device::cpu;
  if (!device_available(device)) {
    std::fprintf(stderr, "bench_info: --device %s is not available (build with -DELBO_CUDA=ON, on a machine with a GPU)\n",
                 device_name.c_str());
    return 2;
  }
  if (threads > 0) set_num_threads(static_cast<int>(threads));
  std::printf("# elbo bench_info: N=%lld M=%lld dtype=%s device=%s%s threads=%d, OpenBLAS kernels: %s\n",
              static_cast<long long>(points), static_cast<long long>(channels), dtype.c_str(), device_name.c_str(),
              tensor_ops || device != Device::cpu ? " (tensor ops)" : "", num_threads(), cpu_blas_kernels());

  DType dt = dtype == "f64" ? DType::f64 : DType::f32;
  Tensor means = normal(Shape{points, channels}, 1234, 0, 0, dt);
  Tensor logvars = add(normal(Shape{points, channels}, 1234, 1, 0, dt), -2.0);
  info::ChannelSet set = info::gaussian_channels(means, logvars);

  auto best_of = [&](auto&& stage) {
    double best = 1e300;
    for (int64_t r = 0; r < std::max<int64_t>(1, repeats); ++r) {
      double t0 = cli::seconds_now();
      stage();
      best = std::min(best, cli::seconds_now() - t0);
    }
    return best;
  };
  Tensor information;
  double t_info = best_of([&] { information = info::channel_information(set); });
  std::printf("information  %8.3f s   (M·N² = %.3g coefficients)\n", t_info,
              static_cast<double>(channels) * static_cast<double>(points) * static_cast<double>(points));
  info::SimilarityMatrices sim;
  double t_pairs = best_of([&] {
    sim = tensor_ops ? info::channel_similarity_by_tensor_ops(set, device) : info::channel_similarity(set, device);
  });
  double macs = 0.5 * static_cast<double>(channels) * static_cast<double>(channels + 1) * static_cast<double>(points) *
                static_cast<double>(points);
  std::printf("all_pairs    %8.3f s   (%.3g multiply-adds in the Gram matrices: %.1f GFLOP/s)\n", t_pairs, macs,
              2 * macs / t_pairs / 1e9);

  // A checksum to compare runs, and the diagonal properties NMI = 1, VI = 0.
  std::vector<double> nmi = sim.nmi.to_vector(), vi = sim.vi.to_vector(), inf = sim.information_a.to_vector();
  double offdiag = 0, worst_diag = 0;
  for (int64_t u = 0; u < channels; ++u)
    for (int64_t v = 0; v < channels; ++v) {
      size_t k = static_cast<size_t>(u * channels + v);
      if (u == v) worst_diag = std::max({worst_diag, std::abs(nmi[k] - 1), std::abs(vi[k])});
      else offdiag += nmi[k];
    }
  std::printf("mean I(U;X) %.6f bits, mean off-diagonal NMI %.9f, worst |NMI−1|, |VI| on the diagonal %.2e\n",
              [&] { double s = 0; for (double x : inf) s += x; return s / static_cast<double>(inf.size()); }(),
              offdiag / static_cast<double>(channels * (channels - 1)), worst_diag);

  if (check > 0) {
    double worst_nmi = 0, worst_vi = 0;
    for (int64_t k = 0; k < check; ++k) {
      int64_t u = static_cast<int64_t>(philox_uniform(99, 0, static_cast<uint64_t>(2 * k)) * static_cast<double>(channels));
      int64_t v = static_cast<int64_t>(philox_uniform(99, 0, static_cast<uint64_t>(2 * k + 1)) * static_cast<double>(channels));
      info::PairSimilarity p = info::pair_similarity(info::coefficient_matrix(set, u), info::coefficient_matrix(set, v));
      size_t at = static_cast<size_t>(u * channels + v);
      worst_nmi = std::max(worst_nmi, std::abs(p.nmi - nmi[at]));
      worst_vi = std::max(worst_vi, std::abs(p.vi - vi[at]));
    }
    std::printf("check: %lld pairs against the per-pair f64 definition: max |ΔNMI| %.2e, max |ΔVI| %.2e bits\n",
                static_cast<long long>(check), worst_nmi, worst_vi);
  }
  std::printf("RESULT info N %lld M %lld threads %d seconds %.3f information_seconds %.3f device %s\n",
              static_cast<long long>(points), static_cast<long long>(channels), num_threads(), t_pairs, t_info,
              device_name.c_str());
  return 0;
}
