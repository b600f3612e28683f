// Batched matrix products through OpenBLAS (sgemm / dgemm), one call per batch index.
#include <cblas.h>

#include <cstdlib>
#include <cstring>

#include "ops/cpu/cpu_kernels.hpp"

// OpenBLAS's own entry points for choosing its kernels (weak: absent from builds without
// DYNAMIC_ARCH, where there is nothing to choose).
extern "C" {
char* openblas_get_corename(void);
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
}

namespace elbo::cpu {

// OpenBLAS chooses its kernels once, when it is loaded, from the CPU model. Debian 12's OpenBLAS
// (0.3.21) does not know CPUs newer than itself (Intel Sapphire and Emerald Rapids among them) and
// falls back to its generic SSE3 kernels ("Prescott"), 3-4x slower than its AVX-512 kernels on the
// same machine. When that happened and the user did not choose with OPENBLAS_CORETYPE, this asks
// OpenBLAS to choose again, naming the newest kernel family this CPU's instruction set runs.
void choose_blas_kernels() {
  if (std::getenv("OPENBLAS_CORETYPE") || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;
  if (std::strcmp(openblas_get_corename(), "Prescott") != 0) return;  // OpenBLAS knew this CPU
  const char* core = nullptr;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    core = __builtin_cpu_supports("avx512bf16") ? "COOPERLAKE" : "SKYLAKEX";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    core = "HASWELL";
  if (!core) return;
  setenv("OPENBLAS_CORETYPE", core, 1);  // read by gotoblas_dynamic_init, then removed again
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");
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
  if (c.dtype() == DType::f32) {
    const float* ap = a.data<float>();
    const float* bp = b.data<float>();
    float* cp = c.data<float>();
    for (int64_t i = 0; i < batch; ++i)
      cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, static_cast<float>(alpha), ap + i * sa, lda, bp + i * sb, ldb,
                  static_cast<float>(beta), cp + i * sc, ldc);
  } else {
    const double* ap = a.data<double>();
    const double* bp = b.data<double>();
    double* cp = c.data<double>();
    for (int64_t i = 0; i < batch; ++i)
      cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, alpha, ap + i * sa, lda, bp + i * sb, ldb, beta, cp + i * sc, ldc);
  }
}

}  // namespace elbo::cpu
