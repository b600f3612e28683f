// Every PNG and JPEG under a directory, as a dataset of square images (CelebA, a folder of photos).
//
// Files: *.png, *.jpg, *.jpeg (any letter case) anywhere below the directory, ordered by their
// path relative to it (byte order), so image i is the same file on every machine.
// Each image is
//   1. centre-cropped to a square: side s = min(w, h), from ((w − s)/2, (h − s)/2) (integer division);
//   2. resized to size × size by area averaging: output pixel (Y, X) is the mean of the source square
//      [Y·s/size, (Y+1)·s/size) × [X·s/size, (X+1)·s/size), source pixels weighted by the area they
//      share with it (the "box" or "area" filter of OpenCV's INTER_AREA and PIL's reduce);
//   3. rounded to 8 bits and stored in a cache file.
// Grey (channels = 1) uses stb_image's conversion (77·R + 150·G + 29·B) / 256.
//
// The cache is built on the first construction and reused after: a header
//   magic "ELBOIMGS" | version u32 = 1 | channels, height, width u32 | count u64 | hash u64
// (little-endian; 40 bytes) then count images of channels·height·width bytes (CHW). The hash (FNV-1a,
// 64 bit) covers every file's relative path, size and modification time, so adding, removing or
// changing a file rebuilds the cache; so does a different size or channel count. Images are read
// from the cache on demand (positional reads: safe from several threads).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/data/dataset.hpp"
#include "elbo/io/input_file.hpp"

namespace elbo::data {

struct ImageFolderOptions {
  int64_t size = 64;       // output height and width
  int64_t channels = 3;    // 3 RGB or 1 grey
  std::string cache_path;  // default: <dir>/.elbo-cache-<size>px-<rgb|grey>.bin
};

class ImageFolder final : public Dataset {
 public:
  explicit ImageFolder(const std::string& dir, const ImageFolderOptions& options = {});

  std::string name() const override { return "images:" + dir_; }
  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  ImageShape image_shape() const override { return {options_.channels, options_.size, options_.size}; }
  void image(int64_t index, float* out) const override;

  // The image files, relative to the directory, in index order.
  const std::vector<std::string>& files() const { return files_; }
  const std::string& cache_path() const { return options_.cache_path; }
  // Whether this construction wrote the cache (false: an up-to-date cache was reused).
  bool built_cache() const { return built_; }

 private:
  void build_cache(uint64_t hash) const;
  std::string dir_;
  ImageFolderOptions options_;
  std::vector<std::string> files_;
  io::InputFile cache_;
  bool built_ = false;
};

// Centre crop and area-averaging resize of one 8-bit image (HWC, `channels` interleaved) to
// size × size, written CHW. Exposed for tests and tools.
void crop_and_resize(const uint8_t* pixels, int64_t width, int64_t height, int64_t channels, int64_t size,
                     uint8_t* out);

}  // namespace elbo::data
