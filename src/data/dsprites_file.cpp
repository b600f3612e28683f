#include "elbo/data/dsprites_file.hpp"

#include <algorithm>
#include <cstring>

#include "elbo/io/npz.hpp"

namespace elbo::data {

namespace {
// The columns of latents_classes, in order; column 0 (color) has a single level and is not a factor.
const char* kColumns[6] = {"color", "shape", "scale", "orientation", "posX", "posY"};
}  // namespace

DspritesFile::DspritesFile(const std::string& path) : path_(path) {
  io::NpzReader npz(path);
  for (const char* member : {"imgs", "latents_classes"})
    ELBO_CHECK(npz.contains(member), path, ": not a dSprites file: it has no array '", member,
               "' (expected imgs and latents_classes, as in ", kDspritesFileName, ")");

  // Factor levels: check the mixed-radix order row by row.
  Tensor classes = npz.read("latents_classes");
  ELBO_CHECK(classes.ndim() == 2 && classes.size(1) == 6 && (classes.dtype() == DType::i64 || classes.dtype() == DType::i32),
             path, ": latents_classes must be integers [N, 6], it is ", classes.str());
  classes = classes.to(DType::i64);
  count_ = classes.size(0);
  ELBO_CHECK(count_ > 0, path, ": latents_classes is empty");
  const int64_t* c = classes.data<int64_t>();
  int64_t sizes[6] = {0, 0, 0, 0, 0, 0};
  for (int64_t r = 0; r < count_; ++r)
    for (int k = 0; k < 6; ++k) {
      ELBO_CHECK(c[r * 6 + k] >= 0, path, ": latents_classes row ", r, " column ", kColumns[k], " is negative (",
                 c[r * 6 + k], ")");
      sizes[k] = std::max(sizes[k], c[r * 6 + k] + 1);
    }
  ELBO_CHECK(sizes[0] == 1, path, ": latents_classes column color has ", sizes[0], " levels, expected 1");
  int64_t product = 1;
  for (int k = 1; k < 6; ++k) {
    factors_.push_back({kColumns[k], sizes[k]});
    product *= sizes[k];
  }
  ELBO_CHECK(product == count_, path, ": the factor sizes ", sizes[1], "×", sizes[2], "×", sizes[3], "×", sizes[4], "×",
             sizes[5], " = ", product, " do not match the ", count_, " rows of latents_classes");
  for (int64_t r = 0; r < count_; ++r) {
    int64_t rest = r;
    for (int k = 5; k >= 1; --k) {
      int64_t level = rest % sizes[k];
      rest /= sizes[k];
      ELBO_CHECK(c[r * 6 + k] == level, path, ": latents_classes row ", r, " has ", kColumns[k], " = ", c[r * 6 + k],
                 ", but row ", r, " of the mixed-radix order (posY fastest) has ", level,
                 "; elbo reads files in dSprites' official order");
    }
  }

  // Images: stream the pixels into one bit each.
  uint64_t pixel = 0;  // running pixel number across all images
  int64_t per_image = 0;
  npz.stream(
      "imgs",
      [&](const io::NpyHeader& h) {
        ELBO_CHECK(h.dtype == DType::u8 && h.shape.ndim == 3 && h.shape[0] == count_, path,
                   ": imgs must be u8 [", count_, ", H, W] to match latents_classes, it is ", dtype_name(h.dtype), " ",
                   h.shape.str());
        height_ = h.shape[1];
        width_ = h.shape[2];
        ELBO_CHECK(height_ > 0 && width_ > 0, path, ": imgs holds empty images ", h.shape.str());
        per_image = height_ * width_;
        words_per_image_ = (per_image + 63) / 64;
        bits_.assign(static_cast<size_t>(count_ * words_per_image_), 0);
      },
      [&](const uint8_t* data, size_t n) {
        for (size_t j = 0; j < n; ++j, ++pixel) {
          // Most pixels are 0: skip eight zero bytes at a time.
          while (j + 8 <= n) {
            uint64_t eight;
            std::memcpy(&eight, data + j, 8);
            if (eight != 0) break;
            j += 8;
            pixel += 8;
          }
          if (j == n) break;
          uint8_t v = data[j];
          if (v == 0) continue;
          uint64_t image = pixel / static_cast<uint64_t>(per_image), p = pixel % static_cast<uint64_t>(per_image);
          ELBO_CHECK(v == 1, path, ": imgs pixel ", p, " of image ", image, " is ", int(v),
                     "; dSprites images are binary (0 or 1)");
          bits_[image * static_cast<uint64_t>(words_per_image_) + p / 64] |= uint64_t{1} << (p % 64);
        }
      });
}

void DspritesFile::image(int64_t index, float* out) const {
  ELBO_CHECK(index >= 0 && index < count_, name(), ": image index ", index, " is out of range [0, ", count_, ")");
  const uint64_t* words = bits_.data() + index * words_per_image_;
  const int64_t n = height_ * width_;
  for (int64_t p = 0; p < n; ++p) out[p] = static_cast<float>((words[p / 64] >> (p % 64)) & 1);
}

}  // namespace elbo::data
