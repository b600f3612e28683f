// Kernel benchmark: GFLOP/s of the CPU kernels behind the benchmark networks (docs/BENCHMARKS.md).
//
//   gemm         sgemm through the backend: a square product and the linear layers of
//                (a) the conv VAE at batch 64 and (b) the MLP VAE at batch 128 (y = x·Wᵀ)
//   conv         every convolution of network (a) at batch 64, f32: forward, input gradient,
//                weight gradient
//   conv_t       every transposed convolution of its decoder: forward, input gradient, weight gradient
//   depthwise    NVAE's depthwise convolutions (one channel per group) at batch 32
//   elementwise  relu, exp and a two-tensor add through the public ops, in GB/s
//
// Each figure is the median over several timed repetitions after a warm-up (with --best, the
// fastest repetition: on a machine shared with other work, the one least disturbed); a repetition
// runs the kernel as many times as fit in its share of --seconds.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "elbo/context.hpp"
#include "elbo/ops.hpp"
#include "elbo/ops/backend.hpp"
#include "progress.hpp"  // cli::seconds_now

using namespace elbo;

namespace {

struct Options {
  int threads = 0;
  double seconds = 0.5;  // per measurement, warm-up excluded
  int repetitions = 7;
  bool best = false;  // report the fastest repetition instead of the median
  std::string sections = "gemm,conv,conv_t,depthwise,elementwise";
  double peak_per_core = 260.1;  // fp32 FMA peak of one core, measured with fma_peak.c (docs/BENCHMARKS.md)
};

void usage() {
  std::printf(
      "usage: bench_kernels [options]\n"
      "  --threads N        threads (default: OMP_NUM_THREADS or all cores)\n"
      "  --seconds S        time per measurement after warm-up (default 0.5)\n"
      "  --repetitions R    timed repetitions, median reported (default 7)\n"
      "  --best             report the fastest repetition instead (a machine shared with other work)\n"
      "  --sections LIST    comma list of gemm, conv, conv_t, depthwise, elementwise (default all)\n"
      "  --peak GFLOPS      fp32 peak of one core, for the %%-of-peak column (default 260.1)\n");
}

// Median (or fastest) seconds per call of f: warm-up, then `repetitions` timed runs of a calibrated count.
double time_per_call(const Options& o, const std::function<void()>& f) {
  f();
  double t0 = cli::seconds_now();
  int64_t calls = 0;
  while (calls < 2 || cli::seconds_now() - t0 < 0.2 * o.seconds) {
    f();
    ++calls;
  }
  const double per_call = (cli::seconds_now() - t0) / static_cast<double>(calls);
  const int64_t count = std::max<int64_t>(1, static_cast<int64_t>(o.seconds / o.repetitions / per_call));
  std::vector<double> times;
  for (int r = 0; r < o.repetitions; ++r) {
    const double start = cli::seconds_now();
    for (int64_t i = 0; i < count; ++i) f();
    times.push_back((cli::seconds_now() - start) / static_cast<double>(count));
  }
  std::sort(times.begin(), times.end());
  return o.best ? times.front() : times[times.size() / 2];
}

// Whether `section` is one of the comma-separated names in --sections.
bool wants(const Options& o, const std::string& section) {
  size_t start = 0;
  while (start <= o.sections.size()) {
    const size_t end = std::min(o.sections.find(',', start), o.sections.size());
    if (o.sections.compare(start, end - start, section) == 0) return true;
    start = end + 1;
  }
  return false;
}

void print_rate(const Options& o, const char* name, double flops, double seconds) {
  const double gflops = flops / seconds * 1e-9;
  std::printf("  %-34s %9.3f ms %8.1f GFLOP/s %6.1f%%\n", name, seconds * 1e3, gflops,
              100.0 * gflops / (o.peak_per_core * num_threads()));
}

// ---- gemm ---------------------------------------------------------------------------------------

void bench_gemm(const Options& o) {
  struct Product {
    const char* name;
    int64_t M, N, K;  // y[M, N] = x[M, K] · W[N, K]ᵀ
  };
  const Product products[] = {
      {"square 512", 512, 512, 512},
      {"(a) enc fc 1024->256, batch 64", 64, 256, 1024},
      {"(a) enc fc 256->20, batch 64", 64, 20, 256},
      {"(a) dec fc 10->256, batch 64", 64, 256, 10},
      {"(a) dec fc 256->1024, batch 64", 64, 1024, 256},
      {"(b) 784->512, batch 128", 128, 512, 784},
      {"(b) 512->256, batch 128", 128, 256, 512},
      {"(b) 256->20, batch 128", 128, 20, 256},
      {"(b) 10->256, batch 128", 128, 256, 10},
      {"(b) 256->512, batch 128", 128, 512, 256},
      {"(b) 512->784, batch 128", 128, 784, 512},
  };
  std::printf("gemm (f32, y = x·Wᵀ)\n");
  Backend& cpu = backend(Device::cpu);
  for (const Product& p : products) {
    Tensor x = uniform(Shape{1, p.M, p.K}, 1, 1), w = uniform(Shape{1, p.N, p.K}, 1, 2);
    Tensor y = empty(Shape{1, p.M, p.N});
    const double t = time_per_call(o, [&] { cpu.gemm(false, true, 1.0, x, w, 0.0, y); });
    print_rate(o, p.name, 2.0 * p.M * p.N * p.K, t);
  }
}

// ---- convolutions -------------------------------------------------------------------------------

struct Layer {
  const char* name;
  int64_t c_in, c_out, size_in;  // of the layer as the network applies it
  bool transposed;
  bool input_gradient;  // false for the first layer: the images need no gradient
};

// Network (a): the four stride-2 4x4 convolutions of the encoder and the four transposed ones of the decoder.
const Layer kLayers[] = {
    {"conv1 1->32 64->32", 1, 32, 64, false, false},   {"conv2 32->32 32->16", 32, 32, 32, false, true},
    {"conv3 32->64 16->8", 32, 64, 16, false, true},   {"conv4 64->64 8->4", 64, 64, 8, false, true},
    {"convT1 64->64 4->8", 64, 64, 4, true, true},     {"convT2 64->32 8->16", 64, 32, 8, true, true},
    {"convT3 32->32 16->32", 32, 32, 16, true, true},  {"convT4 32->1 32->64", 32, 1, 32, true, true},
};

void bench_conv(const Options& o, bool transposed) {
  const int64_t batch = 64;
  std::printf("%s (f32, batch %lld, kernel 4, stride 2, padding 1)\n",
              transposed ? "conv_transpose2d" : "conv2d", static_cast<long long>(batch));
  Backend& cpu = backend(Device::cpu);
  for (const Layer& l : kLayers) {
    if (l.transposed != transposed) continue;
    // The geometry of the convolution x → y; a transposed layer is the adjoint of y's → x's.
    ConvGeometry g;
    g.N = batch;
    g.KH = g.KW = 4;
    g.stride_h = g.stride_w = 2;
    g.pad_h = g.pad_w = 1;
    const int64_t size_out = transposed ? l.size_in * 2 : l.size_in / 2;
    g.C_in = transposed ? l.c_out : l.c_in;
    g.C_out = transposed ? l.c_in : l.c_out;
    g.H = g.W = transposed ? size_out : l.size_in;
    g.OH = g.OW = transposed ? l.size_in : size_out;
    Tensor x = uniform(Shape{g.N, g.C_in, g.H, g.W}, 2, 1), w = uniform(Shape{g.C_out, g.C_in, 4, 4}, 2, 2);
    Tensor y = uniform(Shape{g.N, g.C_out, g.OH, g.OW}, 2, 3);
    Tensor gx = empty(x.shape()), gw = empty(w.shape()), gy = empty(y.shape());
    const double flops = 2.0 * g.N * g.C_out * g.OH * g.OW * g.C_in * g.KH * g.KW;
    std::printf(" %s\n", l.name);
    double total = 0;
    if (!transposed) {
      const double f = time_per_call(o, [&] { cpu.conv2d_forward(g, x, w, gy); });
      print_rate(o, "forward", flops, f);
      const double bi = l.input_gradient ? time_per_call(o, [&] { cpu.conv2d_backward_input(g, y, w, gx); }) : 0.0;
      if (l.input_gradient) print_rate(o, "input gradient", flops, bi);
      const double bw = time_per_call(o, [&] { cpu.conv2d_backward_weight(g, x, y, gw); });
      print_rate(o, "weight gradient", flops, bw);
      total = f + bi + bw;
      print_rate(o, l.input_gradient ? "forward + backward" : "forward + weight gradient",
                 flops * (l.input_gradient ? 3 : 2), total);
    } else {
      // Transposed layer: its input is y, its output x.
      const double f = time_per_call(o, [&] { cpu.conv2d_backward_input(g, y, w, gx); });
      print_rate(o, "forward", flops, f);
      const double bi = time_per_call(o, [&] { cpu.conv2d_forward(g, x, w, gy); });
      print_rate(o, "input gradient", flops, bi);
      const double bw = time_per_call(o, [&] { cpu.conv2d_backward_weight(g, x, y, gw); });
      print_rate(o, "weight gradient", flops, bw);
      total = f + bi + bw;
      print_rate(o, "forward + backward", 3 * flops, total);
    }
  }
}

// ---- depthwise convolutions --------------------------------------------------------------------

// NVAE's depthwise 5×5 convolutions (stride 1, padding 2, one channel per group) at batch 32: the
// decoder cells' expanded channels at three scales, and a 3×3 one.
void bench_depthwise(const Options& o) {
  struct Plane {
    const char* name;
    int64_t channels, size, kernel;
  };
  const Plane planes[] = {{"192 channels 8x8, 5x5", 192, 8, 5},
                          {"96 channels 16x16, 5x5", 96, 16, 5},
                          {"48 channels 32x32, 5x5", 48, 32, 5},
                          {"16 channels 32x32, 3x3", 16, 32, 3}};
  const int64_t batch = 32;
  std::printf("depthwise conv2d (f32, batch %lld, stride 1, same padding, groups = channels)\n",
              static_cast<long long>(batch));
  Backend& cpu = backend(Device::cpu);
  for (const Plane& p : planes) {
    ConvGeometry g;
    g.N = batch;
    g.C_in = g.C_out = g.groups = p.channels;
    g.H = g.W = g.OH = g.OW = p.size;
    g.KH = g.KW = p.kernel;
    g.pad_h = g.pad_w = p.kernel / 2;
    Tensor x = uniform(Shape{g.N, g.C_in, g.H, g.W}, 4, 1), w = uniform(Shape{g.C_out, 1, g.KH, g.KW}, 4, 2);
    Tensor y = uniform(Shape{g.N, g.C_out, g.OH, g.OW}, 4, 3);
    Tensor gx = empty(x.shape()), gw = empty(w.shape()), gy = empty(y.shape());
    const double flops = 2.0 * g.N * g.C_out * g.OH * g.OW * g.KH * g.KW;
    std::printf(" %s\n", p.name);
    const double f = time_per_call(o, [&] { cpu.conv2d_forward(g, x, w, gy); });
    print_rate(o, "forward", flops, f);
    const double bi = time_per_call(o, [&] { cpu.conv2d_backward_input(g, y, w, gx); });
    print_rate(o, "input gradient", flops, bi);
    const double bw = time_per_call(o, [&] { cpu.conv2d_backward_weight(g, x, y, gw); });
    print_rate(o, "weight gradient", flops, bw);
  }
}

// ---- elementwise --------------------------------------------------------------------------------

void bench_elementwise(const Options& o) {
  const Shape shape{64, 32, 32, 32};  // conv1's output in network (a)
  Tensor a = normal(shape, 3, 1), b = normal(shape, 3, 2);
  const double n = static_cast<double>(a.numel()) * sizeof(float);
  std::printf("elementwise (f32, %s, public ops; bytes read + written)\n", shape.str().c_str());
  struct Op {
    const char* name;
    double bytes;
    std::function<Tensor()> f;
  };
  const Op ops[] = {{"relu(x)", 2 * n, [&] { return relu(a); }},
                    {"exp(x)", 2 * n, [&] { return exp(a); }},
                    {"add(x, y)", 3 * n, [&] { return add(a, b); }}};
  for (const Op& op : ops) {
    const double t = time_per_call(o, [&] { op.f(); });
    std::printf("  %-34s %9.3f ms %8.1f GB/s\n", op.name, t * 1e3, op.bytes / t * 1e-9);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_kernels: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else if (a == "--threads") {
      o.threads = std::atoi(value());
    } else if (a == "--seconds") {
      o.seconds = std::atof(value());
    } else if (a == "--repetitions") {
      o.repetitions = std::max(1, std::atoi(value()));
    } else if (a == "--best") {
      o.best = true;
    } else if (a == "--sections") {
      o.sections = value();
    } else if (a == "--peak") {
      o.peak_per_core = std::atof(value());
    } else {
      std::fprintf(stderr, "bench_kernels: unknown option %s\n", a.c_str());
      usage();
      return 2;
    }
  }
  if (o.threads > 0) set_num_threads(o.threads);
  std::printf("bench_kernels: %d thread(s), %s of %d repetitions, %.2f s per measurement; %% of %.0f GFLOP/s "
              "per core\n",
              num_threads(), o.best ? "fastest" : "median", o.repetitions, o.seconds, o.peak_per_core);
  NoGradGuard no_grad;
  if (wants(o, "gemm")) bench_gemm(o);
  if (wants(o, "conv")) bench_conv(o, false);
  if (wants(o, "conv_t")) bench_conv(o, true);
  if (wants(o, "depthwise")) bench_depthwise(o);
  if (wants(o, "elementwise")) bench_elementwise(o);
  return 0;
}
