#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/line_plot.hpp"
#include "elbo/io/png.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::io;

namespace {

struct Pixels {
  Tensor image;
  int64_t h, w;
  explicit Pixels(Tensor t) : image(std::move(t)), h(image.size(1)), w(image.size(2)) {}
  std::array<float, 3> at(int64_t x, int64_t y) const {
    const float* p = image.data<float>();
    return {p[(0 * h + y) * w + x], p[(1 * h + y) * w + x], p[(2 * h + y) * w + x]};
  }
  bool is(int64_t x, int64_t y, const std::array<float, 3>& c, float tol = 1e-5f) const {
    const std::array<float, 3> p = at(x, y);
    return std::fabs(p[0] - c[0]) < tol && std::fabs(p[1] - c[1]) < tol && std::fabs(p[2] - c[2]) < tol;
  }
  // Pixels in columns x0..x1, rows y0..y1 that are black (text, frame, ticks).
  int64_t black_in(int64_t x0, int64_t y0, int64_t x1, int64_t y1) const {
    int64_t n = 0;
    for (int64_t y = y0; y <= y1; ++y)
      for (int64_t x = x0; x <= x1; ++x) n += is(x, y, {0, 0, 0});
    return n;
  }
};

std::array<float, 3> blend(const std::array<float, 3>& under, const std::array<float, 3>& c, float a) {
  return {(1 - a) * under[0] + a * c[0], (1 - a) * under[1] + a * c[1], (1 - a) * under[2] + a * c[2]};
}

const std::array<float, 3> kPaper{1, 1, 1};

int64_t px(const PlotFrame& f, double x) { return std::lround(f.px(x)); }
int64_t py(const PlotFrame& f, double y) { return std::lround(f.py(y)); }

}  // namespace

TEST_CASE("io: line plot nice ticks") {
  auto same = [](const std::vector<double>& got, const std::vector<double>& want) {
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-12));
  };
  same(nice_ticks(0, 1, 5), {0, 0.2, 0.4, 0.6, 0.8, 1.0});
  same(nice_ticks(0.13, 0.87, 5), {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8});  // 0.148 rounds to 0.1
  same(nice_ticks(0.13, 0.87, 3), {0.2, 0.4, 0.6, 0.8});
  same(nice_ticks(0, 100, 4), {0, 20, 40, 60, 80, 100});  // 25 rounds to the step 20
  same(nice_ticks(-3, 7, 2), {0, 5});                      // step 5
  same(nice_ticks(0.5, 16.5, 3), {5, 10, 15});
  CHECK_THROWS_AS(nice_ticks(1, 1, 5), Error);
}

TEST_CASE("io: line plot puts points, band and seeds where the axes say") {
  // One series, y range fixed to [0, 1]: means 0.3, 0.5, 0.7 with seeds spread ±0.2, ±0.1, ±0.2.
  LineSeries s{"mig", {1, 2, 3}, {{0.1, 0.5}, {0.4, 0.6}, {0.5, 0.9}}};
  LinePlotOptions o;
  o.width = 400;
  o.height = 300;
  o.y_min = 0;
  o.y_max = 1;
  o.legend = LegendCorner::none;
  const PlotFrame f = line_plot_frame({s}, o);
  // The frame maps the y range onto the plot area's edges, and the x range is the data's widened by 5%.
  CHECK(f.py(0) == doctest::Approx(static_cast<double>(f.bottom)));
  CHECK(f.py(1) == doctest::Approx(static_cast<double>(f.top)));
  CHECK(f.x_min == doctest::Approx(1 - 0.1));
  CHECK(f.x_max == doctest::Approx(3 + 0.1));
  CHECK(f.px(2) == doctest::Approx((f.left + f.right) / 2.0));
  CHECK(f.y_ticks.size() >= 3);

  const Pixels p(line_plot({s}, o));
  REQUIRE(p.image.shape() == Shape{3, 300, 400});
  const std::array<float, 3> c = series_colour(0);
  // Mean markers in the series colour at (x, mean).
  CHECK(p.is(px(f, 1), py(f, 0.3), c));
  CHECK(p.is(px(f, 2), py(f, 0.5), c));
  CHECK(p.is(px(f, 3), py(f, 0.7), c));
  // Seed points at each value (0.1 is 0.2 below the mean: off the line and its marker), on the band.
  CHECK(p.is(px(f, 1), py(f, 0.1), c));
  CHECK(p.is(px(f, 3), py(f, 0.9), c));
  CHECK(p.is(px(f, 1), py(f, 0.1) - 3, blend(kPaper, c, 0.25f)));  // just above the point: band
  // The band: between min and max, away from the line, the colour at 25% over white; outside, white.
  const int64_t x_band = px(f, 1.25);  // min 0.175, max 0.525, mean 0.35 at x = 1.25
  CHECK(p.is(x_band, py(f, 0.48), blend(kPaper, c, 0.25f)));
  CHECK(p.is(x_band, py(f, 0.22), blend(kPaper, c, 0.25f)));
  CHECK(p.is(x_band, py(f, 0.7), kPaper));
  CHECK(p.is(x_band, py(f, 0.1), kPaper));
  // Left of the first point there is no band.
  CHECK(p.is(px(f, 0.95), py(f, 0.3), kPaper));
  // The frame is black; tick marks stick out left of it at the y ticks, with labels beside them.
  CHECK(p.is(f.left, py(f, 0.35), {0, 0, 0}));
  CHECK(p.is(f.right, py(f, 0.35), {0, 0, 0}));
  CHECK(p.is(px(f, 1.5), f.bottom, {0, 0, 0}));
  for (double t : f.y_ticks) {
    CHECK(p.is(f.left - 2, py(f, t), {0, 0, 0}));
    CHECK(p.black_in(0, py(f, t) - 3, f.left - 6, py(f, t) + 3) > 3);  // the label's ink
  }
  REQUIRE(f.y_ticks.size() >= 2);  // nothing between two labels
  CHECK(p.black_in(0, py(f, f.y_ticks[1]) + 5, f.left - 6, py(f, f.y_ticks[0]) - 5) == 0);
  // Without a band and points, only the mean line and markers remain.
  o.spread = Spread::none;
  const Pixels q(line_plot({s}, o));
  CHECK(q.is(x_band, py(f, 0.48), kPaper));
  CHECK(q.is(px(f, 1), py(f, 0.1), kPaper));
  CHECK(q.is(px(f, 2), py(f, 0.5), c));
}

TEST_CASE("io: line plot log x axis, automatic y range, legend and labels") {
  // Two series over β = 1 … 16 on a log axis; the second has a missing seed value (NaN).
  LineSeries a{"mig", {1, 2, 4, 8, 16}, {{0.1}, {0.2}, {0.3}, {0.4}, {0.5}}};
  LineSeries b{"sap", {1, 2, 4, 8, 16}, {{0.8, 0.6}, {0.7, NAN}, {0.6}, {}, {0.4}}};
  LinePlotOptions o;
  o.log_x = true;
  o.title = "metric vs beta";
  o.x_label = "beta";
  o.y_label = "score";
  o.legend = LegendCorner::top_right;
  const PlotFrame f = line_plot_frame({a, b}, o);
  // log axis: 4 is halfway between 1 and 16; ticks at the swept values.
  CHECK(f.px(4) == doctest::Approx((f.px(1) + f.px(16)) / 2));
  CHECK(f.px(2) - f.px(1) == doctest::Approx(f.px(16) - f.px(8)));
  CHECK(f.x_ticks == std::vector<double>{1, 2, 4, 8, 16});
  // The y range is the data's [0.1, 0.8] widened by 5% of 0.7 on each side; ticks at round values.
  CHECK(f.y_min == doctest::Approx(0.1 - 0.035));
  CHECK(f.y_max == doctest::Approx(0.8 + 0.035));
  CHECK(f.y_ticks == nice_ticks(f.y_min, f.y_max, static_cast<int>((f.bottom - f.top) / 50)));
  CHECK(f.y_ticks.front() == doctest::Approx(0.1));
  CHECK(f.y_ticks.back() == doctest::Approx(0.8));

  const Pixels p(line_plot({a, b}, o));
  CHECK(p.is(px(f, 4), py(f, 0.3), series_colour(0)));
  CHECK(p.is(px(f, 1), py(f, 0.7), series_colour(1)));  // mean of 0.8 and 0.6
  CHECK(p.is(px(f, 2), py(f, 0.7), series_colour(1)));  // NaN left out
  // x = 8 has no value for "sap": no marker there, and the line stops at 4 and restarts at 16.
  CHECK(!p.is(px(f, 8), py(f, 0.5), series_colour(1)));
  CHECK(p.is(px(f, 16), py(f, 0.4), series_colour(1)));
  // Text: the title above the plot area, the x label under the tick labels.
  CHECK(p.black_in(0, 0, p.w - 1, f.top - 2) > 20);
  CHECK(p.black_in(f.left, f.bottom + 20, f.right, p.h - 1) > 20);
  // The legend box in the top-right corner holds a swatch of each colour and the labels' ink.
  const int64_t x0 = f.left + (f.right - f.left) / 2, y1 = f.top + 8 + 2 * 13 + 6;
  int64_t first = 0, second = 0;
  for (int64_t y = f.top + 1; y <= y1; ++y)
    for (int64_t x = x0; x < f.right; ++x) {
      first += p.is(x, y, series_colour(0));
      second += p.is(x, y, series_colour(1));
    }
  CHECK(first > 20);
  CHECK(second > 20);
  CHECK(p.black_in(f.right - 60, f.top + 8, f.right - 9, y1) > 20);
}

TEST_CASE("io: line plot legend placed automatically where it hides least") {
  // A rising diagonal from bottom left to top right: the top-left corner is free.
  LineSeries up{"rising", {1, 2, 4, 8, 16}, {{0}, {0.25}, {0.5}, {0.75}, {1}}};
  LinePlotOptions o;
  o.log_x = true;
  auto pixels = [&](LegendCorner c) {
    o.legend = c;
    return line_plot({up}, o).to_vector();
  };
  const std::vector<double> automatic = pixels(LegendCorner::automatic);
  CHECK(automatic == pixels(LegendCorner::top_left));
  CHECK(automatic != pixels(LegendCorner::top_right));
  // Falling from top left to bottom right: the top-right corner is free.
  LineSeries down{"falling", {1, 2, 4, 8, 16}, {{1}, {0.75}, {0.5}, {0.25}, {0}}};
  o.legend = LegendCorner::automatic;
  const std::vector<double> automatic_down = line_plot({down}, o).to_vector();
  o.legend = LegendCorner::top_right;
  CHECK(automatic_down == line_plot({down}, o).to_vector());
}

TEST_CASE("io: line plot errors and PNG file") {
  LineSeries s{"kl", {1, 2}, {{1.0}}};
  CHECK_THROWS_WITH_AS(line_plot({s}), doctest::Contains("series 'kl' has 2 x values but 1 lists"), Error);
  CHECK_THROWS_WITH_AS(line_plot({}), doctest::Contains("no series"), Error);
  LineSeries zero{"mig", {0, 1}, {{0.5}, {0.6}}};
  LinePlotOptions log;
  log.log_x = true;
  CHECK_THROWS_WITH_AS(line_plot({zero}, log), doctest::Contains("x[0] = 0 cannot be drawn on a logarithmic"), Error);
  LinePlotOptions tiny;
  tiny.width = 60;
  tiny.height = 40;
  CHECK_THROWS_WITH_AS(line_plot({zero}, tiny), doctest::Contains("60x40 image leaves no room"), Error);

  // A constant series still gets a range; the PNG has the requested size.
  testing::TempDir dir;
  LineSeries flat{"tc", {1, 2, 3}, {{1.0}, {1.0}, {1.0}}};
  LinePlotOptions o;
  o.width = 320;
  o.height = 200;
  write_line_plot(dir.file("plot.png"), {flat}, o);
  const Tensor back = read_image(dir.file("plot.png"));
  CHECK(back.shape() == Shape{3, 200, 320});
  const PlotFrame f = line_plot_frame({flat}, o);
  CHECK(f.y_min < 1.0);
  CHECK(f.y_max > 1.0);
}
