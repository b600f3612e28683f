// dSprites read from DeepMind's file (Matthey, Higgins, Hassabis & Lerchner 2017,
// github.com/deepmind/dsprites-dataset): dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz, with
//   imgs             u8  [737280, 64, 64]   pixels 0 or 1
//   latents_classes  i64 [737280, 6]        factor levels (color, shape, scale, orientation, posX, posY)
//   latents_values, metadata                (not read; metadata is a pickled Python object)
// The file is written with np.savez_compressed: each member is deflated, and imgs inflates to 3 GB.
// It is streamed (io/npz.hpp) into a bit mask, one bit per pixel (377 MB), never held whole.
//
// The factors are the five that vary: shape 3, scale 6, orientation 40, posX 32, posY 32 (color has
// one level and is dropped). Their sizes are read from the file (1 + the largest level of each column)
// and every row of latents_classes is checked against the mixed-radix order of dataset.hpp
//     index = shape·245760 + scale·40960 + orientation·1024 + posX·32 + posY
// so factors(i) and index(f) address the file's images exactly. Any file with these two arrays in
// this order is read the same way (the tests use a small one).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/data/dataset.hpp"

namespace elbo::data {

class DspritesFile final : public GroundTruthDataset {
 public:
  explicit DspritesFile(const std::string& npz_path);

  std::string name() const override { return "dsprites-file"; }
  ImageShape image_shape() const override { return {1, height_, width_}; }
  const std::vector<Factor>& factor_list() const override { return factors_; }
  void image(int64_t index, float* out) const override;

 private:
  std::string path_;
  int64_t count_ = 0, height_ = 0, width_ = 0, words_per_image_ = 0;
  std::vector<Factor> factors_;
  std::vector<uint64_t> bits_;  // image i: words [i·words_per_image_, (i+1)·words_per_image_), pixel p at bit p
};

// The official file's name.
inline const char* kDspritesFileName = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz";

}  // namespace elbo::data
