// Does OpenBLAS's result depend on how a matrix product is cut into blocks?
//
// elbo computes every product C = op(A)·op(B) as a few blocks of rows or columns of C, one
// single-threaded OpenBLAS call each, with a partition fixed by the shapes alone
// (src/ops/cpu/gemm.cpp), so that the bits of C never depend on the number of threads. This
// program shows why the partition must be fixed: for each Linear layer of the benchmark networks
// and the 1200-unit networks of disentanglement_lib, it computes the forward product
// (y = x·Wᵀ), the input gradient (dx = dy·W) and the weight gradient (dW = dyᵀ·x) once as a whole
// and once cut into 2 and 4 blocks along the longer side of C, and counts the elements of C whose
// bits differ. With OpenBLAS 0.3.21 on an AMD Zen 5 (docs/BENCHMARKS.md): none with the AVX-512
// kernels (SkylakeX, Cooperlake), thousands with the AVX2 kernels (Haswell), whose edge kernels
// sum in another order. Run it under OPENBLAS_CORETYPE=HASWELL (or another family) to compare.
//
//   gemm_partition [--blocks 2,4]
#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "elbo/ops/backend.hpp"
#include "elbo/rng.hpp"

using namespace elbo;

namespace {

struct Product {
  const char* what;
  bool trans_a, trans_b;
  int m, n, k;
};

// Standard normal values, draws 0.. of (seed 0, stream).
std::vector<float> values(int64_t count, uint64_t stream) {
  std::vector<float> v(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) v[static_cast<size_t>(i)] = static_cast<float>(philox_normal(0, stream, i));
  return v;
}

// C (row-major, m×n) = op(A)·op(B), as one call (blocks = 1) or cut into `blocks` blocks along the
// longer side of C, each a multiple of 16 wide and at least 64, as src/ops/cpu/gemm.cpp cuts it.
void product(const Product& p, const std::vector<float>& a, const std::vector<float>& b, std::vector<float>& c,
             int blocks) {
  const int lda = p.trans_a ? p.m : p.k, ldb = p.trans_b ? p.k : p.n;
  const auto ta = p.trans_a ? CblasTrans : CblasNoTrans, tb = p.trans_b ? CblasTrans : CblasNoTrans;
  const bool rows = p.m > p.n;
  const int side = rows ? p.m : p.n;
  const int block = blocks == 1 ? side : std::max(64, ((side + blocks - 1) / blocks + 15) / 16 * 16);
  for (int s0 = 0; s0 < side; s0 += block) {
    const int sb = std::min(block, side - s0);
    if (rows)
      cblas_sgemm(CblasRowMajor, ta, tb, sb, p.n, p.k, 1.0f, a.data() + (p.trans_a ? s0 : s0 * lda), lda, b.data(),
                  ldb, 0.0f, c.data() + s0 * p.n, p.n);
    else
      cblas_sgemm(CblasRowMajor, ta, tb, p.m, sb, p.k, 1.0f, a.data(), lda, b.data() + (p.trans_b ? s0 * ldb : s0),
                  ldb, 0.0f, c.data() + s0, p.n);
  }
}

int64_t differing(const std::vector<float>& x, const std::vector<float>& y) {
  int64_t count = 0;
  for (size_t i = 0; i < x.size(); ++i) count += std::memcmp(&x[i], &y[i], sizeof(float)) != 0;
  return count;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> block_counts = {2, 4};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(
          "usage: gemm_partition [--blocks LIST]\n\n"
          "Counts the elements of each Linear layer's products whose bits change when the product is cut\n"
          "into blocks (one OpenBLAS call each) instead of computed in one call. Set OPENBLAS_CORETYPE\n"
          "to test another OpenBLAS kernel family.\n\n"
          "  --blocks LIST   comma list of block counts to compare with one call (default 2,4)\n");
      return 0;
    }
    if (arg == "--blocks" && i + 1 < argc) {
      block_counts.clear();
      for (const char* s = argv[++i]; *s;) {
        char* end = nullptr;
        long v = std::strtol(s, &end, 10);
        if (end == s || v < 1 || v > 64) {
          std::fprintf(stderr, "gemm_partition: --blocks wants a comma list of counts 1-64, got '%s'\n", argv[i]);
          return 2;
        }
        block_counts.push_back(static_cast<int>(v));
        s = *end == ',' ? end + 1 : end;
      }
      continue;
    }
    std::fprintf(stderr, "gemm_partition: unknown option '%s' (see --help)\n", argv[i]);
    return 2;
  }
  backend(Device::cpu);  // chooses OpenBLAS's kernels as elbo does
  openblas_set_num_threads(1);
  std::printf("# OpenBLAS kernels: %s\n", cpu_blas_kernels());
  std::printf("%-28s %-12s %7s %10s", "layer (batch in->out)", "product", "blocks", "elements");
  std::printf(" %10s\n", "differing");

  struct Layer {
    const char* network;
    int batch, in, out;
  };
  const Layer layers[] = {{"mlp", 128, 784, 512},      {"mlp", 128, 512, 256},   {"mlp", 128, 256, 20},
                          {"mlp", 128, 10, 256},       {"mlp", 128, 256, 512},   {"mlp", 128, 512, 784},
                          {"conv64", 64, 1024, 256},   {"conv64", 64, 256, 20},  {"conv64", 64, 10, 256},
                          {"conv64", 64, 256, 1024},   {"dlib_fc", 64, 4096, 1200}, {"dlib_fc", 64, 1200, 1200},
                          {"dlib_fc", 64, 1200, 20},   {"dlib_fc", 64, 10, 1200}, {"dlib_fc", 64, 1200, 4096}};
  int64_t total_differing = 0;
  uint64_t stream = 0;
  for (const Layer& l : layers) {
    const Product products[] = {{"y = x.W^T", false, true, l.batch, l.out, l.in},
                                {"dx = dy.W", false, false, l.batch, l.in, l.out},
                                {"dW = dy^T.x", true, false, l.out, l.in, l.batch}};
    for (const Product& p : products) {
      std::vector<float> a = values(int64_t{p.m} * p.k, stream++), b = values(int64_t{p.k} * p.n, stream++);
      std::vector<float> whole(static_cast<size_t>(p.m) * p.n), cut(whole.size());
      product(p, a, b, whole, 1);
      for (int blocks : block_counts) {
        product(p, a, b, cut, blocks);
        const int64_t d = differing(whole, cut);
        total_differing += d;
        char name[64];
        std::snprintf(name, sizeof name, "%s %d %d->%d", l.network, l.batch, l.in, l.out);
        std::printf("%-28s %-12s %7d %10zu %10lld\n", name, p.what, blocks, whole.size(), static_cast<long long>(d));
      }
    }
  }
  std::printf("RESULT kernels %s differing %lld\n", cpu_blas_kernels(), static_cast<long long>(total_differing));
  return 0;
}
