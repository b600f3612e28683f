// dSprites, generated: the factor grid and index order of DeepMind's dSprites (Matthey, Higgins,
// Hassabis & Lerchner 2017, github.com/deepmind/dsprites-dataset), rendered on demand.
//
// Factors, in index order (the last varies fastest), with the values of the original file's
// `latents_values`:
//   shape        3   square, ellipse, heart                 values 1, 2, 3
//   scale        6   linspace(0.5, 1, 6)                     0.5, 0.6, …, 1.0
//   orientation 40   linspace(0, 2π, 40), both ends included radians; level 39 is level 0 again
//   posX        32   linspace(0, 1, 32)                      0, 1/31, …, 1
//   posY        32   linspace(0, 1, 32)
//   index = shape·245760 + scale·40960 + orientation·1024 + posX·32 + posY     (737,280 images)
//
// Images are binary (0 or 1), one channel, 64×64. The original's pixel geometry was never
// published, so this one is defined here (docs/DATASETS.md has the same constants and reasons):
//   * every shape fits its circumscribed circle, of radius R = 15·scale pixels;
//   * the shape's centre is at (16 + 32·posX, 16 + 32·posY) in pixel units (x to the right, y
//     down: posY grows downwards), so centre ± R stays inside [1, 63] and the one-pixel border of
//     the frame is never drawn on, at every scale and orientation;
//   * orientation θ turns the shape counter-clockwise on screen about its centre;
//   * a pixel is 1 when at least 8 of its 4×4 subsamples fall inside the shape.
// Image i is a pure function of i: no table, no file, no random numbers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/data/dataset.hpp"

namespace elbo::data {

// Factor levels of one dSprites image (each in [0, size of its factor)).
struct SpriteFactors {
  int64_t shape = 0;        // 0 square, 1 ellipse, 2 heart
  int64_t scale = 0;        // 0 … 5
  int64_t orientation = 0;  // 0 … 39
  int64_t pos_x = 0;        // 0 … 31, left to right
  int64_t pos_y = 0;        // 0 … 31, top to bottom
};

// Renders one sprite into out[0 .. 64·64), row-major, values 0 or 1. Checks every level's range.
void render_sprite(const SpriteFactors& f, float* out);

class Dsprites final : public GroundTruthDataset {
 public:
  static constexpr int64_t kSize = 64;  // image height and width in pixels

  Dsprites();
  std::string name() const override { return "dsprites"; }
  ImageShape image_shape() const override { return {1, kSize, kSize}; }
  const std::vector<Factor>& factor_list() const override { return factor_list_; }
  void image(int64_t index, float* out) const override;

  // The factor levels of image `index` (the mixed-radix digits, as factors()).
  SpriteFactors sprite_factors(int64_t index) const;
  // The value of factor `factor` (0 shape … 4 posY) at `level`, as the original's latents_values:
  // shape 1/2/3, scale in [0.5, 1], orientation in radians [0, 2π], positions in [0, 1].
  static double factor_value(int64_t factor, int64_t level);

 private:
  std::vector<Factor> factor_list_;
};

}  // namespace elbo::data
