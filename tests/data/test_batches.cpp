// The batch iterator: the shuffle, epochs and steps, seek, prefetching, tensor reuse and errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "elbo/data/batches.hpp"
#include "elbo/data/dsprites.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::data;

namespace {

// n images of 1×2×2 that encode their index: pixel p of image i is i + p/4; label i mod 7.
// Reading index `failing` throws.
class Numbered final : public Dataset {
 public:
  explicit Numbered(int64_t n, int64_t failing = -1) : n_(n), failing_(failing) {}
  std::string name() const override { return "numbered"; }
  int64_t size() const override { return n_; }
  ImageShape image_shape() const override { return {1, 2, 2}; }
  void image(int64_t index, float* out) const override {
    ELBO_CHECK(index != failing_, "numbered: image ", index, " is unreadable");
    for (int p = 0; p < 4; ++p) out[p] = static_cast<float>(index) + 0.25f * static_cast<float>(p);
  }
  int64_t label(int64_t index) const override { return index % 7; }

 private:
  int64_t n_, failing_;
};

// The image indices of one batch, read back from the pixels (and checked against the labels).
std::vector<int64_t> indices_of(const Tensor& images, const Tensor& labels) {
  std::vector<int64_t> ids;
  const float* x = images.data<float>();
  const int64_t* l = labels.data<int64_t>();
  for (int64_t k = 0; k < images.size(0); ++k) {
    const int64_t i = static_cast<int64_t>(x[k * 4]);
    for (int p = 0; p < 4; ++p) REQUIRE(x[k * 4 + p] == static_cast<float>(i) + 0.25f * static_cast<float>(p));
    REQUIRE(l[k] == i % 7);
    ids.push_back(i);
  }
  return ids;
}

// The first `steps` batches' indices.
std::vector<std::vector<int64_t>> run(BatchIterator& it, int64_t steps) {
  std::vector<std::vector<int64_t>> out;
  Tensor images, labels;
  for (int64_t t = 0; t < steps; ++t) {
    it.next(images, &labels);
    out.push_back(indices_of(images, labels));
  }
  return out;
}

BatchOptions options(int64_t batch, uint64_t seed, bool prefetch, bool drop_last = true) {
  BatchOptions o;
  o.batch_size = batch;
  o.seed = seed;
  o.prefetch = prefetch;
  o.drop_last = drop_last;
  return o;
}

}  // namespace

TEST_CASE("data: shuffled_order is a permutation, a pure function of (seed, epoch)") {
  std::vector<int64_t> a(50), b(50), c(50), d(50);
  shuffled_order(50, 3, 0, a.data());
  shuffled_order(50, 3, 0, b.data());
  shuffled_order(50, 3, 1, c.data());
  shuffled_order(50, 4, 0, d.data());
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a != d);
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 50; ++i) CHECK(sorted[i] == i);
  // The swap partner of position i in epoch e is uniform draw e·n + i: n = 2 has one draw.
  for (int64_t epoch = 0; epoch < 20; ++epoch) {
    int64_t two[2];
    shuffled_order(2, 9, epoch, two);
    const bool swapped = philox_uniform(9, kShuffleStream, static_cast<uint64_t>(epoch) * 2 + 1) < 0.5;
    CHECK(two[0] == (swapped ? 1 : 0));
  }
  CHECK_THROWS_AS(shuffled_order(3, 0, -1, a.data()), Error);
}

TEST_CASE("data: shuffled_order draws the 6 orders of 3 items equally often") {
  std::map<std::vector<int64_t>, int> seen;
  for (int64_t epoch = 0; epoch < 6000; ++epoch) {
    std::vector<int64_t> o(3);
    shuffled_order(3, 11, epoch, o.data());
    ++seen[o];
  }
  CHECK(seen.size() == 6);
  for (const auto& [order, n] : seen) CHECK(std::abs(n - 1000) < 130);  // σ = √(6000·⅙·⅚) ≈ 29
}

TEST_CASE("data: batch iterator visits every index once per epoch, with and without drop_last") {
  Numbered data(103);
  for (bool drop_last : {true, false}) {
    BatchIterator it(data, options(10, 5, true, drop_last));
    CHECK(it.items() == 103);
    CHECK(it.steps_per_epoch() == (drop_last ? 10 : 11));
    for (int64_t epoch = 0; epoch < 3; ++epoch) {
      std::vector<std::vector<int64_t>> batches = run(it, it.steps_per_epoch());
      std::set<int64_t> seen;
      int64_t total = 0;
      for (size_t b = 0; b < batches.size(); ++b) {
        CHECK(batches[b].size() == (b == 10 ? 3u : 10u));
        seen.insert(batches[b].begin(), batches[b].end());
        total += static_cast<int64_t>(batches[b].size());
      }
      CHECK(total == (drop_last ? 100 : 103));
      CHECK(static_cast<int64_t>(seen.size()) == total);  // no index twice
      CHECK(it.epoch() == epoch + 1);
      CHECK(it.step_in_epoch() == 0);
    }
  }
}

TEST_CASE("data: batch iterator order: same seed same batches, new epoch or seed new order") {
  Numbered data(64);
  BatchIterator a(data, options(16, 1, true)), b(data, options(16, 1, false)), c(data, options(16, 2, true));
  std::vector<std::vector<int64_t>> ra = run(a, 12), rb = run(b, 12), rc = run(c, 12);
  CHECK(ra == rb);
  CHECK(ra != rc);
  // Epochs 0, 1, 2 (steps 0-3, 4-7, 8-11) in different orders.
  CHECK(ra[0] != ra[4]);
  CHECK(ra[4] != ra[8]);
  // The batch at step t is batch_indices(t).
  for (int64_t t = 0; t < 12; ++t) CHECK(a.batch_indices(t) == ra[static_cast<size_t>(t)]);
  // Without shuffling: 0, 1, 2, … in every epoch.
  BatchOptions plain = options(16, 1, true);
  plain.shuffle = false;
  BatchIterator d(data, plain);
  std::vector<std::vector<int64_t>> rd = run(d, 5);
  for (int64_t k = 0; k < 16; ++k) CHECK(rd[1][static_cast<size_t>(k)] == 16 + k);
  CHECK(rd[4] == rd[0]);
}

TEST_CASE("data: batch iterator seek(t) gives the batch that iterating to t gives") {
  Numbered data(50);
  for (bool prefetch : {true, false}) {
    BatchIterator walk(data, options(8, 7, prefetch, false));  // 7 steps an epoch, the last of 2
    std::vector<std::vector<int64_t>> all = run(walk, 30);
    BatchIterator jump(data, options(8, 7, prefetch, false));
    Tensor images, labels;
    for (int64_t t : {20, 6, 13, 0, 27, 7, 29}) {
      jump.seek(t);
      CHECK(jump.step() == t);
      CHECK(jump.epoch() == t / 7);
      jump.next(images, &labels);
      CHECK(indices_of(images, labels) == all[static_cast<size_t>(t)]);
      CHECK(jump.step() == t + 1);
    }
    // Seeking twice in a row, while the first target is still being rendered, is fine.
    jump.seek(3);
    jump.seek(25);
    jump.next(images, &labels);
    CHECK(indices_of(images, labels) == all[25]);
  }
}

TEST_CASE("data: batch iterator over a subset visits only the subset") {
  Numbered data(100);
  std::vector<int64_t> split;
  for (int64_t i = 3; i < 100; i += 4) split.push_back(i);  // 25 indices
  BatchIterator it(data, split, options(5, 2, true));
  CHECK(it.items() == 25);
  std::set<int64_t> seen;
  for (const auto& batch : run(it, 5)) seen.insert(batch.begin(), batch.end());
  CHECK(seen == std::set<int64_t>(split.begin(), split.end()));
  CHECK_THROWS_AS(BatchIterator(data, std::vector<int64_t>{5, 100}, options(1, 0, false)), Error);
}

TEST_CASE("data: batch iterator gives the same batches with and without prefetch, at 1 and 2 render threads") {
  Dsprites sprites;
  std::vector<int64_t> split;
  for (int64_t i = 0; i < 400; ++i) split.push_back(i * 1831);
  Tensor images[3], labels[3];
  BatchOptions o = options(32, 4, true);
  BatchOptions serial = o, threaded = o;
  serial.prefetch = false;
  threaded.render_threads = 2;
  BatchIterator a(sprites, split, o), b(sprites, split, serial), c(sprites, split, threaded);
  for (int64_t t = 0; t < 15; ++t) {  // past the end of epoch 0 (12 steps)
    a.next(images[0], &labels[0]);
    b.next(images[1], &labels[1]);
    c.next(images[2], &labels[2]);
    CHECK(testing::same_bytes(images[0], images[1]));
    CHECK(testing::same_bytes(images[0], images[2]));
    CHECK(testing::same_bytes(labels[0], labels[1]));
    CHECK(testing::same_bytes(labels[0], labels[2]));
  }
  // The labels of a ground-truth dataset are its factor levels, and the images match them.
  CHECK(labels[0].shape() == Shape{32, 5});
  std::vector<int64_t> ids = a.batch_indices(14);
  const int64_t* l = labels[0].data<int64_t>();
  for (int64_t k = 0; k < 32; ++k)
    CHECK(sprites.factors(ids[static_cast<size_t>(k)]) == std::vector<int64_t>(l + k * 5, l + k * 5 + 5));
  CHECK(testing::same_bytes(images[0], sprites.images(ids)));
}

TEST_CASE("data: batch iterator reuses the caller's tensor unless another handle shares it") {
  Numbered data(40);
  BatchIterator it(data, options(8, 0, true));
  Tensor images, labels;
  it.next(images, &labels);
  const void* storage = images.raw_data();
  it.next(images, &labels);
  CHECK(images.raw_data() == storage);  // steady state: the same memory, no allocation
  Tensor kept = images;                 // another handle: next() must leave its data alone
  const std::vector<double> before = kept.to_vector();
  it.next(images, &labels);
  CHECK(images.raw_data() != kept.raw_data());
  CHECK(kept.to_vector() == before);
}

TEST_CASE("data: batch iterator rethrows a rendering error in next() and can go on") {
  Numbered data(30, /*failing=*/17);
  for (bool prefetch : {true, false}) {
    BatchOptions o = options(30, 0, prefetch);
    o.shuffle = false;
    BatchIterator one(data, o);  // the only batch holds image 17
    Tensor images;
    CHECK_THROWS_WITH(one.next(images), doctest::Contains("image 17 is unreadable"));
    CHECK(one.step() == 0);
    CHECK_THROWS_AS(one.next(images), Error);  // tried again, fails again
    BatchOptions small = options(5, 0, prefetch);
    small.shuffle = false;
    BatchIterator it(data, small);
    it.seek(4);  // images 20-24: fine
    CHECK(it.next(images) == 5);
    CHECK(images.to_vector()[0] == 20.0);
    it.seek(3);  // images 15-19
    CHECK_THROWS_AS(it.next(images), Error);
    it.seek(0);
    CHECK(it.next(images) == 5);
  }
}

TEST_CASE("data: batch iterator checks its options and shuts down while rendering") {
  Numbered data(10);
  CHECK_THROWS_WITH(BatchIterator(data, options(11, 0, true)), doctest::Contains("drop_last"));
  CHECK(BatchIterator(data, options(11, 0, true, false)).steps_per_epoch() == 1);
  CHECK_THROWS_AS(BatchIterator(data, options(0, 0, true)), Error);
  BatchOptions bad = options(2, 0, true);
  bad.render_threads = 0;
  CHECK_THROWS_AS(BatchIterator(data, bad), Error);
  BatchIterator it(data, options(2, 0, true));
  CHECK_THROWS_AS(it.seek(-1), Error);
  // Destroyed at once, with the first batch posted to the worker: must not hang.
  for (int k = 0; k < 20; ++k) BatchIterator quick(data, options(2, static_cast<uint64_t>(k), true));
}
