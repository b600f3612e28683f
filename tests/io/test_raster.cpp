// Raster primitives (io/raster.hpp), checked against their pixel rules: which pixels each call
// sets, in which colour, and that clipping to the canvas and to a clip rectangle holds.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/raster.hpp"

using namespace elbo;
using namespace elbo::io;

namespace {

// The pixels of the canvas that are not white, as (x, y) pairs in row-major order.
std::vector<std::array<int64_t, 2>> inked(const Tensor& canvas) {
  std::vector<std::array<int64_t, 2>> out;
  for (int64_t y = 0; y < canvas.size(1); ++y)
    for (int64_t x = 0; x < canvas.size(2); ++x)
      if (pixel(canvas, x, y) != kWhite) out.push_back({x, y});
  return out;
}

bool near(Rgb a, Rgb b) {
  return std::abs(a.r - b.r) < 1e-6f && std::abs(a.g - b.g) < 1e-6f && std::abs(a.b - b.b) < 1e-6f;
}

}  // namespace

TEST_CASE("io: raster canvas, pixel and rectangles with alpha and clipping") {
  Tensor c = make_canvas(10, 8, {0.2f, 0.4f, 0.6f});
  CHECK(c.shape() == Shape{3, 8, 10});
  CHECK(pixel(c, 9, 7) == Rgb{0.2f, 0.4f, 0.6f});
  Tensor one = make_canvas(5, 4);
  set_pixel(one, 3, 2, {1, 0, 0});
  set_pixel(one, 5, 2, kBlack);   // off the canvas: skipped
  set_pixel(one, -1, 0, kBlack);
  REQUIRE(inked(one).size() == 1);
  CHECK(pixel(one, 3, 2) == Rgb{1, 0, 0});
  // Blending: 0.25·colour + 0.75·old, only inside the rectangle.
  fill_rect(c, {2, 3, 4, 2}, {1, 0, 0}, 0.25f);
  CHECK(near(pixel(c, 2, 3), {0.25f + 0.75f * 0.2f, 0.75f * 0.4f, 0.75f * 0.6f}));
  CHECK(near(pixel(c, 5, 4), pixel(c, 2, 3)));
  CHECK(pixel(c, 6, 4) == Rgb{0.2f, 0.4f, 0.6f});
  CHECK(pixel(c, 2, 5) == Rgb{0.2f, 0.4f, 0.6f});

  // A rectangle far larger than the canvas fills it; a clip rectangle limits it further.
  Tensor w = make_canvas(10, 10);
  fill_rect(w, {-5, -5, 100, 100}, kBlack, 1.0f, {3, 4, 2, 3});
  const std::vector<std::array<int64_t, 2>> clipped = inked(w);
  REQUIRE(clipped.size() == 6);
  CHECK(clipped.front() == std::array<int64_t, 2>{3, 4});
  CHECK(clipped.back() == std::array<int64_t, 2>{4, 6});
  fill_rect(w, {-5, -5, 100, 100}, kBlack);
  CHECK(inked(w).size() == 100);

  // An outline `thickness` wide inside the rectangle; thicker than the rectangle, it fills it.
  Tensor o = make_canvas(10, 10);
  draw_rect_outline(o, {1, 1, 6, 5}, kBlack, 2);
  CHECK(inked(o).size() == 6 * 5 - 2 * 1);
  CHECK(pixel(o, 3, 3) == kWhite);
  CHECK(pixel(o, 4, 3) == kWhite);
  CHECK(pixel(o, 2, 3) == kBlack);
  CHECK(pixel(o, 5, 3) == kBlack);
  draw_rect_outline(o, {1, 1, 6, 5}, kBlack, 10);
  CHECK(inked(o).size() == 30);
  // Clipped: the outline of a rectangle sticking out of the clip keeps only the edges inside it.
  Tensor oc = make_canvas(10, 10);
  draw_rect_outline(oc, {2, 2, 6, 6}, kBlack, 1, {0, 0, 5, 10});
  CHECK(inked(oc).size() == 3 + 3 + 6 - 2);  // top and bottom rows x = 2..4, left column y = 2..7
}

TEST_CASE("io: raster Bresenham line, disks and thick lines") {
  Tensor l = make_canvas(8, 4);
  draw_line(l, 0, 0, 5, 2, kBlack);
  const std::vector<std::array<int64_t, 2>> line = inked(l);
  const std::vector<std::array<int64_t, 2>> want = {{0, 0}, {1, 0}, {2, 1}, {3, 1}, {4, 2}, {5, 2}};
  CHECK(line == want);
  Tensor back = make_canvas(8, 4);
  draw_line(back, 5, 2, 0, 0, kBlack);  // the same pixels drawn from the other end
  CHECK(inked(back).size() == 6);
  draw_line(back, -3, 1, 20, 1, kBlack);  // off the canvas: only the pixels on it
  CHECK(pixel(back, 7, 1) == kBlack);

  // Disks: dx² + dy² ≤ r² + r gives 9, 21 and 37 pixels for r = 1, 2, 3.
  for (auto [r, count] : {std::array<int64_t, 2>{1, 9}, {2, 21}, {3, 37}}) {
    Tensor d = make_canvas(11, 11);
    fill_disk(d, 5, 5, r, kBlack);
    CHECK(inked(d).size() == static_cast<size_t>(count));
    CHECK(pixel(d, 5 + r, 5) == kBlack);
    CHECK(pixel(d, 5 + r, 5 + r) == (r == 1 ? kBlack : kWhite));  // 2r² ≤ r² + r only for r = 1
  }
  Tensor dc = make_canvas(11, 11);
  fill_disk(dc, 5, 5, 3, kBlack, {0, 0, 6, 11});  // the left half and the centre column
  CHECK(inked(dc).size() == 4 + 2 * 4 + 2 * 3 + 2 * 2);  // dx ≤ 0 with |dx| ≤ 3, 3, 2, 1 in rows dy = 0, ±1, ±2, ±3

  // A thick line: 3×3 squares around the points of the segment; a diagonal one covers the pixels
  // within one of a diagonal pixel (k, k), k = 2 … 6.
  Tensor t = make_canvas(10, 10);
  draw_thick_line(t, 2.0, 2.0, 6.0, 6.0, kBlack);
  for (int64_t y = 0; y < 10; ++y)
    for (int64_t x = 0; x < 10; ++x) {
      bool near_diagonal = false;
      for (int64_t k = 2; k <= 6; ++k) near_diagonal |= std::abs(x - k) <= 1 && std::abs(y - k) <= 1;
      CHECK(pixel(t, x, y) == (near_diagonal ? kBlack : kWhite));
    }
  Tensor h = make_canvas(12, 8);
  draw_thick_line(h, 2.0, 5.0, 8.4, 5.0, kBlack, {0, 0, 6, 8});
  CHECK(inked(h).size() == 5 * 3);  // columns 1 … 5 of rows 4 … 6
}

TEST_CASE("io: raster errors name the call") {
  Tensor grey = full(Shape{1, 4, 4}, 1.0);
  CHECK_THROWS_WITH_AS(fill_rect(grey, {0, 0, 1, 1}, kBlack), doctest::Contains("fill_rect"), Error);
  CHECK_THROWS_WITH_AS(fill_disk(grey, 1, 1, 1, kBlack), doctest::Contains("[3, H, W]"), Error);
  CHECK_THROWS_AS(make_canvas(0, 5), Error);
  CHECK_THROWS_AS(make_canvas(40000, 5), Error);
  Tensor c = make_canvas(4, 4);
  CHECK_THROWS_WITH_AS(pixel(c, 4, 0), doctest::Contains("outside"), Error);
  CHECK_THROWS_AS(draw_label(c, "A", 0, 0, kBlack, 0), Error);
}
