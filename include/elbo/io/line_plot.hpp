// Line plots of a score against a swept hyper-parameter (a metric against β, say) with the spread
// over seeds: for each series, the mean over seeds as a line with a marker (radius 3) at each x,
// the min–max range as a shaded band (the colour at 25% opacity), and each seed's value as a small
// point (radius 2), all in the series' colour. Drawn into an RGB image tensor
// f32 [3, H, W] (white background) with the primitives of io/raster.hpp and written as PNG through
// io/png.hpp; the text uses io/png's 5×7 font (draw_label: letters print in upper case; characters
// outside the font print as '?', so write "beta", not "β").
//
// Layout, in pixels:
//   title            centred on the top line
//   y-axis label     above the y axis, left-aligned (the font draws only horizontally)
//   plot area        columns left … right, rows top … bottom (both inclusive), framed in black,
//                    light grey grid lines at the y ticks
//   ticks            4-pixel marks outside the frame, labels beside them ("%.4g")
//   x-axis label     centred under the x tick labels
//   legend           a framed box in a corner of the plot area (8 pixels in from the frame): a
//                    line-and-marker swatch and the label of each series
//
// Data coordinates map linearly onto the plot area (PlotFrame::px, py):
//   px(x) = left + (t(x) − t(x_min)) / (t(x_max) − t(x_min)) · (right − left),   t = log10 if log_x
//   py(y) = bottom − (y − y_min) / (y_max − y_min) · (bottom − top)
// and a point is drawn at the pixel (round(px), round(py)). Both ranges are the data's widened by
// 5% on each side (as matplotlib's default margins), so that no marker sits on the frame; the y
// range may be given instead. Ticks fall at round values inside the range. A NaN value (a seed whose run
// failed) is left out of its point's mean and range; a point with no values breaks the line.
#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "elbo/io/plot.hpp"  // nice_ticks
#include "elbo/tensor.hpp"

namespace elbo::io {

struct LineSeries {
  std::string label;                    // legend text
  std::vector<double> x;                // the swept values, one per point
  std::vector<std::vector<double>> y;   // y[i]: the values at x[i], one per seed
};

enum class Spread : uint8_t { band_and_points, band, points, none };
// automatic: the corner whose box would hide the fewest pixels already drawn (grid lines count too),
// the first of top_right, top_left, bottom_right, bottom_left on a tie.
enum class LegendCorner : uint8_t { automatic, top_right, top_left, bottom_right, bottom_left, none };

struct LinePlotOptions {
  int64_t width = 640, height = 420;
  std::string title, x_label, y_label;
  bool log_x = false;                                        // a logarithmic x axis (β = 1, 2, 4, …)
  double y_min = std::numeric_limits<double>::quiet_NaN();  // NaN: from the data
  double y_max = std::numeric_limits<double>::quiet_NaN();
  Spread spread = Spread::band_and_points;
  LegendCorner legend = LegendCorner::automatic;
  int64_t text_scale = 1;  // each font pixel becomes text_scale² pixels
};

// Where data coordinates land, and the ticks (x ticks: the distinct x values on a log axis when
// there are at most 10 of them, else powers of 10; nice_ticks on a linear axis).
struct PlotFrame {
  int64_t left = 0, top = 0, right = 0, bottom = 0;
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;  // the values at the plot area's edges
  bool log_x = false;
  std::vector<double> x_ticks, y_ticks;
  double px(double x) const;
  double py(double y) const;
};

// RGB in [0, 1] of series i: the Okabe–Ito palette (distinguishable with colour blindness), cycling.
std::array<float, 3> series_colour(size_t i);

// Checks the series (at least one; matching x and y sizes; positive x on a log axis; sizes that
// leave room for a plot area) and computes the frame.
PlotFrame line_plot_frame(const std::vector<LineSeries>& series, const LinePlotOptions& options = {});

Tensor line_plot(const std::vector<LineSeries>& series, const LinePlotOptions& options = {});
// Writes the plot as a PNG, atomically.
void write_line_plot(const std::string& path, const std::vector<LineSeries>& series, const LinePlotOptions& options = {});

}  // namespace elbo::io
