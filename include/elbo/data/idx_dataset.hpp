// MNIST and Fashion-MNIST from their IDX files (io/idx.hpp): 28×28 grey images with class labels.
//
//   split   images file                 labels file                 images
//   train   train-images-idx3-ubyte     train-labels-idx1-ubyte     60,000
//   test    t10k-images-idx3-ubyte      t10k-labels-idx1-ubyte      10,000
// each raw or gzip-compressed (".gz"). Pixels are bytes 0–255, read as v/255; image i is
// row i of the file.
//
// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747) has MNIST's format and sizes with
// ten clothing classes; Debian packages it as dataset-fashion-mnist, in /usr/share/datasets/fashion-mnist/.
#pragma once
#include <string>
#include <vector>

#include "elbo/data/dataset.hpp"

namespace elbo::data {

enum class Split { train, test };

class IdxDataset final : public Dataset {
 public:
  // `labels_path` may be empty (no labels). Image i is row i of the images file.
  IdxDataset(const std::string& name, const std::string& images_path, const std::string& labels_path);

  std::string name() const override { return name_; }
  int64_t size() const override { return count_; }
  ImageShape image_shape() const override { return {1, height_, width_}; }
  void image(int64_t index, float* out) const override;
  int64_t label(int64_t index) const override;
  // Labels are 0 … num_classes() − 1 (1 + the largest label; 0 without labels).
  int64_t num_classes() const { return num_classes_; }

 private:
  std::string name_;
  int64_t count_ = 0, height_ = 0, width_ = 0, num_classes_ = 0;
  std::vector<uint8_t> pixels_;  // count × height × width
  std::vector<uint8_t> labels_;  // count, or empty
};

// The default place of Fashion-MNIST: the Debian package's directory.
inline const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist/";

// A split of Fashion-MNIST from `dir` (default kFashionMnistDir). Fails, when the files are missing,
// with how to install the package or which directory to pass.
IdxDataset fashion_mnist(Split split, const std::string& dir = "");
// A split of MNIST from `dir` (same file names; no default location).
IdxDataset mnist(Split split, const std::string& dir);

// Fashion-MNIST's class names, by label: "T-shirt/top", "Trouser", …, "Ankle boot".
const std::vector<std::string>& fashion_mnist_classes();

}  // namespace elbo::data
