#include "elbo/data/idx_dataset.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "elbo/io/idx.hpp"

namespace elbo::data {

IdxDataset::IdxDataset(const std::string& name, const std::string& images_path, const std::string& labels_path)
    : name_(name) {
  Tensor images = io::read_idx(images_path);
  ELBO_CHECK(images.dtype() == DType::u8 && images.ndim() == 3, name, ": ", images_path,
             " must hold u8 images [N, H, W] (IDX type 08, 3 dimensions), it holds ", images.str());
  count_ = images.size(0);
  height_ = images.size(1);
  width_ = images.size(2);
  ELBO_CHECK(height_ > 0 && width_ > 0, name, ": ", images_path, " holds empty images ", images.str());
  const uint8_t* px = images.data<uint8_t>();
  pixels_.assign(px, px + images.numel());
  if (labels_path.empty()) return;
  Tensor labels = io::read_idx(labels_path);
  ELBO_CHECK(labels.dtype() == DType::u8 && labels.ndim() == 1, name, ": ", labels_path,
             " must hold u8 labels [N] (IDX type 08, 1 dimension), it holds ", labels.str());
  ELBO_CHECK(labels.size(0) == count_, name, ": ", labels_path, " has ", labels.size(0), " labels for the ", count_,
             " images of ", images_path);
  const uint8_t* l = labels.data<uint8_t>();
  labels_.assign(l, l + count_);
  num_classes_ = labels_.empty() ? 0 : 1 + *std::max_element(labels_.begin(), labels_.end());
}

void IdxDataset::image(int64_t index, float* out) const {
  ELBO_CHECK(index >= 0 && index < count_, name_, ": image index ", index, " is out of range [0, ", count_, ")");
  const int64_t n = height_ * width_;
  const uint8_t* src = pixels_.data() + index * n;
  for (int64_t p = 0; p < n; ++p) out[p] = static_cast<float>(src[p]) / 255.0f;
}

int64_t IdxDataset::label(int64_t index) const {
  ELBO_CHECK(index >= 0 && index < count_, name_, ": label index ", index, " is out of range [0, ", count_, ")");
  return labels_.empty() ? -1 : labels_[static_cast<size_t>(index)];
}

namespace {

// dir/name, or dir/name.gz, whichever exists; empty when neither does.
std::string find_file(const std::string& dir, const std::string& name) {
  std::filesystem::path base(dir);
  for (const std::string& candidate : {name, name + ".gz"})
    if (std::filesystem::is_regular_file(base / candidate)) return (base / candidate).string();
  return "";
}

IdxDataset load_split(const char* dataset, Split split, const std::string& dir, const std::string& how_to_get) {
  const char* prefix = split == Split::train ? "train" : "t10k";
  std::string images_name = std::string(prefix) + "-images-idx3-ubyte";
  std::string labels_name = std::string(prefix) + "-labels-idx1-ubyte";
  std::string images = find_file(dir, images_name), labels = find_file(dir, labels_name);
  ELBO_CHECK(!images.empty() && !labels.empty(), dataset, ": no ", images.empty() ? images_name : labels_name,
             " (or .gz) in ", dir, "; ", how_to_get);
  return IdxDataset(std::string(dataset) + (split == Split::train ? "/train" : "/test"), images, labels);
}

}  // namespace

IdxDataset fashion_mnist(Split split, const std::string& dir) {
  std::string where = dir.empty() ? kFashionMnistDir : dir;
  return load_split("fashion-mnist", split, where,
                    "install the Debian package (apt-get install dataset-fashion-mnist, or make deps), or pass the "
                    "directory holding the four IDX files");
}

IdxDataset mnist(Split split, const std::string& dir) {
  return load_split("mnist", split, dir,
                    "pass the directory holding MNIST's four IDX files (train-images-idx3-ubyte.gz, "
                    "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)");
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace elbo::data
