#include <doctest/doctest.h>

#include "elbo/context.hpp"
#include "elbo/ops.hpp"

using namespace elbo;

TEST_CASE("tensor: shape, strides, views") {
  Tensor t = zeros(Shape{2, 3, 4});
  CHECK(t.shape() == Shape{2, 3, 4});
  CHECK(t.strides() == Shape{12, 4, 1});
  CHECK(t.is_contiguous());
  Tensor p = permute(t, {2, 0, 1});
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.strides() == Shape{1, 12, 4});
  CHECK_FALSE(p.is_contiguous());
  CHECK(p.storage() == t.storage());
  Tensor c = contiguous(p);
  CHECK(c.is_contiguous());
  CHECK(c.storage() != t.storage());
}

TEST_CASE("tensor: values round-trip through dtypes") {
  Tensor a = from_values(Shape{2, 2}, {1.5, -2.0, 3.25, 4.0});
  CHECK(a.dtype() == DType::f32);
  CHECK(a.to_vector() == std::vector<double>{1.5, -2.0, 3.25, 4.0});
  Tensor d = to_dtype(a, DType::f64);
  CHECK(d.dtype() == DType::f64);
  CHECK(d.to_vector() == a.to_vector());
  Tensor i = to_dtype(a, DType::i64);
  CHECK(i.to_vector() == std::vector<double>{1, -2, 3, 4});
}

TEST_CASE("allocator: freed blocks are reused") {
  Allocator& alloc = cpu_allocator();
  { Tensor warm = empty(Shape{1000}); }
  int64_t before = alloc.stats().system_allocations;
  for (int i = 0; i < 10; ++i) {
    Tensor t = empty(Shape{1000});
    fill_(t, 1.0);
  }
  CHECK(alloc.stats().system_allocations == before);
}

TEST_CASE("errors name the op and the shapes") {
  Tensor a = zeros(Shape{2, 3}), b = zeros(Shape{4, 5});
  CHECK_THROWS_WITH_AS(add(a, b), doctest::Contains("add: shapes [2, 3] and [4, 5] do not broadcast"), Error);
  CHECK_THROWS_WITH_AS(matmul(a, b), doctest::Contains("matmul: inner dimensions differ: [2, 3] · [4, 5]"), Error);
  Tensor d = zeros(Shape{2, 3}, DType::f64);
  CHECK_THROWS_WITH_AS(add(a, d), doctest::Contains("add: dtypes differ"), Error);
  Tensor w = zeros(Shape{3}).requires_grad_();
  Tensor y = mul(w, 2.0);
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("backward: needs a one-element (scalar) tensor"), Error);
  CHECK_THROWS_WITH_AS(reshape(a, Shape{4, 2}), doctest::Contains("reshape: [2, 3] (6 elements) cannot become [4, 2]"),
                       Error);
}

TEST_CASE("autograd: gradients accumulate and the graph is freed") {
  Tensor w = from_values(Shape{3}, {1, 2, 3}, DType::f64).requires_grad_();
  Tensor loss = sum(mul(w, w));  // d/dw = 2w
  loss.backward();
  CHECK(w.grad().to_vector() == std::vector<double>{2, 4, 6});
  CHECK_THROWS_WITH_AS(loss.backward(), doctest::Contains("freed by an earlier backward"), Error);
  sum(mul(w, 3.0)).backward();
  CHECK(w.grad().to_vector() == std::vector<double>{5, 7, 9});
  w.zero_grad();
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("autograd: a tensor used twice gets both contributions") {
  Tensor x = from_values(Shape{2}, {3, -1}, DType::f64).requires_grad_();
  Tensor y = add(mul(x, x), x);  // d/dx = 2x + 1
  sum(y).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{7, -1});
}

TEST_CASE("autograd: no-grad scope records nothing") {
  Tensor x = ones(Shape{2}).requires_grad_();
  {
    NoGradGuard guard;
    Tensor y = mul(x, 2.0);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
  }
  CHECK(mul(x, 2.0).requires_grad());
}

TEST_CASE("rng: Philox4x32-10 matches the published known-answer vectors") {
  // Random123's kat_vectors for philox4x32_10.
  Philox4x32 z = philox4x32_10(0, 0, 0);
  CHECK(z.v[0] == 0x6627e8d5u);
  CHECK(z.v[1] == 0xe169c58du);
  CHECK(z.v[2] == 0xbc57ac4cu);
  CHECK(z.v[3] == 0x9b00dbd8u);
  Philox4x32 f = philox4x32_10(~0ull, ~0ull, ~0ull);
  CHECK(f.v[0] == 0x408f276du);
  CHECK(f.v[1] == 0x41c83b0eu);
  CHECK(f.v[2] == 0xa20bc7c6u);
  CHECK(f.v[3] == 0x6d5451fdu);
  // counter {243f6a88 85a308d3 13198a2e 03707344}, key {a4093822 299f31d0}
  Philox4x32 p = philox4x32_10(0x299f31d0a4093822ull, 0x85a308d3243f6a88ull, 0x0370734413198a2eull);
  CHECK(p.v[0] == 0xd16cfe09u);
  CHECK(p.v[1] == 0x94fdccebu);
  CHECK(p.v[2] == 0x5001e420u);
  CHECK(p.v[3] == 0x24126ea1u);
}

TEST_CASE("rng: draws are the same whatever the thread count, and have the right moments") {
  set_num_threads(1);
  Tensor a = normal(Shape{100000}, 42, 3, 0);
  set_num_threads(2);
  Tensor b = normal(Shape{100000}, 42, 3, 0);
  CHECK(a.to_vector() == b.to_vector());
  std::vector<double> v = a.to_vector();
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= v.size();
  for (double x : v) s += (x - m) * (x - m);
  s /= v.size();
  CHECK(std::abs(m) < 0.01);
  CHECK(std::abs(s - 1.0) < 0.02);
  // Draw k of a stream does not depend on where the tensor starts.
  Tensor tail = normal(Shape{10}, 42, 3, 500);
  for (int i = 0; i < 10; ++i) CHECK(tail.to_vector()[i] == v[500 + i]);
  std::vector<double> u = uniform(Shape{1000}, 1, 1, 0).to_vector();
  for (double x : u) CHECK((x > 0.0 && x < 1.0));
}
