// Matrix products (ops/linalg.hpp): values against a triple loop, batch broadcasting, strided
// operands, f64 gradient checks, and error messages.
#include <doctest/doctest.h>

#include <cmath>

#include "gradcheck.hpp"

using namespace elbo;
using elbo::testing::check_gradients;
using elbo::testing::random_f64;

namespace {

// C[b..., i, j] = Σ_k A[b..., i, k] · B[b..., k, j] by loops, with the leading axes of A and B
// broadcast (numpy rules) to out_batch.
std::vector<double> reference_matmul(const Tensor& a, const Tensor& b, const Shape& out_batch) {
  std::vector<double> av = a.to_vector(), bv = b.to_vector();
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  // The offset of operand t's matrix for batch index `flat` of out_batch.
  auto matrix_offset = [&](const Tensor& t, int64_t flat) {
    int t_batch = t.ndim() - 2, lead = out_batch.ndim - t_batch;
    int64_t offset = 0, stride = t.size(-2) * t.size(-1);
    for (int i = out_batch.ndim - 1; i >= 0; --i) {
      int64_t idx = flat % out_batch[i];
      flat /= out_batch[i];
      if (i >= lead) {
        int64_t extent = t.size(i - lead);
        offset += (extent == 1 ? 0 : idx) * stride;
        stride *= extent;
      }
    }
    return offset;
  };
  std::vector<double> c;
  for (int64_t batch = 0; batch < out_batch.numel(); ++batch) {
    int64_t ao = matrix_offset(a, batch), bo = matrix_offset(b, batch);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k)
          s += av[static_cast<size_t>(ao + i * K + k)] * bv[static_cast<size_t>(bo + k * N + j)];
        c.push_back(s);
      }
  }
  return c;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i)
    CHECK_MESSAGE(std::abs(got[i] - want[i]) <= tol, "element " << i << ": " << got[i] << " vs " << want[i]);
}

// Values against the loops, then a gradient check with respect to both operands.
void check_matmul(const Shape& a_shape, const Shape& b_shape, const Shape& out_shape, uint64_t seed) {
  Tensor a = random_f64(a_shape, seed), b = random_f64(b_shape, seed + 1);
  Tensor c = matmul(a, b);
  CHECK(c.shape() == out_shape);
  Shape batch = out_shape;
  batch.ndim -= 2;
  check_close(c.to_vector(), reference_matmul(a, b, batch), 1e-14);
  check_gradients("matmul " + a_shape.str() + " · " + b_shape.str(),
                  [](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); }, {a, b});
}

}  // namespace

TEST_CASE("matmul: a hand-computed 2-D product, f32 and f64") {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor a = from_values(Shape{2, 3}, {1, 2, 3, 4, 5, 6}, dt);
    Tensor b = from_values(Shape{3, 2}, {7, 8, 9, 10, 11, 12}, dt);
    // [1 2 3; 4 5 6]·[7 8; 9 10; 11 12] = [58 64; 139 154]
    CHECK(matmul(a, b).to_vector() == std::vector<double>{58, 64, 139, 154});
    CHECK(matmul(a, b).dtype() == dt);
  }
}

TEST_CASE("matmul: 2-D, batched, broadcast batches, single rows and columns") {
  check_matmul(Shape{3, 4}, Shape{4, 5}, Shape{3, 5}, 1);
  check_matmul(Shape{2, 3, 4}, Shape{2, 4, 5}, Shape{2, 3, 5}, 3);
  check_matmul(Shape{2, 3, 4}, Shape{4, 5}, Shape{2, 3, 5}, 5);  // [B, M, K]·[K, N]
  check_matmul(Shape{3, 4}, Shape{2, 4, 5}, Shape{2, 3, 5}, 7);  // [M, K]·[B, K, N]
  check_matmul(Shape{1, 3, 4}, Shape{2, 4, 5}, Shape{2, 3, 5}, 9);
  check_matmul(Shape{2, 1, 3, 4}, Shape{3, 4, 2}, Shape{2, 3, 3, 2}, 11);  // 4-D batch broadcasting
  check_matmul(Shape{1, 4}, Shape{4, 5}, Shape{1, 5}, 13);                 // M = 1
  check_matmul(Shape{3, 4}, Shape{4, 1}, Shape{3, 1}, 15);                 // N = 1
  check_matmul(Shape{1, 4}, Shape{4, 1}, Shape{1, 1}, 17);                 // a dot product
  check_matmul(Shape{2, 1, 4}, Shape{4, 1}, Shape{2, 1, 1}, 19);
  check_matmul(Shape{3, 1}, Shape{1, 2}, Shape{3, 2}, 21);  // K = 1: an outer product
}

TEST_CASE("matmul: strided operands (transposed, sliced, expanded)") {
  Tensor a = random_f64(Shape{4, 3}, 30), b = random_f64(Shape{5, 4}, 31);
  // aᵀ·bᵀ from transposed views.
  Tensor at = transpose(a, 0, 1), bt = transpose(b, 0, 1);
  check_close(matmul(at, bt).to_vector(), reference_matmul(contiguous(at), contiguous(bt), Shape{}), 1e-14);
  // A column slice (row stride 4, row length 2) and a batched permuted operand.
  Tensor cols = slice(b, 1, 1, 3);
  check_close(matmul(cols, slice(a, 0, 0, 2)).to_vector(),
              reference_matmul(contiguous(cols), contiguous(slice(a, 0, 0, 2)), Shape{}), 1e-14);
  Tensor p = permute(random_f64(Shape{3, 2, 4}, 32), {1, 0, 2});  // [2, 3, 4], batch stride 4
  check_close(matmul(p, bt).to_vector(), reference_matmul(contiguous(p), contiguous(bt), Shape{2}), 1e-14);

  check_gradients("matmul of transposed views",
                  [](const std::vector<Tensor>& in) { return matmul(transpose(in[0], 0, 1), in[1]); },
                  {random_f64(Shape{4, 3}, 34), random_f64(Shape{4, 2}, 35)});
  check_gradients("matmul of permuted batched views",
                  [](const std::vector<Tensor>& in) {
                    return matmul(permute(in[0], {1, 0, 2}), transpose(in[1], -1, -2));
                  },
                  {random_f64(Shape{3, 2, 4}, 36), random_f64(Shape{2, 5, 4}, 37)});
}

TEST_CASE("matmul: operands expanded along their rows (zero row stride)") {
  Tensor row = random_f64(Shape{1, 4}, 60), b = random_f64(Shape{4, 5}, 61);
  Tensor rows = expand(row, Shape{3, 4});
  check_close(matmul(rows, b).to_vector(), reference_matmul(contiguous(rows), b, Shape{}), 1e-14);
  Tensor column = random_f64(Shape{4, 1}, 62);
  Tensor columns = expand(column, Shape{4, 5});  // row stride 1, column stride 0
  check_close(matmul(rows, columns).to_vector(), reference_matmul(contiguous(rows), contiguous(columns), Shape{}),
              1e-14);
  check_gradients("matmul of expanded operands",
                  [](const std::vector<Tensor>& in) {
                    return matmul(expand(in[0], Shape{3, 4}), expand(in[1], Shape{4, 2}));
                  },
                  {random_f64(Shape{1, 4}, 63), random_f64(Shape{4, 1}, 64)});
}

TEST_CASE("linear: values with and without bias, gradient checks") {
  Tensor x = from_values(Shape{2, 3}, {1, 0, -1, 2, 1, 0}, DType::f64);
  Tensor w = from_values(Shape{2, 3}, {1, 2, 3, -1, 0, 1}, DType::f64);  // [out = 2, in = 3]
  Tensor b = from_values(Shape{2}, {0.5, -0.5}, DType::f64);
  // x·Wᵀ = [1·1 + 0·2 − 1·3, −1 + 0 − 1; 2 + 2 + 0, −2 + 0 + 0] = [−2 −2; 4 −2]
  CHECK(linear(x, w, Tensor()).to_vector() == std::vector<double>{-2, -2, 4, -2});
  CHECK(linear(x, w, b).to_vector() == std::vector<double>{-1.5, -2.5, 4.5, -2.5});
  // linear(x, W, b) = matmul(x, Wᵀ) + b.
  Tensor xr = random_f64(Shape{5, 4}, 40), wr = random_f64(Shape{3, 4}, 41), br = random_f64(Shape{3}, 42);
  check_close(linear(xr, wr, br).to_vector(), add(matmul(xr, transpose(wr, 0, 1)), br).to_vector(), 1e-14);
  // Strided input and weight.
  Tensor xt = transpose(random_f64(Shape{4, 5}, 43), 0, 1), wt = transpose(random_f64(Shape{4, 3}, 44), 0, 1);
  check_close(linear(xt, wt, br).to_vector(), add(matmul(xt, transpose(wt, 0, 1)), br).to_vector(), 1e-14);

  check_gradients("linear with bias", [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); },
                  {random_f64(Shape{5, 4}, 44), random_f64(Shape{3, 4}, 45), random_f64(Shape{3}, 46)});
  check_gradients("linear without bias", [](const std::vector<Tensor>& in) { return linear(in[0], in[1], Tensor()); },
                  {random_f64(Shape{5, 4}, 47), random_f64(Shape{3, 4}, 48)});
  check_gradients(
      "linear of a transposed input and weight",
      [](const std::vector<Tensor>& in) { return linear(transpose(in[0], 0, 1), transpose(in[1], 0, 1), in[2]); },
      {random_f64(Shape{4, 5}, 49), random_f64(Shape{4, 3}, 50), random_f64(Shape{3}, 51)});
  check_gradients("linear with one row and one output",
                  [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); },
                  {random_f64(Shape{1, 4}, 52), random_f64(Shape{1, 4}, 53), random_f64(Shape{1}, 54)});
}

TEST_CASE("linear: K stacked layers give each layer's plain result bit for bit, gradient checks") {
  // y[k] = f(x[k]·W[k]ᵀ + b[k]) for K = 3 layers of 5 → 4, rows N = 6, in f32 (bits) and f64 (FD).
  const int64_t K = 3;
  for (FusedActivation f : {FusedActivation::none, FusedActivation::relu, FusedActivation::tanh}) {
    Tensor x = to_dtype(random_f64(Shape{K, 6, 5}, 70), DType::f32), w = to_dtype(random_f64(Shape{K, 4, 5}, 71), DType::f32);
    Tensor b = to_dtype(random_f64(Shape{K, 4}, 72), DType::f32), gy = to_dtype(random_f64(Shape{K, 6, 4}, 73), DType::f32);
    for (Tensor* t : {&x, &w, &b}) t->requires_grad_(true);
    Tensor y = linear(x, w, b, f);
    sum(mul(y, gy)).backward();
    for (int64_t k = 0; k < K; ++k) {
      Tensor xk = slice(x, 0, k, k + 1).detach().contiguous(), wk = slice(w, 0, k, k + 1).detach().contiguous();
      Tensor bk = slice(b, 0, k, k + 1).detach().contiguous();
      xk = reshape(xk, Shape{6, 5});
      wk = reshape(wk, Shape{4, 5});
      bk = reshape(bk, Shape{4});
      for (Tensor* t : {&xk, &wk, &bk}) t->requires_grad_(true);
      Tensor yk = linear(xk, wk, bk, f);
      sum(mul(yk, reshape(slice(gy, 0, k, k + 1), Shape{6, 4}))).backward();
      auto layer = [&](const Tensor& t) { return reshape(slice(t, 0, k, k + 1).contiguous(), Shape{-1}); };
      CHECK(testing::same_bytes(layer(y.detach()), reshape(yk.detach(), Shape{-1})));
      CHECK(testing::same_bytes(layer(x.grad()), reshape(xk.grad(), Shape{-1})));
      CHECK(testing::same_bytes(layer(w.grad()), reshape(wk.grad(), Shape{-1})));
      CHECK(testing::same_bytes(layer(b.grad()), reshape(bk.grad(), Shape{-1})));
    }
  }
  check_gradients("linear of stacked layers", [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); },
                  {random_f64(Shape{K, 5, 4}, 74), random_f64(Shape{K, 3, 4}, 75), random_f64(Shape{K, 3}, 76)});
  check_gradients("linear+tanh of stacked layers",
                  [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2], FusedActivation::tanh); },
                  {random_f64(Shape{K, 5, 4}, 77), random_f64(Shape{K, 3, 4}, 78), random_f64(Shape{K, 3}, 79)});
  check_gradients("linear of stacked layers without bias",
                  [](const std::vector<Tensor>& in) { return linear(in[0], in[1], Tensor(), FusedActivation::sigmoid); },
                  {random_f64(Shape{K, 5, 4}, 80), random_f64(Shape{K, 3, 4}, 81)});
  CHECK_THROWS_WITH_AS(linear(zeros(Shape{3, 5, 4}), zeros(Shape{2, 3, 4}), Tensor()),
                       doctest::Contains("[K, N, in] and [K, out, in]"), Error);
  CHECK_THROWS_WITH_AS(linear(zeros(Shape{3, 5, 4}), zeros(Shape{3, 3, 4}), zeros(Shape{3})),
                       doctest::Contains("linear: bias f32[3] cpu does not match"), Error);
}

TEST_CASE("matmul and linear: errors name the op and the shapes") {
  Tensor a = zeros(Shape{2, 3}), b = zeros(Shape{4, 5});
  CHECK_THROWS_WITH_AS(matmul(a, b), doctest::Contains("matmul: inner dimensions differ: [2, 3] · [4, 5]"), Error);
  CHECK_THROWS_WITH_AS(matmul(a, zeros(Shape{3})), doctest::Contains("matmul: needs operands of rank ≥ 2"), Error);
  CHECK_THROWS_WITH_AS(matmul(a, zeros(Shape{3, 2}, DType::f64)),
                       doctest::Contains("matmul: needs two f32 or two f64 operands"), Error);
  CHECK_THROWS_WITH_AS(matmul(zeros(Shape{2, 2, 3}), zeros(Shape{3, 3, 4})), doctest::Contains("matmul"), Error);
  CHECK_THROWS_WITH_AS(matmul(a, Tensor()), doctest::Contains("matmul: undefined operand"), Error);
  CHECK_THROWS_WITH_AS(linear(a, zeros(Shape{4, 2}), Tensor()),
                       doctest::Contains("linear: input f32[2, 3] cpu does not match weight f32[4, 2] cpu"), Error);
  CHECK_THROWS_WITH_AS(linear(a, zeros(Shape{4, 3}), zeros(Shape{3})),
                       doctest::Contains("linear: bias f32[3] cpu does not match weight f32[4, 3] cpu"), Error);
  CHECK_THROWS_WITH_AS(linear(a, zeros(Shape{4, 3}, DType::f64), Tensor()),
                       doctest::Contains("linear: input f32[2, 3] cpu and weight f64[4, 3] cpu differ"), Error);
  CHECK_THROWS_WITH_AS(linear(zeros(Shape{2, 1, 3}), zeros(Shape{4, 3}), Tensor()), doctest::Contains("linear: input"),
                       Error);
}
