// Batched matrix products through OpenBLAS (sgemm / dgemm), one call per batch index.
#include <cblas.h>
#include <omp.h>

#include <cstdlib>
#include <strings.h>

#include <cstring>
#include <type_traits>
#include <algorithm>

#include "ops/cpu/cpu_kernels.hpp"
#include "ops/cpu/parallel.hpp"

// OpenBLAS's own entry points for choosing its kernels (weak: absent from builds without
// DYNAMIC_ARCH, where there is nothing to choose).
extern "C" {
char* openblas_get_corename(void);
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
}

namespace elbo::cpu {

namespace {
// OpenBLAS chooses its kernels once, when it is loaded, from the CPU model. Debian 12's OpenBLAS
// (0.3.21) does not know CPUs newer than itself: on Intel Sapphire and Emerald Rapids it falls back
// to its generic SSE3 kernels ("Prescott"), on AMD Zen 4 and 5 to its AVX2 kernels ("Haswell"),
// although both run AVX-512: 1.8-4x slower than its AVX-512 kernels on the same machine. When the
// family it chose is older than the CPU's instruction set and the user did not choose with
// OPENBLAS_CORETYPE, this asks OpenBLAS to choose again, naming the newest family the CPU runs.
bool is_avx512_family(const char* core) {
  for (const char* name : {"SkylakeX", "Cooperlake", "SapphireRapids"})
    if (strcasecmp(core, name) == 0) return true;
  return false;
}

void choose_kernel_family() {
  if (std::getenv("OPENBLAS_CORETYPE") || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;
  const char* current = openblas_get_corename();
  const char* core = nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    if (!is_avx512_family(current)) core = __builtin_cpu_supports("avx512bf16") ? "COOPERLAKE" : "SKYLAKEX";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    if (strcasecmp(current, "Prescott") == 0) core = "HASWELL";
  }
  if (!core) return;  // OpenBLAS's own choice stands
  setenv("OPENBLAS_CORETYPE", core, 1);  // read by gotoblas_dynamic_init, then removed again
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");
}
}  // namespace

void choose_blas_kernels() {
  // OpenBLAS's set-up may reset OpenMP's thread count: keep the one elbo was given.
  const int threads = omp_get_max_threads();
  choose_kernel_family();
  // elbo runs every GEMM on one thread within its own fixed partition (gemm below).
  openblas_set_num_threads(1);
  omp_set_num_threads(threads);
}

const char* blas_kernels() { return openblas_get_corename(); }

void gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
          const Tensor& c) {
  ELBO_CHECK(a.ndim() == 3 && b.ndim() == 3 && c.ndim() == 3, "gemm: needs 3-D operands, got ", a.str(), ", ",
             b.str(), ", ", c.str());
  ELBO_CHECK(a.strides()[2] == 1 && b.strides()[2] == 1 && c.strides()[2] == 1,
             "gemm: the last axis of every operand must be contiguous");
  int64_t batch = c.size(0), M = c.size(1), N = c.size(2);
  int64_t K = trans_a ? a.size(1) : a.size(2);
  ELBO_CHECK((trans_a ? a.size(2) : a.size(1)) == M && (trans_b ? b.size(1) : b.size(0 + 2)) == N &&
                 (trans_b ? b.size(2) : b.size(1)) == K,
             "gemm: shapes ", a.shape().str(), (trans_a ? "ᵀ" : ""), " · ", b.shape().str(), (trans_b ? "ᵀ" : ""),
             " do not give ", c.shape().str());
  auto ta = trans_a ? CblasTrans : CblasNoTrans;
  auto tb = trans_b ? CblasTrans : CblasNoTrans;
  int64_t lda = a.strides()[1], ldb = b.strides()[1], ldc = c.strides()[1];
  // A row stride below the row length only happens for a single row (or column); BLAS wants ≥ it.
  if (a.size(1) == 1) lda = a.size(2);
  if (b.size(1) == 1) ldb = b.size(2);
  if (c.size(1) == 1) ldc = c.size(2);
  int64_t sa = a.size(0) == 1 ? 0 : a.strides()[0];
  int64_t sb = b.size(0) == 1 ? 0 : b.strides()[0];
  int64_t sc = c.strides()[0];
  ELBO_CHECK(a.size(0) == 1 || a.size(0) == batch, "gemm: batch of ", a.str(), " does not match ", c.str());
  ELBO_CHECK(b.size(0) == 1 || b.size(0) == batch, "gemm: batch of ", b.str(), " does not match ", c.str());
  // C is cut into a few blocks of rows or columns (along its longer side), fixed by the shapes
  // alone, and each block is one GEMM over the whole K on one thread (OpenBLAS itself is kept
  // single-threaded: choose_blas_kernels), the blocks shared among elbo's threads. Every element
  // of C is then computed by the same call with the same operands whatever the number of threads,
  // so its bits never change; left to its own threads, OpenBLAS splits some of these products
  // differently at 1 and 2 threads. Blocks are multiples of 16 and at least 64 wide.
  const bool split_rows = M > N;
  const int64_t side = split_rows ? M : N;
  const int64_t block = std::max<int64_t>(64, ((side + 3) / 4 + 15) / 16 * 16);
  const int64_t m_tiles = split_rows ? (M + block - 1) / block : 1, n_tiles = split_rows ? 1 : (N + block - 1) / block;
  const int64_t m_size = split_rows ? block : M, n_size = split_rows ? N : block;
  const int64_t tiles = batch * m_tiles * n_tiles;
  dispatch_floating(c.dtype(), "gemm", [&](auto zero) {
    using T = decltype(zero);
    const T* ap = a.data<T>();
    const T* bp = b.data<T>();
    T* cp = c.data<T>();
    const bool parallel = tiles > 1 && 2.0 * static_cast<double>(batch * M * N * K) >= 1e6;
    auto block_product = [&](int64_t t) {
      int64_t i = t / (m_tiles * n_tiles), m0 = (t / n_tiles) % m_tiles * m_size, n0 = t % n_tiles * n_size;
      int64_t mb = std::min(m_size, M - m0), nb = std::min(n_size, N - n0);
      // Rows m0.. of op(A) and columns n0.. of op(B), in row-major storage.
      const T* at = ap + i * sa + (trans_a ? m0 : m0 * lda);
      const T* bt = bp + i * sb + (trans_b ? n0 * ldb : n0);
      T* ct = cp + i * sc + m0 * ldc + n0;
      if constexpr (std::is_same_v<T, float>)
        cblas_sgemm(CblasRowMajor, ta, tb, mb, nb, K, static_cast<float>(alpha), at, lda, bt, ldb,
                    static_cast<float>(beta), ct, ldc);
      else
        cblas_dgemm(CblasRowMajor, ta, tb, mb, nb, K, alpha, at, lda, bt, ldb, beta, ct, ldc);
    };
    parallel_for(tiles, parallel, [&](int64_t first, int64_t last, int) {
      // Outside an active parallel region (one block, a product too small to share, or a loop run
      // by the calling thread alone) OpenBLAS's OpenMP build would split each call over
      // omp_get_max_threads() threads, and some kernel families (Haswell's) then round differently
      // at 1 and 2 threads. Keep it on this thread, and give the caller its thread count back.
      const int caller_threads = omp_in_parallel() ? 0 : omp_get_max_threads();
      if (caller_threads > 1) omp_set_num_threads(1);
      for (int64_t t = first; t < last; ++t) block_product(t);
      if (caller_threads > 1) omp_set_num_threads(caller_threads);
    });
  });
}

}  // namespace elbo::cpu
