// Batched matrix products through cuBLAS (cublasSgemmStridedBatched / cublasDgemmStridedBatched),
// one call for the whole batch.
//
// elbo's matrices are row-major; cuBLAS's are column-major. A row-major M×N matrix with row
// stride ld is, read column-major, its transpose (N×M, leading dimension ld). So
//     C = op(A)·op(B)  (row-major)   ⇔   Cᵀ = op(B)ᵀ·op(A)ᵀ  (column-major)
// and the call passes B before A, with N and M exchanged; each operand keeps its own transpose
// flag, since the column-major reading of a stored operand already supplies the transpose.
//
// Determinism: the handle (backend.cu) uses no atomics and a fixed workspace on one stream, the
// conditions under which cuBLAS documents bit-wise reproducible results on a given GPU model and
// cuBLAS version. f32 products are computed in f32 (no TF32).
#include <climits>

#include "ops/cuda/cuda_kernels.cuh"

namespace elbo::cuda {

namespace {

int as_int(int64_t v, const char* what) {
  ELBO_CHECK(v >= 0 && v <= INT_MAX, "gemm: ", what, " = ", v, " is beyond cuBLAS's 32-bit sizes");
  return static_cast<int>(v);
}

cublasStatus_t gemm_strided_batched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                    int k, const float* alpha, const float* A, int lda, long long sa, const float* B,
                                    int ldb, long long sb, const float* beta, float* C, int ldc, long long sc,
                                    int batch) {
  return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}

cublasStatus_t gemm_strided_batched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                    int k, const double* alpha, const double* A, int lda, long long sa,
                                    const double* B, int ldb, long long sb, const double* beta, double* C, int ldc,
                                    long long sc, int batch) {
  return cublasDgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}

// C[i] = beta · C[i] on an M×N row-major block (K = 0: the product is empty). BLAS semantics:
// beta = 0 writes zeros without reading C.
template <class T>
__global__ void scale_kernel(int64_t M, int64_t N, int64_t ldc, int64_t stride_c, int64_t batch, T beta, T* C) {
  const int64_t n = batch * M * N;
  for (int64_t e = first_index(); e < n; e += grid_step()) {
    const int64_t i = e / (M * N), r = e / N % M, c = e % N;
    T* p = C + i * stride_c + r * ldc + c;
    *p = beta == T(0) ? T(0) : beta * *p;
  }
}

}  // namespace

template <class T>
void gemm_strided(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                  int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta, T* C, int64_t ldc,
                  int64_t stride_c, int64_t batch) {
  if (M == 0 || N == 0 || batch == 0) return;
  if (K == 0) {
    const int64_t n = batch * M * N;
    scale_kernel<T><<<blocks_for(n), kThreads, 0, stream()>>>(M, N, ldc, stride_c, batch, beta, C);
    ELBO_CUDA_LAUNCHED("scale_kernel");
    return;
  }
  // The column-major call: Cᵀ (N×M) = op(B)ᵀ (N×K) · op(A)ᵀ (K×M).
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  ELBO_CUBLAS_CHECK(gemm_strided_batched(blas_handle(), op_b, op_a, as_int(N, "N"), as_int(M, "M"), as_int(K, "K"),
                                         &alpha, B, as_int(ldb, "ldb"), stride_b, A, as_int(lda, "lda"), stride_a,
                                         &beta, C, as_int(ldc, "ldc"), stride_c, as_int(batch, "batch")));
}

template void gemm_strided<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t,
                                  const float*, int64_t, int64_t, float, float*, int64_t, int64_t, int64_t);
template void gemm_strided<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, int64_t,
                                   const double*, int64_t, int64_t, double, double*, int64_t, int64_t, int64_t);

void gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b, double beta,
          const Tensor& c) {
  check_on_device("gemm", a);
  check_on_device("gemm", b);
  check_on_device("gemm", c);
  ELBO_CHECK(a.ndim() == 3 && b.ndim() == 3 && c.ndim() == 3, "gemm: needs 3-D operands, got ", a.str(), ", ",
             b.str(), ", ", c.str());
  ELBO_CHECK(a.dtype() == c.dtype() && b.dtype() == c.dtype(), "gemm: operands differ in dtype: ", a.str(), ", ",
             b.str(), ", ", c.str());
  ELBO_CHECK(a.strides()[2] == 1 && b.strides()[2] == 1 && c.strides()[2] == 1,
             "gemm: the last axis of every operand must be contiguous");
  const int64_t batch = c.size(0), M = c.size(1), N = c.size(2);
  const int64_t K = trans_a ? a.size(1) : a.size(2);
  ELBO_CHECK((trans_a ? a.size(2) : a.size(1)) == M && (trans_b ? b.size(1) : b.size(2)) == N &&
                 (trans_b ? b.size(2) : b.size(1)) == K,
             "gemm: shapes ", a.shape().str(), (trans_a ? "ᵀ" : ""), " · ", b.shape().str(), (trans_b ? "ᵀ" : ""),
             " do not give ", c.shape().str());
  ELBO_CHECK(a.size(0) == 1 || a.size(0) == batch, "gemm: batch of ", a.str(), " does not match ", c.str());
  ELBO_CHECK(b.size(0) == 1 || b.size(0) == batch, "gemm: batch of ", b.str(), " does not match ", c.str());
  // Leading dimensions: the row stride, except that a single row may carry any stride, and BLAS
  // wants at least the row length (and at least 1).
  auto leading = [](const Tensor& t) {
    const int64_t ld = t.size(1) == 1 ? t.size(2) : t.strides()[1];
    return std::max<int64_t>({ld, t.size(2), 1});
  };
  const int64_t lda = leading(a), ldb = leading(b), ldc = leading(c);
  ELBO_CHECK(a.size(1) <= 1 || a.strides()[1] >= a.size(2), "gemm: rows of ", a.str(), " overlap (row stride ",
             a.strides()[1], ")");
  ELBO_CHECK(b.size(1) <= 1 || b.strides()[1] >= b.size(2), "gemm: rows of ", b.str(), " overlap (row stride ",
             b.strides()[1], ")");
  ELBO_CHECK(c.size(1) <= 1 || c.strides()[1] >= c.size(2), "gemm: rows of ", c.str(), " overlap (row stride ",
             c.strides()[1], ")");
  const int64_t sa = a.size(0) == 1 ? 0 : a.strides()[0];
  const int64_t sb = b.size(0) == 1 ? 0 : b.strides()[0];
  const int64_t sc = c.strides()[0];
  dispatch_floating(c.dtype(), "gemm", [&](auto zero) {
    using T = decltype(zero);
    gemm_strided<T>(trans_a, trans_b, M, N, K, static_cast<T>(alpha), static_cast<const T*>(a.raw_data()), lda, sa,
                    static_cast<const T*>(b.raw_data()), ldb, sb, static_cast<T>(beta), static_cast<T*>(c.raw_data()),
                    ldc, sc, batch);
  });
}

}  // namespace elbo::cuda
