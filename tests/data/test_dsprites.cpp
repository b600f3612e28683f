// Generated dSprites: the official factor grid and index order, and the rendered geometry
// (sizes, positions, orientation, the frame rule) against values computed by hand from the
// constants in dsprites.hpp.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "elbo/data/dsprites.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::data;

namespace {

constexpr int64_t kN = 64;

std::vector<float> sprite(int64_t shape, int64_t scale, int64_t orientation, int64_t x, int64_t y) {
  std::vector<float> img(kN * kN);
  render_sprite({shape, scale, orientation, x, y}, img.data());
  return img;
}

int64_t count(const std::vector<float>& img) {
  int64_t n = 0;
  for (float v : img) n += v > 0.5f;
  return n;
}

struct Box {
  int64_t x0 = kN, x1 = -1, y0 = kN, y1 = -1;
};
Box bounding_box(const std::vector<float>& img) {
  Box b;
  for (int64_t y = 0; y < kN; ++y)
    for (int64_t x = 0; x < kN; ++x)
      if (img[y * kN + x] > 0.5f) {
        b.x0 = std::min(b.x0, x), b.x1 = std::max(b.x1, x), b.y0 = std::min(b.y0, y), b.y1 = std::max(b.y1, y);
      }
  return b;
}

// Mean pixel-centre coordinates of the foreground: (x, y), y down.
std::pair<double, double> centroid(const std::vector<float>& img) {
  double sx = 0, sy = 0, n = 0;
  for (int64_t y = 0; y < kN; ++y)
    for (int64_t x = 0; x < kN; ++x)
      if (img[y * kN + x] > 0.5f) sx += x + 0.5, sy += y + 0.5, n += 1;
  return {sx / n, sy / n};
}

// Runs of foreground pixels in row y.
int runs(const std::vector<float>& img, int64_t y) {
  int r = 0;
  for (int64_t x = 0; x < kN; ++x)
    if (img[y * kN + x] > 0.5f && (x == 0 || img[y * kN + x - 1] < 0.5f)) ++r;
  return r;
}

}  // namespace

TEST_CASE("data: dsprites factors, sizes and values are the official ones") {
  Dsprites d;
  CHECK(d.name() == "dsprites");
  CHECK(d.size() == 737280);
  REQUIRE(d.num_factors() == 5);
  const char* names[5] = {"shape", "scale", "orientation", "posX", "posY"};
  const int64_t sizes[5] = {3, 6, 40, 32, 32};
  for (int k = 0; k < 5; ++k) {
    CHECK(d.factor_list()[k].name == names[k]);
    CHECK(d.factor_list()[k].size == sizes[k]);
  }
  CHECK(d.image_shape().channels == 1);
  CHECK(d.image_shape().height == 64);
  CHECK(d.image_shape().width == 64);
  CHECK(Dsprites::factor_value(0, 2) == 3.0);
  CHECK(Dsprites::factor_value(1, 0) == 0.5);
  CHECK(Dsprites::factor_value(1, 3) == doctest::Approx(0.8));
  CHECK(Dsprites::factor_value(1, 5) == 1.0);
  CHECK(Dsprites::factor_value(2, 1) == doctest::Approx(0.16110732));  // 2π/39, as the notebook prints
  CHECK(Dsprites::factor_value(2, 39) == doctest::Approx(2 * M_PI));
  CHECK(Dsprites::factor_value(3, 1) == doctest::Approx(0.03225806));
  CHECK(Dsprites::factor_value(4, 31) == 1.0);
  CHECK_THROWS_AS(Dsprites::factor_value(5, 0), Error);
  CHECK_THROWS_AS(Dsprites::factor_value(2, 40), Error);
}

TEST_CASE("data: dsprites index = shape·245760 + scale·40960 + orientation·1024 + posX·32 + posY") {
  Dsprites d;
  const int64_t last[5] = {2, 5, 39, 31, 31};
  // Every corner of the grid (each factor at its first or last level).
  for (int corner = 0; corner < 32; ++corner) {
    std::vector<int64_t> f(5);
    for (int k = 0; k < 5; ++k) f[k] = (corner >> k) & 1 ? last[k] : 0;
    const int64_t want = f[0] * 245760 + f[1] * 40960 + f[2] * 1024 + f[3] * 32 + f[4];
    CHECK(d.index(f) == want);
    CHECK(d.factors(want) == f);
    SpriteFactors s = d.sprite_factors(want);
    CHECK(std::vector<int64_t>{s.shape, s.scale, s.orientation, s.pos_x, s.pos_y} == f);
  }
  Rng rng{3, 4, 0};
  for (int k = 0; k < 1000; ++k) {
    const int64_t i = static_cast<int64_t>(rng.below(737280));
    std::vector<int64_t> f = d.factors(i);
    CHECK(f[0] * 245760 + f[1] * 40960 + f[2] * 1024 + f[3] * 32 + f[4] == i);
    CHECK(d.index(f) == i);
  }
  CHECK_THROWS_AS(d.sprite_factors(737280), Error);
  std::vector<float> out(kN * kN);
  CHECK_THROWS_AS(d.image(-1, out.data()), Error);
  CHECK_THROWS_AS(render_sprite({3, 0, 0, 0, 0}, out.data()), Error);
  CHECK_THROWS_AS(render_sprite({0, 0, 40, 0, 0}, out.data()), Error);
  CHECK_THROWS_AS(render_sprite({0, 0, 0, 32, 0}, out.data()), Error);
}

TEST_CASE("data: dsprites images are binary and image(i) renders the factors of i") {
  Dsprites d;
  std::vector<float> a(kN * kN);
  const int64_t i = d.index(std::vector<int64_t>{2, 3, 17, 9, 20});
  d.image(i, a.data());
  CHECK(a == sprite(2, 3, 17, 9, 20));
  for (float v : a) CHECK((v == 0.0f || v == 1.0f));
}

TEST_CASE("data: dsprites square and ellipse at scale 1, θ = 0, centre (16, 16): sizes by hand") {
  // Square: half-side 15/√2 = 10.607 about x = 16: x ∈ [5.393, 26.607]. Pixel 5's subsamples at
  // 5.625 and 5.875 are in (2 of 4 columns: 8 of 16 samples, set), pixel 4's are not; likewise
  // pixel 26 (26.125, 26.375). So columns and rows 5 … 26, 22 × 22 pixels, less the 4 corner
  // pixels, which have 2 × 2 = 4 of 16 subsamples in.
  std::vector<float> square = sprite(0, 5, 0, 0, 0);
  Box b = bounding_box(square);
  CHECK(b.x0 == 5);
  CHECK(b.x1 == 26);
  CHECK(b.y0 == 5);
  CHECK(b.y1 == 26);
  CHECK(count(square) == 22 * 22 - 4);
  // Ellipse: semi-axes 15 (along x) and 7.5: x ∈ [1, 31], y ∈ [8.5, 23.5]. Column 1's subsamples
  // 1.125 and 1.375 are in on rows near 16; rows 8 and 23 have 2 of 4 subsample rows in.
  std::vector<float> ellipse = sprite(1, 5, 0, 0, 0);
  b = bounding_box(ellipse);
  CHECK(b.x0 == 1);
  CHECK(b.x1 == 30);
  CHECK(b.y0 == 8);
  CHECK(b.y1 == 23);
  // Area π·15·7.5 ≈ 353.4 pixels; the binarised count is within a pixel per boundary row.
  CHECK(std::abs(count(ellipse) - 353.4) < 12);
  // Half the scale: the square's half-side is 7.5/√2 = 5.303: [10.697, 21.303]. Pixels 10 and 21
  // have 1 of 4 subsample columns in: unset. So pixels 11 … 20, all fully covered.
  std::vector<float> small = sprite(0, 0, 0, 0, 0);
  CHECK(count(small) == 10 * 10);
}

TEST_CASE("data: dsprites heart: lobes up, tip down, not symmetric under a half turn") {
  std::vector<float> heart = sprite(2, 5, 0, 0, 0);
  Box b = bounding_box(heart);
  CHECK(runs(heart, b.y0) == 2);  // two lobes at the top
  CHECK(runs(heart, b.y1) == 1);  // one tip at the bottom
  // Tip at y = 16 + 15 = 31 (the circle's bottom), but row 30, [30, 31), holds only the narrow end
  // of the tip, less than half covered: the last row is 29. Lobe tops at
  // y = 16 − 15·(1.2353 − 0.25)/1.25 ≈ 4.18: row 4 has 3 of 4 subsample rows in.
  CHECK(b.y1 == 29);
  CHECK(b.y0 == 4);
  // Centre (16, 16) lies on a pixel corner, so the half turn about it maps pixel (y, x) to
  // (31 − y, 31 − x) exactly: squares and ellipses are unchanged, the heart is not.
  for (int64_t shape = 0; shape < 3; ++shape) {
    for (int64_t orientation : {0, 5, 13, 22}) {
      std::vector<float> img = sprite(shape, 4, orientation, 0, 0);
      int64_t differ = 0;
      for (int64_t y = 0; y < 32; ++y)
        for (int64_t x = 0; x < 32; ++x) differ += img[y * kN + x] != img[(31 - y) * kN + (31 - x)];
      if (shape < 2)
        CHECK_MESSAGE(differ == 0, "shape " << shape << " orientation " << orientation);
      else
        CHECK_MESSAGE(differ > count(img) / 5, "heart orientation " << orientation << ": " << differ);
    }
  }
}

TEST_CASE("data: dsprites orientation turns counter-clockwise on screen, and 0 and 2π are the same image") {
  // The ellipse's long axis turned by θ = 3·2π/39 ≈ 27.7° counter-clockwise rises to the right:
  // with y down, x and y are negatively correlated.
  std::vector<float> e = sprite(1, 5, 3, 15, 15);
  auto [mx, my] = centroid(e);
  double cov = 0;
  for (int64_t y = 0; y < kN; ++y)
    for (int64_t x = 0; x < kN; ++x)
      if (e[y * kN + x] > 0.5f) cov += (x + 0.5 - mx) * (y + 0.5 - my);
  CHECK(cov < 0);
  // A heart turned by ≈ 92° (level 10) points its tip to the right.
  std::vector<float> h = sprite(2, 5, 10, 15, 15);
  Box b = bounding_box(h);
  CHECK(runs(h, (b.y0 + b.y1) / 2) == 1);
  auto [hx, hy] = centroid(h);
  CHECK(hx < 0.5 * (b.x0 + b.x1 + 1));  // the mass sits in the lobes, on the left
  (void)hy;
  for (int64_t shape = 0; shape < 3; ++shape)
    for (int64_t scale : {0, 2, 5})
      for (int64_t x : {0, 7, 31}) CHECK(sprite(shape, scale, 0, x, 31 - x) == sprite(shape, scale, 39, x, 31 - x));
  CHECK(sprite(2, 5, 0, 15, 15) != sprite(2, 5, 1, 15, 15));
}

TEST_CASE("data: dsprites pixel count grows with scale for every shape") {
  for (int64_t shape = 0; shape < 3; ++shape)
    for (int64_t orientation : {0, 7, 20, 33})
      for (int64_t pos : {0, 16, 31}) {
        int64_t previous = 0;
        for (int64_t scale = 0; scale < 6; ++scale) {
          const int64_t n = count(sprite(shape, scale, orientation, pos, 31 - pos));
          CHECK_MESSAGE(n > previous, "shape " << shape << " orientation " << orientation << " scale " << scale);
          previous = n;
        }
      }
}

TEST_CASE("data: dsprites posX moves the shape right and posY down by 32/31 pixels a step") {
  for (int64_t shape = 0; shape < 3; ++shape) {
    auto [x0, y0] = centroid(sprite(shape, 3, 8, 0, 12));
    double previous = x0 - 1;
    for (int64_t pos = 0; pos < 32; pos += 3) {
      auto [x, y] = centroid(sprite(shape, 3, 8, pos, 12));
      CHECK(x > previous);
      CHECK(std::abs((x - x0) - 32.0 * pos / 31.0) < 0.3);
      CHECK(std::abs(y - y0) < 0.3);
      previous = x;
    }
    auto [a0, b0] = centroid(sprite(shape, 3, 8, 12, 0));
    previous = b0 - 1;
    for (int64_t pos = 0; pos < 32; pos += 3) {
      auto [x, y] = centroid(sprite(shape, 3, 8, 12, pos));
      CHECK(y > previous);
      CHECK(std::abs((y - b0) - 32.0 * pos / 31.0) < 0.3);
      CHECK(std::abs(x - a0) < 0.3);
      previous = y;
    }
  }
}

TEST_CASE("data: dsprites never draws on the outer pixel ring of the frame") {
  // The largest scale at the four extreme positions, every orientation: rows and columns 0 and 63
  // stay empty, and some orientation brings each shape to the next ring (its circle of radius 15
  // about centre 16 or 48 reaches 1 and 63), so the frame rule has no slack to spare.
  for (int64_t shape = 0; shape < 3; ++shape) {
    Box reach;
    for (int64_t orientation = 0; orientation < 40; ++orientation)
      for (int64_t x : {0, 31})
        for (int64_t y : {0, 31}) {
          std::vector<float> img = sprite(shape, 5, orientation, x, y);
          Box b = bounding_box(img);
          INFO("shape " << shape << " orientation " << orientation << " pos " << x << "," << y);
          CHECK(b.x0 >= 1);
          CHECK(b.y0 >= 1);
          CHECK(b.x1 <= 62);
          CHECK(b.y1 <= 62);
          reach.x0 = std::min(reach.x0, b.x0), reach.y0 = std::min(reach.y0, b.y0);
          reach.x1 = std::max(reach.x1, b.x1), reach.y1 = std::max(reach.y1, b.y1);
        }
    CHECK(reach.x0 == 1);
    CHECK(reach.y0 == 1);
    CHECK(reach.x1 == 62);
    CHECK(reach.y1 == 62);
  }
}

TEST_CASE("data: dsprites images are the same at 1 and 2 threads") {
  Dsprites d;
  Rng rng{9, 9, 0};
  std::vector<int64_t> ids(300);
  for (int64_t& i : ids) i = static_cast<int64_t>(rng.below(static_cast<uint64_t>(d.size())));
  testing::check_thread_invariant("dsprites images", [&] { return d.images(ids); });
}
