// dSprites rendered on demand: see dsprites.hpp for the factors and docs/DATASETS.md for the
// geometry. Every constant below carries its reason.
#include "elbo/data/dsprites.hpp"

#include <algorithm>
#include <cmath>

namespace elbo::data {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Factor sizes, in index order.
constexpr int64_t kShapes = 3, kScales = 6, kOrientations = 40, kPositions = 32;

// Radius, in pixels, of the circle every shape fits in at scale 1. With the centre in [16, 48]
// (below), the shape stays inside [16 − 15, 48 + 15] = [1, 63]: the outer pixel ring of the
// 64×64 frame is never drawn on, whatever the scale, orientation and position.
constexpr double kRadiusAtScale1 = 15.0;
// The centre moves over the middle half of the frame: centre = 16 + 32·pos, pos ∈ [0, 1].
// One position step is 32/31 ≈ 1.03 pixels.
constexpr double kCentreLow = 16.0, kCentreSpan = 32.0;
// Supersampling: 4×4 subsamples per pixel, at offsets (a + ½)/4, a = 0…3, in x and in y.
// The pixel is set when at least half of them (8 of 16) fall inside the shape.
constexpr int kSubsamples = 4;
constexpr int kSamplesPerPixel = kSubsamples * kSubsamples;
constexpr int kCoverageThreshold = kSamplesPerPixel / 2;

// The shapes in their own frame (u to the right, v up), each inside the unit circle so that one
// radius R bounds all three at every orientation:
//   square   max(|u|, |v|) ≤ 1/√2              its corners lie on the unit circle
//   ellipse  u² + (v / ½)² ≤ 1                  semi-axes 1 and ½, long axis along u at θ = 0
//   heart    (x² + y² − 1)³ − x²·y³ ≤ 0         a classic algebraic heart (lobes up, tip down),
//            x = 5/4·u,  y = 5/4·v + 1/4        placed so that its smallest enclosing circle is
//                                               the unit circle: that circle has centre (0, ¼)
//                                               and radius 5/4 in (x, y), touching the tip
//                                               (0, −1) and the lobes at (±1, 1), where the
//                                               curve meets it tangentially.
// All three are star-shaped about the centre, so a larger scale draws a superset of pixels.
constexpr float kSquareHalfSide = 0.70710678f;  // 1/√2
constexpr float kEllipseMinor = 0.5f;
constexpr float kHeartScale = 1.25f, kHeartShift = 0.25f;

inline int inside_square(float u, float v) {
  return std::max(std::fabs(u), std::fabs(v)) <= kSquareHalfSide ? 1 : 0;
}
inline int inside_ellipse(float u, float v) {
  const float w = v / kEllipseMinor;
  return u * u + w * w <= 1.0f ? 1 : 0;
}
inline int inside_heart(float u, float v) {
  const float x = kHeartScale * u, y = kHeartScale * v + kHeartShift;
  const float r = x * x + y * y - 1.0f;
  return r * r * r - x * x * y * y * y <= 0.0f ? 1 : 0;
}

// How many of a pixel's 16 subsamples fall inside the shape: subsample s sits at shape-frame
// coordinates (u0 + du[s], v0 + dv[s]).
int covered_subsamples(int64_t shape, float u0, float v0, const float* du, const float* dv) {
  int count = 0;
  switch (shape) {
    case 0:
      for (int s = 0; s < kSamplesPerPixel; ++s) count += inside_square(u0 + du[s], v0 + dv[s]);
      break;
    case 1:
      for (int s = 0; s < kSamplesPerPixel; ++s) count += inside_ellipse(u0 + du[s], v0 + dv[s]);
      break;
    default:
      for (int s = 0; s < kSamplesPerPixel; ++s) count += inside_heart(u0 + du[s], v0 + dv[s]);
      break;
  }
  return count;
}

}  // namespace

void render_sprite(const SpriteFactors& f, float* out) {
  ELBO_CHECK(f.shape >= 0 && f.shape < kShapes && f.scale >= 0 && f.scale < kScales && f.orientation >= 0 &&
                 f.orientation < kOrientations && f.pos_x >= 0 && f.pos_x < kPositions && f.pos_y >= 0 &&
                 f.pos_y < kPositions,
             "render_sprite: factor levels (shape ", f.shape, ", scale ", f.scale, ", orientation ", f.orientation,
             ", posX ", f.pos_x, ", posY ", f.pos_y, ") out of range: expected shape < 3, scale < 6, orientation < 40, ",
             "positions < 32");
  constexpr int64_t n = Dsprites::kSize;
  std::fill(out, out + n * n, 0.0f);

  const double radius = kRadiusAtScale1 * Dsprites::factor_value(1, f.scale);
  // θ = 2π·k/39. Level 39 is a full turn; reducing k mod 39 makes it the same rotation as
  // level 0 bit for bit (cos 2π and sin 2π in floating point are not exactly 1 and 0).
  const double angle = 2.0 * kPi * static_cast<double>(f.orientation % (kOrientations - 1)) /
                       static_cast<double>(kOrientations - 1);
  const double cx = kCentreLow + kCentreSpan * Dsprites::factor_value(3, f.pos_x);
  const double cy = kCentreLow + kCentreSpan * Dsprites::factor_value(4, f.pos_y);

  // Image point (x, y) (y down) in the shape's frame (v up), turned back by θ and scaled by 1/R:
  //   u = ( cos θ·(x − cx) − sin θ·(y − cy)) / R
  //   v = (−sin θ·(x − cx) − cos θ·(y − cy)) / R
  // so that a shape turned counter-clockwise on screen by θ is drawn. The subsample offsets are
  // the same for every pixel: their (u, v) is computed once.
  const double c = std::cos(angle) / radius, s = std::sin(angle) / radius;
  float du[kSamplesPerPixel], dv[kSamplesPerPixel];
  for (int b = 0; b < kSubsamples; ++b) {
    for (int a = 0; a < kSubsamples; ++a) {
      const double ox = (a + 0.5) / kSubsamples, oy = (b + 0.5) / kSubsamples;
      du[b * kSubsamples + a] = static_cast<float>(c * ox - s * oy);
      dv[b * kSubsamples + a] = static_cast<float>(-s * ox - c * oy);
    }
  }

  // Only pixels that meet the circle of radius R about the centre can be set.
  const int64_t x0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(cx - radius)));
  const int64_t x1 = std::min<int64_t>(n - 1, static_cast<int64_t>(std::floor(cx + radius)));
  const int64_t y0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(cy - radius)));
  const int64_t y1 = std::min<int64_t>(n - 1, static_cast<int64_t>(std::floor(cy + radius)));
  for (int64_t y = y0; y <= y1; ++y) {
    const double ry = static_cast<double>(y) - cy;
    for (int64_t x = x0; x <= x1; ++x) {
      const double rx = static_cast<double>(x) - cx;
      const float u0 = static_cast<float>(c * rx - s * ry), v0 = static_cast<float>(-s * rx - c * ry);
      if (covered_subsamples(f.shape, u0, v0, du, dv) >= kCoverageThreshold) out[y * n + x] = 1.0f;
    }
  }
}

Dsprites::Dsprites()
    : factor_list_{{"shape", kShapes}, {"scale", kScales}, {"orientation", kOrientations}, {"posX", kPositions},
                   {"posY", kPositions}} {}

// The mixed-radix digits of `index`, as factors() computes them but without a vector: this runs
// once per rendered image.
SpriteFactors Dsprites::sprite_factors(int64_t index) const {
  ELBO_CHECK(index >= 0 && index < size(), "dsprites: index ", index, " is out of range [0, ", size(), ")");
  SpriteFactors f;
  f.pos_y = index % kPositions;
  index /= kPositions;
  f.pos_x = index % kPositions;
  index /= kPositions;
  f.orientation = index % kOrientations;
  index /= kOrientations;
  f.scale = index % kScales;
  f.shape = index / kScales;
  return f;
}

void Dsprites::image(int64_t index, float* out) const { render_sprite(sprite_factors(index), out); }

double Dsprites::factor_value(int64_t factor, int64_t level) {
  static constexpr int64_t sizes[] = {kShapes, kScales, kOrientations, kPositions, kPositions};
  ELBO_CHECK(factor >= 0 && factor < 5, "Dsprites::factor_value: factor ", factor,
             " out of range [0, 5) (shape, scale, orientation, posX, posY)");
  ELBO_CHECK(level >= 0 && level < sizes[factor], "Dsprites::factor_value: level ", level, " of factor ", factor,
             " out of range [0, ", sizes[factor], ")");
  const double t = static_cast<double>(level);
  switch (factor) {
    case 0: return t + 1.0;                                                   // 1, 2, 3
    case 1: return 0.5 + 0.5 * t / static_cast<double>(kScales - 1);          // linspace(0.5, 1, 6)
    case 2: return 2.0 * kPi * t / static_cast<double>(kOrientations - 1);    // linspace(0, 2π, 40)
    default: return t / static_cast<double>(kPositions - 1);                  // linspace(0, 1, 32)
  }
}

}  // namespace elbo::data
