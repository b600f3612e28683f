// The dataset base methods: mixed-radix index ↔ factors, sampling factors, and images(), on a
// small ground-truth dataset whose images encode their own index.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "elbo/context.hpp"
#include "elbo/data/dataset.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::data;

namespace {

// Factors a (2), b (3), c (4): 24 images of 1×1×2, image i = (i, −1); indices in `failing` throw.
class Digits final : public GroundTruthDataset {
 public:
  explicit Digits(std::vector<int64_t> failing = {}) : failing_(std::move(failing)) {}
  std::string name() const override { return "digits"; }
  ImageShape image_shape() const override { return {1, 1, 2}; }
  const std::vector<Factor>& factor_list() const override { return factors_; }
  void image(int64_t index, float* out) const override {
    for (int64_t bad : failing_) ELBO_CHECK(index != bad, "digits: cannot read image ", index);
    out[0] = static_cast<float>(index);
    out[1] = -1.0f;
  }

 private:
  std::vector<Factor> factors_{{"a", 2}, {"b", 3}, {"c", 4}};
  std::vector<int64_t> failing_;
};

}  // namespace

TEST_CASE("data: mixed-radix index and factors, last factor fastest") {
  Digits d;
  CHECK(d.size() == 24);
  CHECK(d.num_factors() == 3);
  CHECK(d.index(std::vector<int64_t>{1, 2, 3}) == 1 * 12 + 2 * 4 + 3);
  CHECK(d.index(std::vector<int64_t>{0, 0, 1}) == 1);
  CHECK(d.index(std::vector<int64_t>{0, 1, 0}) == 4);
  CHECK(d.index(std::vector<int64_t>{1, 0, 0}) == 12);
  CHECK(d.factors(5) == std::vector<int64_t>{0, 1, 1});
  CHECK(d.factors(23) == std::vector<int64_t>{1, 2, 3});
  for (int64_t i = 0; i < d.size(); ++i) CHECK(d.index(d.factors(i)) == i);
}

TEST_CASE("data: index and factors reject values out of range") {
  Digits d;
  CHECK_THROWS_AS(d.factors(-1), Error);
  CHECK_THROWS_AS(d.factors(24), Error);
  CHECK_THROWS_AS(d.index(std::vector<int64_t>{2, 0, 0}), Error);
  CHECK_THROWS_AS(d.index(std::vector<int64_t>{0, -1, 0}), Error);
  CHECK_THROWS_AS(d.index(std::vector<int64_t>{0, 0}), Error);
  CHECK_THROWS_WITH(d.index(std::vector<int64_t>{0, 3, 0}), doctest::Contains("factor 'b' = 3"));
}

TEST_CASE("data: sample_factors draws (row r, factor k) from counter + r·K + k") {
  Digits d;
  Rng rng{42, 5, 100};
  Tensor f = d.sample_factors(4, rng);
  CHECK(f.shape() == Shape{4, 3});
  CHECK(f.dtype() == DType::i64);
  CHECK(rng.counter == 100 + 12);
  const int64_t* v = f.data<int64_t>();
  const int64_t sizes[3] = {2, 3, 4};
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t k = 0; k < 3; ++k) {
      Rng draw{42, 5, 100 + static_cast<uint64_t>(r * 3 + k)};
      CHECK(v[r * 3 + k] == static_cast<int64_t>(draw.below(static_cast<uint64_t>(sizes[k]))));
    }
  // Two calls continue where the first stopped: the same rows as one call of twice the size.
  Rng whole{42, 5, 100}, parts{42, 5, 100};
  Tensor all = d.sample_factors(6, whole);
  Tensor first = d.sample_factors(3, parts), second = d.sample_factors(3, parts);
  std::vector<double> joined = first.to_vector(), tail = second.to_vector();
  joined.insert(joined.end(), tail.begin(), tail.end());
  CHECK(all.to_vector() == joined);
  CHECK_THROWS_AS(d.sample_factors(-1, parts), Error);
}

TEST_CASE("data: sample_factors is uniform per factor") {
  Digits d;
  Rng rng{1, 2, 0};
  Tensor f = d.sample_factors(4000, rng);
  const int64_t* v = f.data<int64_t>();
  int64_t counts[4] = {};
  for (int64_t r = 0; r < 4000; ++r) {
    REQUIRE(v[r * 3 + 2] >= 0);
    REQUIRE(v[r * 3 + 2] < 4);
    ++counts[v[r * 3 + 2]];
  }
  for (int64_t c : counts) CHECK(std::abs(c - 1000) < 120);  // σ = √(4000·¼·¾) ≈ 27: ±4.4σ
}

TEST_CASE("data: images and observations gather the requested images") {
  Digits d;
  std::vector<int64_t> ids = {7, 0, 23, 7};
  Tensor x = d.images(ids);
  CHECK(x.shape() == Shape{4, 1, 1, 2});
  CHECK(x.to_vector() == std::vector<double>{7, -1, 0, -1, 23, -1, 7, -1});
  Tensor rows = from_values(Shape{2, 3}, {1, 2, 3, 0, 1, 1}, DType::i64);
  CHECK(d.observations(rows).to_vector() == std::vector<double>{23, -1, 5, -1});
  CHECK_THROWS_AS(d.observations(from_values(Shape{2, 2}, {0, 0, 0, 0}, DType::i64)), Error);
  CHECK_THROWS_AS(d.observations(from_values(Shape{1, 3}, {0, 0, 0}, DType::f32)), Error);
  CHECK_THROWS_AS(d.observations(from_values(Shape{1, 3}, {0, 3, 0}, DType::i64)), Error);
  CHECK_THROWS_WITH(d.images(std::vector<int64_t>{3, 24}), doctest::Contains("index 24 at position 1"));
  CHECK(d.images(std::vector<int64_t>{}).shape() == Shape{0, 1, 1, 2});
}

TEST_CASE("data: images rethrows the failure of the lowest position, at any thread count") {
  Digits d({13, 4});
  std::vector<int64_t> ids(40, 1);
  ids[17] = 13;
  ids[31] = 4;
  int before = num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    CHECK_THROWS_WITH(d.images(ids), doctest::Contains("cannot read image 13"));
  }
  set_num_threads(before);
}
