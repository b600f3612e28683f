#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "elbo/data/idx_dataset.hpp"
#include "elbo/error.hpp"
#include "elbo/io/idx.hpp"
#include "gradcheck.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::data;
using namespace elbo::testing;

namespace {

// Writes a small MNIST-style split: 5 images of 3×4 with pixel (i, y, x) = 10·i + 4y + x, labels i % 3.
void write_split(const TempDir& dir, const std::string& prefix, bool gz) {
  std::vector<double> px, labels;
  for (int i = 0; i < 5; ++i) {
    labels.push_back(i % 3);
    for (int p = 0; p < 12; ++p) px.push_back(10 * i + p);
  }
  io::write_idx(dir.file(prefix + "-images-idx3-ubyte" + (gz ? ".gz" : "")), from_vector(Shape{5, 3, 4}, px, DType::u8), gz);
  io::write_idx(dir.file(prefix + "-labels-idx1-ubyte" + (gz ? ".gz" : "")), from_vector(Shape{5}, labels, DType::u8), gz);
}

}  // namespace

TEST_CASE("data: idx dataset reads images and labels of both splits") {
  TempDir dir;
  write_split(dir, "train", true);
  write_split(dir, "t10k", false);
  for (Split split : {Split::train, Split::test}) {
    IdxDataset d = fashion_mnist(split, dir.path().string());
    CHECK(d.name() == (split == Split::train ? "fashion-mnist/train" : "fashion-mnist/test"));
    CHECK(d.size() == 5);
    CHECK(d.image_shape().channels == 1);
    CHECK(d.image_shape().height == 3);
    CHECK(d.image_shape().width == 4);
    CHECK(d.num_classes() == 3);
    std::vector<float> img(12);
    d.image(4, img.data());
    for (int p = 0; p < 12; ++p) CHECK(img[static_cast<size_t>(p)] == static_cast<float>(40 + p) / 255.0f);
    CHECK(d.label(4) == 1);
    Tensor batch = d.images(std::vector<int64_t>{2, 0});
    CHECK(batch.shape() == Shape{2, 1, 3, 4});
    CHECK(batch.to_vector()[0] == doctest::Approx(20.0 / 255.0));
    CHECK_THROWS_WITH_AS(d.image(5, img.data()), doctest::Contains("index 5 is out of range [0, 5)"), Error);
  }
  IdxDataset m = mnist(Split::train, dir.path().string());
  CHECK(m.name() == "mnist/train");
  IdxDataset unlabelled("digits", dir.file("t10k-images-idx3-ubyte"), "");
  CHECK(unlabelled.label(0) == -1);
  CHECK(unlabelled.num_classes() == 0);
}

TEST_CASE("data: idx dataset errors say how to get the files") {
  TempDir dir;
  CHECK_THROWS_WITH_AS(fashion_mnist(Split::train, dir.path().string()),
                       doctest::Contains("no train-images-idx3-ubyte (or .gz) in"), Error);
  CHECK_THROWS_WITH_AS(fashion_mnist(Split::train, dir.path().string()),
                       doctest::Contains("apt-get install dataset-fashion-mnist"), Error);
  write_split(dir, "train", false);
  io::write_idx(dir.file("train-labels-idx1-ubyte"), zeros(Shape{4}, DType::u8));
  CHECK_THROWS_WITH_AS(fashion_mnist(Split::train, dir.path().string()), doctest::Contains("has 4 labels for the 5 images"), Error);
  io::write_idx(dir.file("train-labels-idx1-ubyte"), zeros(Shape{5}, DType::f32));
  CHECK_THROWS_WITH_AS(fashion_mnist(Split::train, dir.path().string()), doctest::Contains("must hold u8 labels"), Error);
  io::write_idx(dir.file("train-images-idx3-ubyte"), zeros(Shape{5, 12}, DType::u8));
  CHECK_THROWS_WITH_AS(fashion_mnist(Split::train, dir.path().string()), doctest::Contains("must hold u8 images [N, H, W]"), Error);
}

TEST_CASE("data: the installed Fashion-MNIST, 60000 and 10000 images of 28x28") {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "train-images-idx3-ubyte.gz")) {
    MESSAGE("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped");
    return;
  }
  IdxDataset test = fashion_mnist(Split::test);
  CHECK(test.size() == 10000);
  CHECK(test.num_classes() == 10);
  CHECK(test.image_shape().height == 28);
  CHECK(test.image_shape().width == 28);
  CHECK(fashion_mnist_classes().size() == 10);
  Tensor x = test.images(std::vector<int64_t>{0, 1, 9999});
  std::vector<double> v = x.to_vector();
  double lo = 1, hi = 0;
  for (double p : v) {
    lo = std::min(lo, p);
    hi = std::max(hi, p);
  }
  CHECK(lo == 0.0);
  CHECK(hi == 1.0);  // every Fashion-MNIST image is scaled to use the full range
  IdxDataset train = fashion_mnist(Split::train);
  CHECK(train.size() == 60000);
}
