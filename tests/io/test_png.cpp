#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/png.hpp"
#include "io/font5x7.hpp"
#include "gradcheck.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::io;
using namespace elbo::testing;

namespace {

Tensor pattern(const Shape& shape) {
  std::vector<double> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>((i * 37) % 101) / 100.0;
  return from_vector(shape, v);
}

}  // namespace

TEST_CASE("io: png write and read back, grey and RGB") {
  TempDir dir;
  for (int64_t c : {1, 3}) {
    Tensor img = pattern(Shape{c, 5, 7});
    write_png(dir.file("a.png"), img);
    std::vector<uint8_t> bytes = read_file(dir.file("a.png"));
    REQUIRE(bytes.size() > 8);
    CHECK(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 8) ==
          std::vector<uint8_t>{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    Tensor back = read_image(dir.file("a.png"));
    REQUIRE(back.shape() == img.shape());
    std::vector<double> want = img.to_vector();
    for (double& v : want) v = std::round(v * 255.0) / 255.0;
    check_values(back, want, 1e-6);
  }
  // Out-of-range values are clamped, NaN is black; u8 tensors are written as they are; [H, W] is grey.
  write_png(dir.file("c.png"), from_values(Shape{1, 1, 4}, {-1, 2, NAN, 0.5}));
  check_values(read_image(dir.file("c.png")), {0, 1, 0, 128.0 / 255.0}, 1e-6);
  write_png(dir.file("u.png"), from_values(Shape{2, 2}, {0, 10, 200, 255}, DType::u8));
  check_values(read_image(dir.file("u.png")), {0, 10.0 / 255, 200.0 / 255, 1}, 1e-6);
  // Conversions on reading: RGB to grey (stb's weights), grey to RGB.
  write_png(dir.file("rgb.png"), from_values(Shape{3, 1, 1}, {1, 0, 0}));
  check_values(read_image(dir.file("rgb.png"), 1), {std::floor(255.0 * 77 / 256) / 255.0}, 1e-6);
  CHECK(read_image(dir.file("u.png"), 3).shape() == Shape{3, 2, 2});
}

TEST_CASE("io: png errors name the file") {
  TempDir dir;
  write_file_atomic(dir.file("not.png"), std::string("hello, this is text"));
  CHECK_THROWS_WITH_AS(read_image(dir.file("not.png")), doctest::Contains((dir.file("not.png") + ": not a readable image").c_str()), Error);
  write_png(dir.file("a.png"), pattern(Shape{3, 8, 8}));
  std::vector<uint8_t> bytes = read_file(dir.file("a.png"));
  write_bytes(dir.file("cut.png"), std::vector<uint8_t>(bytes.begin(), bytes.begin() + 40));
  CHECK_THROWS_WITH_AS(read_image(dir.file("cut.png")), doctest::Contains("cut.png"), Error);
  CHECK_THROWS_WITH_AS(read_image(dir.file("missing.png")), doctest::Contains("No such file"), Error);
  CHECK_THROWS_WITH_AS(write_png(dir.file("b.png"), zeros(Shape{2, 4, 4})), doctest::Contains("1 (grey) or 3 (RGB)"), Error);
  CHECK_THROWS_WITH_AS(write_png(dir.file("no/such/dir.png"), zeros(Shape{1, 4, 4})), doctest::Contains("does the directory exist"),
                       Error);
}

TEST_CASE("io: image grid places images, margins and background") {
  // Five 1×4×3 images in rows of 3 with a 1-pixel margin: 2 rows, 11 × 13 pixels.
  Tensor images = empty(Shape{5, 1, 4, 3});
  float* p = images.data<float>();
  for (int64_t i = 0; i < 5 * 12; ++i) p[i] = 0.1f * static_cast<float>(i / 12) + 0.001f * static_cast<float>(i % 12);
  GridOptions o;
  o.cols = 3;
  o.margin = 1;
  o.background = 1.0f;
  Tensor grid = image_grid(images, o);
  REQUIRE(grid.shape() == Shape{1, 11, 13});
  const float* g = grid.data<float>();
  for (int64_t y = 0; y < 11; ++y) {
    for (int64_t x = 0; x < 13; ++x) {
      float want = 1.0f;  // margin or the empty sixth slot
      int64_t row = (y - 1) / 5, col = (x - 1) / 4, iy = (y - 1) % 5, ix = (x - 1) % 4;
      if (y >= 1 && x >= 1 && iy < 4 && ix < 3 && row * 3 + col < 5) want = p[(row * 3 + col) * 12 + iy * 3 + ix];
      CHECK_MESSAGE(g[y * 13 + x] == want, "pixel (", y, ", ", x, ")");
    }
  }
  // Default: ⌈√5⌉ = 3 columns and 2-pixel margins; RGB stays RGB.
  CHECK(image_grid(pattern(Shape{5, 3, 4, 4})).shape() == Shape{3, 2 * 4 + 3 * 2, 3 * 4 + 4 * 2});
  CHECK_THROWS_WITH_AS(image_grid(zeros(Shape{4, 2, 3, 3})), doctest::Contains("C = 1 or 3"), Error);
  o.row_labels = {"one"};
  CHECK_THROWS_WITH_AS(image_grid(images, o), doctest::Contains("1 row labels for 2 rows"), Error);
}

TEST_CASE("io: labels are drawn with the 5x7 font") {
  // Every character the labels need has its own glyph.
  for (char c : std::string("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-=")) {
    CHECK_MESSAGE(font5x7::glyph(c).c == c, c);
  }
  CHECK(font5x7::glyph('b').c == 'B');
  CHECK(font5x7::glyph('@').c == '?');
  // "7" drawn at (1, 2) on a black 9 × 8 image: exactly the glyph's bits light up.
  Tensor img = zeros(Shape{1, 9, 8});
  CHECK(draw_text(img, "7", 2, 1, 1.0f) == 6);
  const float* px = img.data<float>();
  const uint8_t seven[7] = {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08};
  for (int64_t y = 0; y < 9; ++y)
    for (int64_t x = 0; x < 8; ++x) {
      bool on = y >= 1 && y < 8 && x >= 2 && x < 7 && ((seven[y - 1] >> (4 - (x - 2))) & 1);
      CHECK_MESSAGE(px[y * 8 + x] == (on ? 1.0f : 0.0f), "pixel (", y, ", ", x, ")");
    }
  // Scale 2 doubles every pixel; text running off the edge is clipped.
  Tensor big = zeros(Shape{1, 14, 10});
  draw_text(big, "7", 0, 0, 1.0f, 2);
  CHECK(big.data<float>()[0] == 1.0f);
  CHECK(big.data<float>()[1 * 10 + 1] == 1.0f);
  CHECK(big.data<float>()[2 * 10 + 0] == 0.0f);
  CHECK_NOTHROW(draw_text(big, "WIDE TEXT", 5, 10, 1.0f, 3));
  // A labelled grid: the label column is left of the images, ink dark on a light background.
  Tensor images = full(Shape{2, 1, 9, 9}, 0.5);
  GridOptions o;
  o.cols = 1;
  o.margin = 2;
  o.row_labels = {"B=4", "-1.5"};
  Tensor grid = image_grid(images, o);
  CHECK(grid.shape() == Shape{1, 2 * 9 + 3 * 2, 4 * 6 + 2 + 9 + 2 * 2});
  std::vector<double> v = grid.to_vector();
  double ink = 0;
  for (int64_t y = 0; y < grid.size(1); ++y)
    for (int64_t x = 0; x < 26; ++x) ink += v[static_cast<size_t>(y * grid.size(2) + x)] == 0.0 ? 1 : 0;
  CHECK(ink > 20);
  CHECK(v[static_cast<size_t>(2 * grid.size(2) + 28)] == 0.5);  // first image's top-left pixel
  TempDir dir;
  write_image_grid(dir.file("g.png"), images, o);
  CHECK(read_image(dir.file("g.png")).shape() == grid.shape());
}
