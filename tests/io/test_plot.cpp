// Raster plots (io/plot.hpp), checked pixel by pixel: known matrices give known colours at known
// places, labels are the font's glyphs, bars and profiles have the heights the values say, and
// figures have the sizes the layout says.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/plot.hpp"
#include "io/font5x7.hpp"

using namespace elbo;
using namespace elbo::io;

namespace {

Rgb blend(Rgb top, Rgb below, float alpha) {
  return {alpha * top.r + (1 - alpha) * below.r, alpha * top.g + (1 - alpha) * below.g, alpha * top.b + (1 - alpha) * below.b};
}

// Equal colours up to float rounding (the compiler may fuse the blend's multiply-add).
bool near(Rgb a, Rgb b) {
  return std::abs(a.r - b.r) < 1e-6f && std::abs(a.g - b.g) < 1e-6f && std::abs(a.b - b.b) < 1e-6f;
}

// Whether any pixel of the rectangle differs from white.
bool inked(const Tensor& canvas, Rect r) {
  for (int64_t y = r.y; y < r.y + r.height; ++y)
    for (int64_t x = r.x; x < r.x + r.width; ++x)
      if (!(pixel(canvas, x, y) == kWhite)) return true;
  return false;
}

}  // namespace

TEST_CASE("io: plot viridis table, interpolation, clamping and NaN") {
  CHECK(viridis(0.0) == Rgb{0.267004f, 0.004874f, 0.329415f});
  CHECK(viridis(1.0) == Rgb{0.993248f, 0.906157f, 0.143936f});
  CHECK(viridis(128.0 / 255.0) == Rgb{0.127568f, 0.566949f, 0.550556f});
  CHECK(viridis(-3.0) == viridis(0.0));
  CHECK(viridis(7.0) == viridis(1.0));
  CHECK(viridis(NAN) == kMissing);
  // Halfway between entries 128 and 160: the mean of the two colours.
  const Rgb mid = viridis(144.0 / 255.0);
  CHECK(mid.g == doctest::Approx((0.566949 + 0.683765) / 2).epsilon(1e-6));
  // Perceptual ordering: brightness (green channel) grows along the map.
  for (int k = 1; k <= 20; ++k) CHECK(viridis(k / 20.0).g > viridis((k - 1) / 20.0).g);
  CHECK(palette_colour(0) == Rgb{0x1f / 255.0f, 0x77 / 255.0f, 0xb4 / 255.0f});
  CHECK(palette_colour(13) == palette_colour(3));
}

TEST_CASE("io: plot labels are the 5x7 glyphs, scaled") {
  Tensor canvas = make_canvas(40, 20);
  const Rgb red{1, 0, 0};
  CHECK(draw_label(canvas, "A7", 3, 2, red, 2) == label_width("A7", 2));
  CHECK(label_width("A7", 2) == 22);
  const char text[2] = {'A', '7'};
  for (int i = 0; i < 2; ++i) {
    const font5x7::Glyph& g = font5x7::glyph(text[i]);
    for (int row = 0; row < 7; ++row)
      for (int col = 0; col < 5; ++col) {
        const bool on = (g.rows[row] >> (4 - col)) & 1;
        for (int d = 0; d < 4; ++d) {  // each font pixel is a 2×2 block
          const int64_t x = 3 + i * 12 + col * 2 + d % 2, y = 2 + row * 2 + d / 2;
          CHECK(pixel(canvas, x, y) == (on ? red : kWhite));
        }
      }
  }
  // Vertical labels: the second character 8·scale pixels below the first.
  Tensor v = make_canvas(10, 30);
  draw_label_vertical(v, "II", 1, 1, kBlack, 1);
  CHECK(pixel(v, 1 + 2, 1) == kBlack);      // 'I' top bar, middle column
  CHECK(pixel(v, 1 + 2, 1 + 8) == kBlack);  // the second 'I'
  CHECK(pixel(v, 1 + 0, 1 + 3) == kWhite);  // 'I' stem only in the middle
}

TEST_CASE("io: plot heatmap colours, NaN cells, colour bar and size") {
  Tensor m = from_vector(Shape{2, 3}, {0.0, 0.5, 1.0, NAN, 0.25, 2.0}, DType::f64);
  HeatmapOptions o;
  o.cell = 10;
  o.text_scale = 1;
  Tensor img = plot_heatmap(m, o);
  // The matrix starts at the margin (4 pixels); cell (r, c) is 10×10.
  const double want[2][3] = {{0.0, 0.5, 1.0}, {NAN, 0.25, 1.0}};
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c)
      for (int64_t dy : {0, 5, 9})
        for (int64_t dx : {0, 5, 9}) CHECK(pixel(img, 4 + c * 10 + dx, 4 + r * 10 + dy) == viridis(want[r][c]));
  CHECK(pixel(img, 3, 4) == kWhite);  // margin
  CHECK(pixel(img, 4 + 30, 4) == kWhite);  // gap before the colour bar
  // Colour bar: 6 pixels right of the matrix, 6 wide, 20 high; top = vmax, bottom = vmin.
  const int64_t bar_x = 4 + 30 + 6;
  CHECK(pixel(img, bar_x, 4) == viridis(1.0));
  CHECK(pixel(img, bar_x + 5, 4 + 19) == viridis(0.0));
  CHECK(pixel(img, bar_x + 6, 4) == kBlack);  // tick mark at vmax = 1
  // Size: bar, tick mark and label (ticks 0, 0.2, …, 1: "0.2" is among the widest), margin.
  CHECK(img.size(0) == 3);
  CHECK(img.size(1) == 4 + 20 + 4 + 4);
  CHECK(img.size(2) == bar_x + 6 + 3 + label_width("0.2", 1) + 4);
  // With a title the matrix moves down by 10 pixels (8·scale + 2·scale).
  o.title = "TT";
  Tensor titled = plot_heatmap(m, o);
  CHECK(pixel(titled, 4 + 5, 14 + 5) == viridis(0.0));
  CHECK(pixel(titled, 4 + 2, 4) == kBlack);  // the top bar of 'T'
  CHECK_THROWS_AS(draw_heatmap(img, m, Rect{0, 0, 2, 2}, 0, 1), Error);
  CHECK_THROWS_AS(draw_heatmap(img, m, Rect{0, 0, 30, 20}, 1, 1), Error);
}

TEST_CASE("io: plot profile above a reordered matrix, blocks shaded, side panel") {
  const int64_t m = 10;
  std::vector<double> eye(m * m, 0.0);
  for (int64_t i = 0; i < m; ++i) eye[static_cast<size_t>(i * m + i)] = 1.0;
  ProfileHeatmap f;
  f.matrix = from_vector(Shape{m, m}, eye, DType::f64);
  f.profile = {INFINITY, 1.0, 0.2, 0.2, 2.0, 0.5, 0.1, 0.1, 0.1, NAN};
  f.blocks = {{1, 3}, {6, 8}};
  std::vector<double> side(m * 2);
  for (int64_t i = 0; i < m; ++i) side[static_cast<size_t>(i * 2)] = 0.0, side[static_cast<size_t>(i * 2 + 1)] = 1.0;
  f.side = from_vector(Shape{m, 2}, side, DType::f64);
  f.side_labels = {"X", "SHAPE"};
  f.cell = 6;
  f.profile_height = 40;
  f.text_scale = 1;
  const ProfileHeatmapLayout l = profile_heatmap_layout(f);
  const Tensor img = plot_profile_heatmap(f);
  CHECK(img.size(2) == l.width);
  CHECK(img.size(1) == l.height);
  // The profile sits right above the matrix, column-aligned.
  CHECK(l.profile.x == l.matrix.x);
  CHECK(l.profile.width == l.matrix.width);
  CHECK(l.matrix.width == 60);
  CHECK(l.profile.y + l.profile.height + 2 == l.matrix.y);
  CHECK(l.side.x == l.matrix.x + 60 + 3);
  CHECK(l.side.width == 2 * 9);  // side columns: max(cell, 9·scale)

  const double top = 2.0 * 1.05;  // the largest finite value plus 5%
  const Rect& p = l.profile;
  auto column_x = [&](int64_t k) { return p.x + k * 6 + 3; };
  const Rgb fill{0.35f, 0.35f, 0.35f};
  // ∞ reaches the top; NaN draws nothing; value v fills round(v/top·40) rows from the bottom.
  CHECK(pixel(img, column_x(0), p.y) == kBlack);
  CHECK(pixel(img, column_x(0), p.y + 20) == fill);
  CHECK(pixel(img, column_x(9), p.y + p.height - 1) == kWhite);
  for (int64_t k : {1, 4, 5}) {
    const int64_t bar = std::lround(f.profile[static_cast<size_t>(k)] / top * 40);
    CHECK(pixel(img, column_x(k), p.y + p.height - bar) == kBlack);  // the line on top of the bar
    CHECK(pixel(img, column_x(k), p.y + p.height - 1) == fill);
    CHECK(pixel(img, column_x(k), p.y + p.height - bar - 1) != fill);
  }
  // Above the bars: block 1 (positions 1..3) shaded in palette colour 0, block 2 in colour 1, others white.
  CHECK(near(pixel(img, column_x(2), p.y + 2), blend(palette_colour(0), kWhite, 0.35f)));
  CHECK(near(pixel(img, column_x(7), p.y + 2), blend(palette_colour(1), kWhite, 0.35f)));
  CHECK(pixel(img, column_x(5), p.y + 2) == kWhite);
  // Block numbers above the profile.
  CHECK(inked(img, {p.x + 6, p.y - 8, 18, 7}));
  CHECK(!inked(img, {p.x + 24, p.y - 8, 12, 7}));

  // The matrix: identity in viridis, blocks outlined in white along the diagonal.
  const Rect& mx = l.matrix;
  CHECK(pixel(img, mx.x + 3, mx.y + 3) == viridis(1.0));
  CHECK(pixel(img, mx.x + 5 * 6 + 3, mx.y + 3) == viridis(0.0));
  CHECK(pixel(img, mx.x + 6, mx.y + 6) == kWhite);             // block [1, 3]: top-left corner
  CHECK(pixel(img, mx.x + 4 * 6 - 1, mx.y + 4 * 6 - 1) == kWhite);  // bottom-right corner
  CHECK(pixel(img, mx.x + 2 * 6 + 3, mx.y + 2 * 6 + 3) == viridis(1.0));  // inside: untouched
  CHECK(pixel(img, mx.x + 3, mx.y + 5 * 6 + 3) == viridis(0.0));
  // Side panel: column 0 all 0, column 1 all 1; labels written below it.
  CHECK(pixel(img, l.side.x + 4, l.side.y + 30) == viridis(0.0));
  CHECK(pixel(img, l.side.x + 13, l.side.y + 30) == viridis(1.0));
  CHECK(inked(img, {l.side.x, l.side.y + l.side.height + 2, l.side.width, 7}));
  CHECK(inked(img, {l.side.x + 9, l.side.y + l.side.height + 2 + 4 * 8, 9, 7}));  // the 'E' of SHAPE
  CHECK(l.height >= l.side.y + l.side.height + 2 + 5 * 8);
  // Colour bar beside everything.
  CHECK(pixel(img, l.colorbar.x + 1, l.colorbar.y) == viridis(1.0));
  CHECK(l.colorbar.x > l.side.x + l.side.width);

  ProfileHeatmap bad = f;
  bad.blocks = {{3, 10}};
  CHECK_THROWS_AS(plot_profile_heatmap(bad), Error);
  bad = f;
  bad.profile.pop_back();
  CHECK_THROWS_AS(plot_profile_heatmap(bad), Error);
}

TEST_CASE("io: plot histogram counts, bar heights, axes, ticks and labels") {
  Histogram h;
  h.values = {0.1, 0.2, 0.2, 0.7, 0.9, 1.0, NAN};
  h.bins = 5;
  h.lo = 0;
  h.hi = 1;
  h.width = 100;
  h.height = 50;
  h.text_scale = 1;
  h.title = "BITS";
  h.x_label = "IX";
  h.y_label = "NY";
  const HistogramLayout l = histogram_layout(h);
  CHECK(l.counts == std::vector<int64_t>{1, 2, 0, 1, 2});  // 1.0 = hi goes to the last bin
  CHECK(l.count_max == 2);
  const Tensor img = plot_histogram(h);
  CHECK(img.size(2) == l.width);
  CHECK(img.size(1) == l.height);
  const Rect& p = l.plot;
  CHECK(p.width == 100);
  CHECK(p.height == 50);
  // Bar b spans pixels [p.x + 20b, p.x + 20b + 19) (one pixel gap), height count/2 · 50.
  const Rgb bar = h.bar;
  auto bottom = p.y + p.height - 1;
  CHECK(pixel(img, p.x + 10, bottom) == bar);
  CHECK(pixel(img, p.x + 10, p.y + 25) == bar);        // count 1: 25 rows
  CHECK(pixel(img, p.x + 10, p.y + 24) == kWhite);
  CHECK(pixel(img, p.x + 30, p.y) == bar);             // count 2: the full height
  CHECK(pixel(img, p.x + 50, bottom) == kWhite);       // empty bin
  CHECK(pixel(img, p.x + 39, bottom) == kWhite);       // the gap between bars
  // Axes along the left and bottom edges; tick marks and labels below and left.
  CHECK(pixel(img, p.x - 1, p.y + 10) == kBlack);
  CHECK(pixel(img, p.x + 60, p.y + p.height) == kBlack);
  CHECK(pixel(img, p.x + 20, p.y + p.height + 1) == kBlack);  // tick at 0.2
  CHECK(inked(img, {p.x + 20 - 8, p.y + p.height + 3, 16, 7}));  // its label "0.2"
  CHECK(inked(img, {0, p.y - 2, p.x - 3, 6}));                 // the y tick label "2" at the top
  CHECK(inked(img, {4, 4, 24, 7}));                            // the title
  CHECK(inked(img, {p.x + 45, l.height - 4 - 7, 10, 7}));      // the x label, centred under the plot
  // Without a range, the values' minimum and maximum.
  Histogram auto_range = h;
  auto_range.lo = auto_range.hi = NAN;
  CHECK(histogram_layout(auto_range).lo == 0.1);
  CHECK(histogram_layout(auto_range).hi == 1.0);
  Histogram bad = h;
  bad.bins = 0;
  CHECK_THROWS_AS(plot_histogram(bad), Error);
}

TEST_CASE("io: plot tick values and their text") {
  std::vector<double> t = nice_ticks(0, 1, 5);
  REQUIRE(t.size() == 6);
  for (int k = 0; k <= 5; ++k) CHECK(t[static_cast<size_t>(k)] == doctest::Approx(0.2 * k));
  CHECK(nice_ticks(0, 10.5, 5) == std::vector<double>{0, 2, 4, 6, 8, 10});
  CHECK(nice_ticks(-3, 3, 3) == std::vector<double>{-2, 0, 2});
  CHECK(format_tick(0.25) == "0.25");
  CHECK(format_tick(10) == "10");
  CHECK(format_tick(1e-5) == "1E-05");
  CHECK(format_tick(-0.0) == "0");
  CHECK(format_tick(0.6000000000000001) == "0.6");
  CHECK_THROWS_AS(nice_ticks(1, 1, 5), Error);
}
