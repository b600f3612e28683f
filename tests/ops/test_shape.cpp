// The data-movement ops (ops/shape.hpp): forward values against hand-written indexing, view
// semantics (which results share storage), f64 gradient checks, and error messages.
#include <doctest/doctest.h>

#include <cmath>

#include "gradcheck.hpp"

using namespace elbo;
using elbo::testing::check_gradients;
using elbo::testing::random_f64;

namespace {

// 0, 1, 2, ... in row-major order.
Tensor iota(const Shape& shape, DType dtype = DType::f64) {
  std::vector<double> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  return from_vector(shape, v, dtype);
}

std::vector<double> values(std::initializer_list<double> v) { return std::vector<double>(v); }

}  // namespace

TEST_CASE("reshape: values, views of contiguous inputs and copies of the others") {
  Tensor x = iota(Shape{2, 3, 4});
  Tensor r = reshape(x, Shape{4, 6});
  CHECK(r.shape() == Shape{4, 6});
  CHECK(r.to_vector() == x.to_vector());
  CHECK(r.storage() == x.storage());
  CHECK(reshape(x, Shape{2, 3, 4}).impl() == x.impl());

  // A non-contiguous input is copied in its logical (row-major) order.
  Tensor t = transpose(iota(Shape{2, 3}), 0, 1);  // [[0, 3], [1, 4], [2, 5]]
  CHECK_FALSE(t.is_contiguous());
  Tensor rt = reshape(t, Shape{6});
  CHECK(rt.to_vector() == values({0, 3, 1, 4, 2, 5}));
  CHECK(rt.storage() != t.storage());

  // A view at an offset (a slice) keeps its offset.
  Tensor row = slice(iota(Shape{3, 4}), 0, 1, 3);  // rows 1 and 2: contiguous, offset 4
  CHECK(row.is_contiguous());
  Tensor rr = reshape(row, Shape{4, 2});
  CHECK(rr.storage() == row.storage());
  CHECK(rr.to_vector() == values({4, 5, 6, 7, 8, 9, 10, 11}));

  check_gradients("reshape",
                  [](const std::vector<Tensor>& in) {
                    return reshape(in[0], Shape{3, 4});
                  },
                  {random_f64(Shape{2, 3, 2}, 1)});
  check_gradients("reshape of a permuted input",
                  [](const std::vector<Tensor>& in) {
                    return reshape(permute(in[0], {2, 0, 1}), Shape{2, 6});
                  },
                  {random_f64(Shape{2, 3, 2}, 2)});
}

TEST_CASE("reshape: one extent written -1 is inferred") {
  Tensor x = iota(Shape{2, 3, 4});
  CHECK(reshape(x, Shape{4, -1}).shape() == Shape{4, 6});
  CHECK(reshape(x, Shape{-1}).shape() == Shape{24});
  CHECK(reshape(x, Shape{2, -1, 3}).shape() == Shape{2, 4, 3});
  CHECK(reshape(transpose(x, 0, 2), Shape{-1, 2}).to_vector() == contiguous(transpose(x, 0, 2)).to_vector());
  check_gradients("reshape with -1 of a permuted input",
                  [](const std::vector<Tensor>& in) {
                    return reshape(permute(in[0], {2, 0, 1}), Shape{-1, 6});
                  },
                  {random_f64(Shape{2, 3, 2}, 3)});
  CHECK_THROWS_WITH_AS(reshape(zeros(Shape{2, 3}), Shape{4, -1}),
                       doctest::Contains("reshape: cannot infer -1 in [4, -1] for [2, 3]"), Error);
  CHECK_THROWS_WITH_AS(reshape(zeros(Shape{2, 3}), Shape{-1, -1}),
                       doctest::Contains("reshape: more than one -1 in [-1, -1]"), Error);
}

TEST_CASE("flatten: shapes and values") {
  Tensor x = iota(Shape{2, 3, 2, 2});
  CHECK(flatten(x).shape() == Shape{2, 12});
  CHECK(flatten(x, 0).shape() == Shape{24});
  CHECK(flatten(x, 2).shape() == Shape{2, 3, 4});
  CHECK(flatten(x, -1).shape() == Shape{2, 3, 2, 2});
  CHECK(flatten(x).to_vector() == x.to_vector());
  check_gradients("flatten", [](const std::vector<Tensor>& in) { return flatten(transpose(in[0], 1, 3)); },
                  {random_f64(Shape{2, 3, 2, 2}, 3)});
}

TEST_CASE("permute and transpose: values, shared storage, gradients") {
  Tensor x = iota(Shape{2, 3, 4});
  Tensor p = permute(x, {2, 0, 1});  // p[k, i, j] = x[i, j, k] = 12i + 4j + k
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.storage() == x.storage());
  std::vector<double> pv = contiguous(p).to_vector();
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) CHECK(pv[static_cast<size_t>(k * 6 + i * 3 + j)] == 12 * i + 4 * j + k);
  CHECK(permute(x, {-1, 0, 1}).shape() == Shape{4, 2, 3});

  Tensor t = transpose(iota(Shape{2, 3}), 0, -1);
  CHECK(t.shape() == Shape{3, 2});
  CHECK(contiguous(t).to_vector() == values({0, 3, 1, 4, 2, 5}));

  check_gradients("permute",
                  [](const std::vector<Tensor>& in) {
                    return permute(in[0], {1, 2, 0});
                  },
                  {random_f64(Shape{2, 3, 4}, 4)});
  check_gradients("transpose", [](const std::vector<Tensor>& in) { return transpose(in[0], 0, 2); },
                  {random_f64(Shape{2, 3, 4}, 5)});
  // A permuted gradient flowing into a second permute (the inverse permutation is composed).
  check_gradients("permute twice",
                  [](const std::vector<Tensor>& in) {
                    return mul(permute(permute(in[0], {1, 2, 0}), {2, 0, 1}), in[0]);
                  },
                  {random_f64(Shape{2, 3, 4}, 6)});
}

TEST_CASE("expand: zero-stride views and the summed gradient") {
  Tensor x = from_values(Shape{3, 1}, {1, 2, 3}, DType::f64);
  Tensor e = expand(x, Shape{2, 3, 4});
  CHECK(e.shape() == Shape{2, 3, 4});
  CHECK(e.strides() == Shape{0, 1, 0});
  CHECK(e.storage() == x.storage());
  std::vector<double> v = e.to_vector();
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j) CHECK(v[static_cast<size_t>(b * 12 + i * 4 + j)] == i + 1);
  CHECK(expand(x, Shape{3, 1}).impl() == x.impl());
  check_gradients("expand",
                  [](const std::vector<Tensor>& in) {
                    return expand(in[0], Shape{2, 3, 4});
                  },
                  {random_f64(Shape{3, 1}, 7)});
  check_gradients("expand a row",
                  [](const std::vector<Tensor>& in) {
                    return expand(in[0], Shape{5, 4});
                  },
                  {random_f64(Shape{4}, 8)});
}

TEST_CASE("contiguous: copies only when needed, with the gradient routed back") {
  Tensor x = iota(Shape{3, 4});
  CHECK(contiguous(x).impl() == x.impl());
  Tensor c = contiguous(slice(x, 1, 1, 4, 2));  // columns 1 and 3
  CHECK(c.is_contiguous());
  CHECK(c.storage() != x.storage());
  CHECK(c.to_vector() == values({1, 3, 5, 7, 9, 11}));
  check_gradients("contiguous", [](const std::vector<Tensor>& in) { return contiguous(transpose(in[0], 0, 1)); },
                  {random_f64(Shape{3, 4}, 9)});
  check_gradients("clone", [](const std::vector<Tensor>& in) { return in[0].clone(); }, {random_f64(Shape{5}, 10)});
}

TEST_CASE("slice: start, negative stop, step, and views that share storage") {
  Tensor x = iota(Shape{3, 5});
  Tensor s = slice(x, 1, 1, -1);  // columns 1, 2, 3
  CHECK(s.shape() == Shape{3, 3});
  CHECK(s.to_vector() == values({1, 2, 3, 6, 7, 8, 11, 12, 13}));
  Tensor stepped = slice(x, 1, 0, 5, 2);  // columns 0, 2, 4
  CHECK(stepped.shape() == Shape{3, 3});
  CHECK(stepped.to_vector() == values({0, 2, 4, 5, 7, 9, 10, 12, 14}));
  CHECK(slice(x, 1, 1, 5, 3).to_vector() == values({1, 4, 6, 9, 11, 14}));  // columns 1, 4
  CHECK(slice(x, -1, -2, 5).to_vector() == values({3, 4, 8, 9, 13, 14}));   // negative start and axis
  CHECK(slice(x, 0, 1, 100).shape() == Shape{2, 5});                        // stop is clamped
  CHECK(slice(x, 0, 2, 2).shape() == Shape{0, 5});                          // empty

  // Writing through a slice writes into the original.
  CHECK(s.storage() == x.storage());
  fill_(slice(x, 0, 1, 2), -1.0);
  CHECK(x.to_vector() == values({0, 1, 2, 3, 4, -1, -1, -1, -1, -1, 10, 11, 12, 13, 14}));
  // And through a permuted view.
  Tensor y = iota(Shape{2, 2});
  fill_(slice(transpose(y, 0, 1), 0, 0, 1), 9.0);  // column 0 of y
  CHECK(y.to_vector() == values({9, 1, 9, 3}));

  check_gradients("slice", [](const std::vector<Tensor>& in) { return slice(in[0], 1, 1, -1); },
                  {random_f64(Shape{3, 5}, 11)});
  check_gradients("slice with step", [](const std::vector<Tensor>& in) { return slice(in[0], 0, 1, 7, 3); },
                  {random_f64(Shape{7, 2}, 12)});
  check_gradients("slice with a step past the end",
                  [](const std::vector<Tensor>& in) { return slice(in[0], 1, 0, 5, 2); },
                  {random_f64(Shape{2, 5}, 13)});
  check_gradients("slices of slices",
                  [](const std::vector<Tensor>& in) { return slice(slice(in[0], 0, 1, 4), 1, 0, -1, 2); },
                  {random_f64(Shape{5, 6}, 14)});
}

TEST_CASE("concat: two and many pieces, any axis") {
  Tensor a = iota(Shape{2, 2}), b = add(iota(Shape{2, 3}), 10.0);
  Tensor c = concat({a, b}, 1);
  CHECK(c.shape() == Shape{2, 5});
  CHECK(c.to_vector() == values({0, 1, 10, 11, 12, 2, 3, 13, 14, 15}));
  Tensor d = concat({a, transpose(a, 0, 1)}, 0);  // a non-contiguous piece
  CHECK(d.to_vector() == values({0, 1, 2, 3, 0, 2, 1, 3}));

  // Six pieces (more than one node holds) along each axis: the values come out in order.
  std::vector<Tensor> pieces;
  for (int i = 0; i < 6; ++i) pieces.push_back(full(Shape{1, 2}, i, DType::f64));
  CHECK(concat(pieces, 0).to_vector() == values({0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5}));
  CHECK(concat(pieces, -1).to_vector() == values({0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5}));
  CHECK(concat(pieces, 1).shape() == Shape{1, 12});
  // 25 pieces: a tree three nodes deep.
  std::vector<Tensor> many;
  std::vector<double> expected;
  for (int i = 0; i < 25; ++i) {
    many.push_back(full(Shape{1}, i, DType::f64));
    expected.push_back(i);
  }
  CHECK(concat(many, 0).to_vector() == expected);

  check_gradients("concat of two along axis 1",
                  [](const std::vector<Tensor>& in) {
                    return concat({in[0], in[1]}, 1);
                  },
                  {random_f64(Shape{2, 3}, 15), random_f64(Shape{2, 2}, 16)});
  for (int axis : {0, 1, 2}) {
    std::vector<Tensor> inputs;
    for (int i = 0; i < 6; ++i) {
      Shape s{2, 3, 2};
      s.dims[axis] = 1 + i % 3;
      inputs.push_back(random_f64(s, 20 + static_cast<uint64_t>(i)));
    }
    check_gradients(
        "concat of six along axis " + std::to_string(axis),
        [axis](const std::vector<Tensor>& in) { return concat(in, axis); }, inputs);
  }
  // Pieces that do not need a gradient get none, and the others still get theirs.
  Tensor fixed = random_f64(Shape{2, 2}, 30);
  check_gradients("concat with a constant piece",
                  [&](const std::vector<Tensor>& in) {
                    return concat({fixed, in[0], fixed, fixed, in[1], fixed}, 0);
                  },
                  {random_f64(Shape{1, 2}, 31), random_f64(Shape{3, 2}, 32)});
}

TEST_CASE("split and chunk: views of the pieces") {
  Tensor x = iota(Shape{2, 6});
  std::vector<Tensor> parts = split(x, {1, 3, 2}, 1);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].to_vector() == values({0, 6}));
  CHECK(parts[1].to_vector() == values({1, 2, 3, 7, 8, 9}));
  CHECK(parts[2].to_vector() == values({4, 5, 10, 11}));
  for (const Tensor& p : parts) CHECK(p.storage() == x.storage());
  std::vector<Tensor> chunks = chunk(x, 3, -1);
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[1].to_vector() == values({2, 3, 8, 9}));
  CHECK(chunk(x, 2, 0)[1].to_vector() == values({6, 7, 8, 9, 10, 11}));

  // Reassembled in another order, every piece's gradient comes back to its place.
  check_gradients("split",
                  [](const std::vector<Tensor>& in) {
                    std::vector<Tensor> p = split(in[0], {1, 3, 2}, 1);
                    return concat({mul(p[2], 2.0), p[0], mul(p[1], -1.0)}, 1);
                  },
                  {random_f64(Shape{2, 6}, 33)});
  check_gradients("chunk",
                  [](const std::vector<Tensor>& in) {
                    std::vector<Tensor> c = chunk(in[0], 2, 0);
                    return mul(c[0], c[1]);
                  },
                  {random_f64(Shape{4, 3}, 34)});
}

TEST_CASE("split: the pieces' gradients gather in one buffer, beside a gradient the input shares") {
  // y = x ⊙ x feeds three pieces of a split and, whole, an addition: the pieces' windows are summed
  // into y's gradient in place only while that buffer is their own, never into the shared one.
  auto f = [](const std::vector<Tensor>& in) {
    Tensor y = mul(in[0], in[0]);
    std::vector<Tensor> p = split(y, {1, 2, 3}, 0);
    return add(concat({mul(p[2], 3.0), p[0], mul(p[1], p[1])}, 0), y);
  };
  testing::check_gradients("split pieces and the whole", f, {random_f64(Shape{6, 3}, 90)});
  // Hand-computed: out = concat(3·y[3:6], y[0:1], y[1:3]²) + y with y = x², so
  // ∂Σout/∂y = 1 + [3, 1, 1, 1, 1, 1 rows as routed] … checked on x = 1 everywhere:
  // rows 0 (to out row 3): 1 + 1 = 2;  rows 1, 2 (squared, 2·y = 2): 1 + 2 = 3;  rows 3–5 (×3): 1 + 3 = 4;
  // ∂/∂x = 2x · that.
  Tensor x = ones(Shape{6, 1}, DType::f64);
  x.requires_grad_(true);
  sum(f({x})).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{4, 6, 6, 8, 8, 8});
}

TEST_CASE("pad2d: values and the interior gradient") {
  Tensor x = iota(Shape{1, 1, 2, 2});
  Tensor p = pad2d(x, 1, 0, 0, 2, -1.0);
  CHECK(p.shape() == Shape{1, 1, 3, 4});
  CHECK(p.to_vector() == values({-1, -1, -1, -1, 0, 1, -1, -1, 2, 3, -1, -1}));
  CHECK(pad2d(x, 0, 0, 0, 0).to_vector() == x.to_vector());
  check_gradients("pad2d", [](const std::vector<Tensor>& in) { return pad2d(in[0], 1, 2, 0, 1, 3.0); },
                  {random_f64(Shape{2, 2, 3, 2}, 35)});
  check_gradients("pad2d of a permuted input",
                  [](const std::vector<Tensor>& in) {
                    return pad2d(permute(in[0], {0, 1, 3, 2}), 1, 1, 1, 1);
                  },
                  {random_f64(Shape{1, 2, 2, 3}, 36)});
}

TEST_CASE("upsample_nearest2d: values and the block-summed gradient") {
  Tensor x = iota(Shape{1, 2, 1, 2});
  Tensor u = upsample_nearest2d(x, 2);
  CHECK(u.shape() == Shape{1, 2, 2, 4});
  CHECK(u.to_vector() == values({0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3}));
  CHECK(upsample_nearest2d(x, 1).to_vector() == x.to_vector());
  check_gradients("upsample_nearest2d", [](const std::vector<Tensor>& in) { return upsample_nearest2d(in[0], 3); },
                  {random_f64(Shape{2, 2, 2, 3}, 37)});
  check_gradients("upsample_nearest2d of a transposed input",
                  [](const std::vector<Tensor>& in) { return upsample_nearest2d(transpose(in[0], 2, 3), 2); },
                  {random_f64(Shape{1, 2, 3, 2}, 38)});
}

TEST_CASE("avg_pool2d and global_avg_pool2d: values and gradients") {
  Tensor x = iota(Shape{1, 1, 4, 4});
  CHECK(avg_pool2d(x, 2).shape() == Shape{1, 1, 2, 2});
  // Block (0, 0) holds 0, 1, 4, 5: mean 2.5; the others follow by +2 per column, +8 per row.
  CHECK(avg_pool2d(x, 2).to_vector() == values({2.5, 4.5, 10.5, 12.5}));
  CHECK(avg_pool2d(x, 4).to_vector() == values({7.5}));
  CHECK(avg_pool2d(x, 1).to_vector() == x.to_vector());
  Tensor g = global_avg_pool2d(iota(Shape{2, 3, 2, 2}));
  CHECK(g.shape() == Shape{2, 3, 1, 1});
  CHECK(g.to_vector() == values({1.5, 5.5, 9.5, 13.5, 17.5, 21.5}));
  check_gradients("avg_pool2d", [](const std::vector<Tensor>& in) { return avg_pool2d(in[0], 2); },
                  {random_f64(Shape{2, 2, 4, 6}, 39)});
  check_gradients("avg_pool2d of a permuted input",
                  [](const std::vector<Tensor>& in) {
                    return avg_pool2d(permute(in[0], {0, 1, 3, 2}), 3);
                  },
                  {random_f64(Shape{1, 2, 3, 6}, 40)});
  check_gradients("global_avg_pool2d", [](const std::vector<Tensor>& in) { return global_avg_pool2d(in[0]); },
                  {random_f64(Shape{2, 3, 3, 2}, 41)});
}

TEST_CASE("to_dtype: rounding, the identity, and the gradient in the input's dtype") {
  Tensor x = from_values(Shape{3}, {0.1, 1.0 / 3.0, -2.5}, DType::f64);
  Tensor f = to_dtype(x, DType::f32);
  CHECK(f.dtype() == DType::f32);
  std::vector<double> fv = f.to_vector();
  CHECK(fv[0] == static_cast<double>(0.1f));
  CHECK(fv[1] == static_cast<double>(1.0f / 3.0f));
  CHECK(fv[2] == -2.5);
  CHECK(to_dtype(x, DType::f64).impl() == x.impl());
  CHECK(to_dtype(from_values(Shape{2}, {2.7, -2.7}), DType::i32).to_vector() == values({2, -2}));

  // The gradient of an f64 input used through f32 arrives in f64 with the f32 values.
  Tensor leaf = x.detach().clone().requires_grad_();
  Tensor w = from_values(Shape{3}, {0.5, -1.25, 3.0});
  sum(mul(to_dtype(leaf, DType::f32), w)).backward();
  REQUIRE(leaf.grad().defined());
  CHECK(leaf.grad().dtype() == DType::f64);
  CHECK(leaf.grad().to_vector() == values({0.5, -1.25, 3.0}));
  // The f64 → f32 → f64 round trip is the identity up to f32 rounding: a coarse step suffices.
  elbo::testing::GradcheckOptions coarse;
  coarse.eps = 1e-2;
  coarse.rtol = 1e-4;
  check_gradients(
      "to_dtype through f32",
      [](const std::vector<Tensor>& in) { return to_dtype(mul(to_dtype(in[0], DType::f32), 2.0), DType::f64); },
      {random_f64(Shape{2, 3}, 42)}, coarse);
}

TEST_CASE("shape ops: errors name the op and the shapes") {
  Tensor x = zeros(Shape{2, 3});
  CHECK_THROWS_WITH_AS(reshape(x, Shape{7}), doctest::Contains("reshape: [2, 3] (6 elements) cannot become [7]"),
                       Error);
  CHECK_THROWS_WITH_AS(permute(x, {0}), doctest::Contains("permute: order has 1 axes for a tensor of rank 2"), Error);
  CHECK_THROWS_WITH_AS(permute(x, {1, 1}), doctest::Contains("permute: axis 1 appears twice"), Error);
  CHECK_THROWS_WITH_AS(permute(x, {0, 2}), doctest::Contains("permute"), Error);
  CHECK_THROWS_WITH_AS(transpose(x, 0, 5), doctest::Contains("transpose"), Error);
  CHECK_THROWS_WITH_AS(expand(x, Shape{2, 4}), doctest::Contains("expand: cannot broadcast [2, 3] to [2, 4]"), Error);
  CHECK_THROWS_WITH_AS(expand(x, Shape{3}),
                       doctest::Contains("expand: cannot broadcast [2, 3] to the smaller rank of [3]"), Error);
  CHECK_THROWS_WITH_AS(slice(x, 1, 2, 1), doctest::Contains("slice: range [2, 1) is invalid for axis 1 of [2, 3]"),
                       Error);
  CHECK_THROWS_WITH_AS(slice(x, 0, 0, 2, 0), doctest::Contains("slice: step must be ≥ 1, got 0"), Error);
  CHECK_THROWS_WITH_AS(slice(x, 2, 0, 1), doctest::Contains("slice"), Error);
  CHECK_THROWS_WITH_AS(concat({x, zeros(Shape{3, 3})}, 1),
                       doctest::Contains("concat: f32[3, 3] cpu does not match f32[2, 3] cpu outside axis 1"), Error);
  CHECK_THROWS_WITH_AS(concat({x, zeros(Shape{2, 3}, DType::f64)}, 0), doctest::Contains("concat: f64[2, 3] cpu"),
                       Error);
  CHECK_THROWS_WITH_AS(concat({}, 0), doctest::Contains("concat: no tensors"), Error);
  CHECK_THROWS_WITH_AS(split(x, {1, 1}, 1), doctest::Contains("split: sizes add up to 2 but axis 1 of [2, 3] has 3"),
                       Error);
  CHECK_THROWS_WITH_AS(chunk(x, 2, 1), doctest::Contains("chunk: axis 1 of [2, 3] does not divide into 2 parts"),
                       Error);
  CHECK_THROWS_WITH_AS(pad2d(x, 1, 1, 1, 1), doctest::Contains("pad2d: needs [N, C, H, W], got f32[2, 3]"), Error);
  Tensor img = zeros(Shape{1, 1, 4, 6});
  CHECK_THROWS_WITH_AS(pad2d(img, -1, 0, 0, 0), doctest::Contains("pad2d: negative padding"), Error);
  CHECK_THROWS_WITH_AS(upsample_nearest2d(x, 2), doctest::Contains("upsample_nearest2d: needs [N, C, H, W]"), Error);
  CHECK_THROWS_WITH_AS(upsample_nearest2d(img, 0), doctest::Contains("upsample_nearest2d: scale must be ≥ 1, got 0"),
                       Error);
  CHECK_THROWS_WITH_AS(avg_pool2d(img, 4), doctest::Contains("avg_pool2d: kernel 4 does not tile [1, 1, 4, 6]"), Error);
  CHECK_THROWS_WITH_AS(global_avg_pool2d(x), doctest::Contains("global_avg_pool2d: needs [N, C, H, W], got f32[2, 3]"),
                       Error);
}
