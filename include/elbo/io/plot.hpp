// Small raster plots for reports, drawn on elbo image tensors: f32 [3, H, W], RGB values in [0, 1],
// row 0 at the top (as png.hpp writes them), with the primitives of raster.hpp.
//
// Matrix and profile parts draw into a rectangle of a canvas; three figures are built from them:
//   plot_heatmap          a matrix in a perceptual colour map, with a colour bar
//   plot_profile_heatmap  a square matrix with a line/area profile aligned above its columns (the
//                         OPTICS reachability plot above the reordered NMI matrix), shaded blocks
//                         marking clusters, an optional side panel of extra columns (NMI with
//                         ground-truth factors) and a colour bar
//   plot_histogram        bars with axes, ticks and labels
// Text uses the 5×7 pixel font of png.hpp, scaled by an integer factor.
//
// Cells of a matrix map to pixels by integer division: cell column c of C covers the pixel columns
// [x + ⌊c·W/C⌋, x + ⌊(c+1)·W/C⌋) of an area W pixels wide (rows likewise), so every pixel belongs to
// exactly one cell and a figure of C·k pixels gives every cell k×k pixels.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/io/raster.hpp"
#include "elbo/tensor.hpp"

namespace elbo::io {

inline constexpr Rgb kMissing{0.75f, 0.75f, 0.75f};  // NaN cells

// ---- colours ------------------------------------------------------------------------------------

// viridis, the perceptually uniform colour map of matplotlib (van der Walt & Smith, 2015): entries
// 0, 32, 64, …, 224 and 255 of its 256-entry table, at positions k/255, linearly interpolated. t is
// clamped to [0, 1]; NaN gives kMissing.
Rgb viridis(double t);
// Colour k of a 10-colour qualitative palette (matplotlib's "tab10"), repeating.
Rgb palette_colour(int64_t k);

// ---- matrix parts ---------------------------------------------------------------------------------

// The matrix [R, C] (f32 or f64) in the area, value v as viridis((v − vmin)/(vmax − vmin)); NaN as kMissing.
void draw_heatmap(Tensor& canvas, const Tensor& matrix, Rect area, double vmin, double vmax);
// A vertical colour bar (vmax at the top, vmin at the bottom) with tick labels right of it.
void draw_colorbar(Tensor& canvas, Rect area, double vmin, double vmax, int64_t text_scale = 1);
// values[k] as column k of n equal columns (the cell rule above): filled from the bottom of the area
// up to value/ymax of its height in `fill`, its top pixel row in `line`. Values at or above ymax
// (+∞ included) reach the top; NaN and values ≤ 0 draw nothing.
void draw_profile(Tensor& canvas, const std::vector<double>& values, Rect area, double ymax, Rgb fill, Rgb line);

// About `count` round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi]: the multiples of the step
// within [lo, hi]. lo < hi.
std::vector<double> nice_ticks(double lo, double hi, int count = 5);
// A tick value as text: at most 4 significant digits, no trailing zeros ("0.25", "10", "1E-05").
std::string format_tick(double v);

// ---- figures --------------------------------------------------------------------------------------

struct HeatmapOptions {
  int64_t cell = 0;  // pixels per cell; 0: the largest that keeps the matrix within 480 pixels (at least 1)
  double vmin = 0.0, vmax = 1.0;
  std::string title;
  bool colorbar = true;
  int64_t text_scale = 2;
};
// Layout (pixels): a margin of 4·text_scale around; the title (8·text_scale high) above the matrix;
// the matrix at (margin, margin + title height), C·cell × R·cell; the colour bar 6·text_scale right
// of the matrix, 6·text_scale wide, as tall as the matrix.
Tensor plot_heatmap(const Tensor& matrix, const HeatmapOptions& options = {});

struct ProfileHeatmap {
  Tensor matrix;                 // [M, M], rows and columns in display order
  std::vector<double> profile;   // [M] drawn above the matrix, column-aligned (empty: no profile)
  std::string profile_label;     // y label of the profile, written above it
  std::vector<std::array<int64_t, 2>> blocks;  // [first, last] positions (inclusive): shaded in the
                                               // profile in palette colours, outlined in white on the
                                               // matrix diagonal, numbered 1, 2, … above the profile
  Tensor side;                   // [M, K] extra columns right of the matrix (undefined: none)
  std::vector<std::string> side_labels;  // K column names, written downwards under the side panel
  std::string title, x_label;
  double vmin = 0.0, vmax = 1.0;  // colour range of matrix and side panel
  int64_t cell = 0;               // pixels per matrix cell; 0: as HeatmapOptions
  int64_t side_cell = 0;          // width of a side column; 0: max(cell, 9·text_scale)
  int64_t profile_height = 0;     // 0: 40·text_scale
  int64_t text_scale = 2;
};
// Positions of the parts, for callers and tests.
struct ProfileHeatmapLayout {
  int64_t width = 0, height = 0;
  Rect profile, matrix, side, colorbar;
};
ProfileHeatmapLayout profile_heatmap_layout(const ProfileHeatmap& figure);
Tensor plot_profile_heatmap(const ProfileHeatmap& figure);

struct Histogram {
  std::vector<double> values;  // NaN values are skipped
  int64_t bins = 20;
  double lo = NAN, hi = NAN;   // the binned range; NaN: the values' minimum / maximum
  std::string title, x_label, y_label;
  int64_t width = 480, height = 300;  // of the plotting area
  int64_t text_scale = 2;
  Rgb bar = {0.12f, 0.47f, 0.71f};
};
struct HistogramLayout {
  int64_t width = 0, height = 0;
  Rect plot;                   // the plotting area; the axes are its left and bottom edges
  double lo = 0, hi = 0;       // the binned range
  std::vector<int64_t> counts; // per bin: lo + b·(hi − lo)/bins ≤ v < lo + (b+1)·(hi − lo)/bins, hi in the last
  int64_t count_max = 0;       // the top of the y axis
};
HistogramLayout histogram_layout(const Histogram& figure);
Tensor plot_histogram(const Histogram& figure);

}  // namespace elbo::io
