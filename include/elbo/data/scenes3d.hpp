// 3D scenes: a generated dataset of 64×64 RGB images with six ground-truth factors, in the spirit
// of DeepMind's 3D Shapes (Burgess & Kim 2018, github.com/deepmind/3d-shapes), whose generator
// was never released. Each image is ray cast on demand: one object standing on the floor of a
// room corner (a floor and a back wall), seen by a fixed camera and lit by one directional light.
//
// Factors, in index order (the last varies fastest), as in 3D Shapes:
//   floor_hue    10   hue k/10 of the floor            0.0, 0.1, …, 0.9
//   wall_hue     10   hue of the back wall
//   object_hue   10   hue of the object
//   scale         8   object size, linspace(0.75, 1.25, 8)
//   shape         4   cube, cylinder, sphere, capsule  0, 1, 2, 3
//   orientation  15   turn about the vertical axis, linspace(−30°, 30°, 15)
//   index = floor_hue·48000 + wall_hue·4800 + object_hue·480 + scale·60 + shape·15 + orientation
//   (480,000 images)
//
// Pixel colour = light × RGB(hue of the surface seen, saturation 0.75, value 1), light = ambient
// + diffuse·max(0, n·l), and ambient only where the object shadows the floor or wall. One ray
// through each pixel centre, no anti-aliasing: every pixel shows exactly one surface. The scene's
// geometry and constants are in src/data/scenes3d.cpp and docs/DATASETS.md. The sphere and the
// upright cylinder look the same at every orientation (as squares and ellipses repeat images in
// dSprites); the cube and the capsule, which lies on its side, show their turn.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/data/dataset.hpp"

namespace elbo::data {

// Factor levels of one scene (each in [0, size of its factor)).
struct SceneFactors {
  int64_t floor_hue = 0;    // 0 … 9
  int64_t wall_hue = 0;     // 0 … 9
  int64_t object_hue = 0;   // 0 … 9
  int64_t scale = 0;        // 0 … 7
  int64_t shape = 0;        // 0 cube, 1 cylinder, 2 sphere, 3 capsule
  int64_t orientation = 0;  // 0 … 14, from −30° to 30°
};

// What a pixel shows.
enum class Surface : uint8_t { floor = 0, wall = 1, object = 2 };

class Scenes3d final : public GroundTruthDataset {
 public:
  static constexpr int64_t kSize = 64;  // image height and width in pixels

  Scenes3d();  // traces the camera rays to the floor and wall once
  std::string name() const override { return "scenes3d"; }
  ImageShape image_shape() const override { return {3, kSize, kSize}; }
  const std::vector<Factor>& factor_list() const override { return factor_list_; }
  void image(int64_t index, float* out) const override;

  // The factor levels of image `index` (the mixed-radix digits, as factors()).
  SceneFactors scene_factors(int64_t index) const;
  // Renders one scene into rgb[0 .. 3·64·64) (channel-major: R plane, G plane, B plane) and, when
  // `surface` is not null, what each pixel shows into surface[0 .. 64·64) (row-major).
  void render(const SceneFactors& f, float* rgb, Surface* surface) const;
  // The value of factor `factor` (0 floor_hue … 5 orientation) at `level`: hues in [0, 0.9],
  // scale in [0.75, 1.25], shape 0…3, orientation in degrees [−30, 30].
  static double factor_value(int64_t factor, int64_t level);

 private:
  // A camera ray and where it meets the room when nothing is in the way.
  struct PixelRay {
    double dir[3];        // unit direction from the eye
    double hit[3];        // the point of the floor or wall it reaches
    Surface surface;      // which of the two
    double light;         // ambient + diffuse·max(0, n·l) there, without the object's shadow
  };
  std::vector<Factor> factor_list_;
  std::vector<PixelRay> rays_;  // kSize·kSize, row-major
};

}  // namespace elbo::data
