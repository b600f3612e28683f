#include "elbo/io/line_plot.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/error.hpp"
#include "elbo/io/png.hpp"
#include "elbo/io/raster.hpp"

namespace elbo::io {

namespace {

constexpr int64_t kPad = 8;          // outer margin
constexpr int64_t kTick = 4;         // tick mark length
constexpr float kBandAlpha = 0.25f;  // opacity of the min–max band
constexpr float kGrid = 0.88f;       // grey level of the grid lines
constexpr double kDataMargin = 0.05; // the axes' ranges extend the data's by 5% on each side

using Colour3 = std::array<float, 3>;

// A tick value as text (format_tick), a value within 1e-12 of 0 as "0".
std::string tick_label(double v) { return format_tick(std::fabs(v) < 1e-12 ? 0.0 : v); }

// Mean, minimum and maximum of the finite values; valid = false when there are none.
struct Summary {
  bool valid = false;
  double mean = 0, min = 0, max = 0;
};

Summary summarise(const std::vector<double>& values) {
  Summary s;
  double sum = 0;
  int64_t n = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    s.min = n == 0 ? v : std::min(s.min, v);
    s.max = n == 0 ? v : std::max(s.max, v);
    sum += v;
    ++n;
  }
  s.valid = n > 0;
  if (s.valid) s.mean = sum / static_cast<double>(n);
  return s;
}

Rgb series_rgb(size_t i) {
  const Colour3 c = series_colour(i);
  return {c[0], c[1], c[2]};
}

int64_t text_width(const std::string& s, int64_t scale) { return static_cast<int64_t>(s.size()) * 6 * scale; }

}  // namespace

double PlotFrame::px(double x) const {
  const double t = log_x ? std::log10(x) : x, lo = log_x ? std::log10(x_min) : x_min, hi = log_x ? std::log10(x_max) : x_max;
  return static_cast<double>(left) + (t - lo) / (hi - lo) * static_cast<double>(right - left);
}

double PlotFrame::py(double y) const {
  return static_cast<double>(bottom) - (y - y_min) / (y_max - y_min) * static_cast<double>(bottom - top);
}

std::array<float, 3> series_colour(size_t i) {
  // Okabe & Ito, "Color universal design" (2008): blue, vermillion, bluish green, orange, reddish
  // purple, sky blue, yellow, black.
  static const Colour3 palette[] = {{0.000f, 0.447f, 0.698f}, {0.835f, 0.369f, 0.000f}, {0.000f, 0.620f, 0.451f},
                                {0.902f, 0.624f, 0.000f}, {0.800f, 0.475f, 0.655f}, {0.337f, 0.706f, 0.914f},
                                {0.941f, 0.894f, 0.259f}, {0.000f, 0.000f, 0.000f}};
  return palette[i % (sizeof palette / sizeof palette[0])];
}

PlotFrame line_plot_frame(const std::vector<LineSeries>& series, const LinePlotOptions& o) {
  ELBO_CHECK(!series.empty(), "line_plot: no series to draw");
  ELBO_CHECK(o.text_scale >= 1, "line_plot: text_scale must be ≥ 1, got ", o.text_scale);
  const int64_t s = o.text_scale, ch = 7 * s;
  // The data's ranges.
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  std::vector<double> xs;
  for (const LineSeries& line : series) {
    ELBO_CHECK(line.x.size() == line.y.size(), "line_plot: series '", line.label, "' has ", line.x.size(),
               " x values but ", line.y.size(), " lists of y values; give one list (one value per seed) per x");
    for (size_t i = 0; i < line.x.size(); ++i) {
      const double x = line.x[i];
      ELBO_CHECK(std::isfinite(x), "line_plot: series '", line.label, "': x[", i, "] is ", x);
      ELBO_CHECK(!o.log_x || x > 0, "line_plot: series '", line.label, "': x[", i, "] = ", x,
                 " cannot be drawn on a logarithmic x axis");
      x_lo = std::min(x_lo, x);
      x_hi = std::max(x_hi, x);
      xs.push_back(x);
      const Summary sum = summarise(line.y[i]);
      if (!sum.valid) continue;
      y_lo = std::min(y_lo, sum.min);
      y_hi = std::max(y_hi, sum.max);
    }
  }
  ELBO_CHECK(!xs.empty(), "line_plot: the series have no points");

  PlotFrame f;
  f.log_x = o.log_x;
  // Vertical layout: title and y-axis label above the plot area, tick labels and x label below.
  int64_t above = 0;
  if (!o.title.empty()) above += ch + 6;
  if (!o.y_label.empty()) above += ch + 6;
  f.top = kPad + above + ch / 2 + 2;  // half a tick label's height, so the top label stays clear
  f.bottom = o.height - 1 - kPad - kTick - 4 - ch - (o.x_label.empty() ? 0 : ch + 6);
  ELBO_CHECK(f.bottom - f.top >= 20, "line_plot: a ", o.width, "x", o.height,
             " image leaves no room for the plot area under its text; make it taller");

  // y range and ticks.
  if (!(y_lo <= y_hi)) y_lo = 0.0, y_hi = 1.0;  // no finite value at all
  if (y_lo == y_hi) {
    const double d = y_lo != 0.0 ? 0.1 * std::fabs(y_lo) : 1.0;
    y_lo -= d;
    y_hi += d;
  }
  const int target_y = static_cast<int>(std::clamp<int64_t>((f.bottom - f.top) / 50, 2, 8));
  const double y_margin = kDataMargin * (y_hi - y_lo);
  f.y_min = std::isfinite(o.y_min) ? o.y_min : y_lo - y_margin;
  f.y_max = std::isfinite(o.y_max) ? o.y_max : y_hi + y_margin;
  ELBO_CHECK(f.y_max > f.y_min, "line_plot: empty y range [", f.y_min, ", ", f.y_max, "]");
  f.y_ticks = nice_ticks(f.y_min, f.y_max, target_y);

  // Horizontal layout: y tick labels left of the plot area, room for half an x tick label right.
  int64_t label_width = 0;
  for (double t : f.y_ticks) label_width = std::max(label_width, text_width(tick_label(t), s));
  f.left = kPad + label_width + 2 + kTick;
  f.right = o.width - 1 - kPad - 3 * 6 * s;
  ELBO_CHECK(f.right - f.left >= 20, "line_plot: a ", o.width, "x", o.height,
             " image leaves no room for the plot area beside its labels; make it wider");

  // x range (5% wider than the data on each side) and ticks.
  double t_lo = o.log_x ? std::log10(x_lo) : x_lo, t_hi = o.log_x ? std::log10(x_hi) : x_hi;
  if (t_lo == t_hi) t_lo -= 0.5, t_hi += 0.5;
  const double margin = kDataMargin * (t_hi - t_lo);
  t_lo -= margin;
  t_hi += margin;
  f.x_min = o.log_x ? std::pow(10.0, t_lo) : t_lo;
  f.x_max = o.log_x ? std::pow(10.0, t_hi) : t_hi;
  if (o.log_x) {
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
    if (xs.size() <= 10) {
      f.x_ticks = xs;
    } else {
      for (double e = std::ceil(t_lo); e <= std::floor(t_hi); e += 1.0) f.x_ticks.push_back(std::pow(10.0, e));
      if (f.x_ticks.size() < 2) f.x_ticks = {xs.front(), xs.back()};
    }
  } else {
    const int target_x = static_cast<int>(std::clamp<int64_t>((f.right - f.left) / 80, 2, 10));
    f.x_ticks = nice_ticks(f.x_min, f.x_max, target_x);
  }
  return f;
}

Tensor line_plot(const std::vector<LineSeries>& series, const LinePlotOptions& o) {
  const PlotFrame f = line_plot_frame(series, o);
  const int64_t s = o.text_scale, ch = 7 * s, W = o.width, H = o.height;
  Tensor image = make_canvas(W, H);
  const Rect area{f.left + 1, f.top + 1, f.right - f.left - 1, f.bottom - f.top - 1};  // data are clipped to it
  const Rgb grid{kGrid, kGrid, kGrid};

  for (double t : f.y_ticks)  // grid lines
    fill_rect(image, {f.left, std::lround(f.py(t)), f.right - f.left + 1, 1}, grid, 1.0f, area);

  // Per series: summaries, then band, seed points, mean line, mean markers.
  std::vector<std::vector<Summary>> summaries(series.size());
  for (size_t k = 0; k < series.size(); ++k)
    for (const std::vector<double>& values : series[k].y) summaries[k].push_back(summarise(values));
  const bool band = o.spread == Spread::band || o.spread == Spread::band_and_points;
  const bool points = o.spread == Spread::points || o.spread == Spread::band_and_points;
  for (size_t k = 0; k < series.size() && band; ++k) {
    const Rgb c = series_rgb(k);
    const LineSeries& line = series[k];
    const std::vector<Summary>& sum = summaries[k];
    for (size_t i = 0; i < line.x.size(); ++i) {
      if (!sum[i].valid) continue;
      const bool joined_left = i > 0 && sum[i - 1].valid, joined_right = i + 1 < line.x.size() && sum[i + 1].valid;
      if (!joined_left && !joined_right) {  // an isolated point: a bar 5 pixels wide
        const int64_t cx = std::lround(f.px(line.x[i]));
        const int64_t top = std::lround(f.py(sum[i].max)), bottom = std::lround(f.py(sum[i].min));
        fill_rect(image, {cx - 2, top, 5, bottom - top + 1}, c, kBandAlpha, area);
      }
      if (!joined_right) continue;
      // Columns [xa, xb) of this segment, xb too for the last segment, so no column is blended twice.
      const double pa = f.px(line.x[i]), pb = f.px(line.x[i + 1]);
      const int64_t xa = std::lround(pa), xb = std::lround(pb);
      const bool last = !(i + 2 < line.x.size() && sum[i + 2].valid);
      for (int64_t x = std::min(xa, xb); x < std::max(xa, xb) + (last ? 1 : 0); ++x) {
        const double t = pb != pa ? std::clamp((static_cast<double>(x) - pa) / (pb - pa), 0.0, 1.0) : 0.0;
        const int64_t top = std::lround(f.py(sum[i].max + t * (sum[i + 1].max - sum[i].max)));
        const int64_t bottom = std::lround(f.py(sum[i].min + t * (sum[i + 1].min - sum[i].min)));
        fill_rect(image, {x, top, 1, bottom - top + 1}, c, kBandAlpha, area);
      }
    }
  }
  for (size_t k = 0; k < series.size() && points; ++k) {
    const Rgb c = series_rgb(k);
    for (size_t i = 0; i < series[k].x.size(); ++i)
      for (double v : series[k].y[i])
        if (std::isfinite(v)) fill_disk(image, std::lround(f.px(series[k].x[i])), std::lround(f.py(v)), 2, c, area);
  }
  for (size_t k = 0; k < series.size(); ++k) {
    const Rgb c = series_rgb(k);
    const LineSeries& line = series[k];
    for (size_t i = 0; i + 1 < line.x.size(); ++i)
      if (summaries[k][i].valid && summaries[k][i + 1].valid)
        draw_thick_line(image, f.px(line.x[i]), f.py(summaries[k][i].mean), f.px(line.x[i + 1]),
                        f.py(summaries[k][i + 1].mean), c, area);
    for (size_t i = 0; i < line.x.size(); ++i)
      if (summaries[k][i].valid)
        fill_disk(image, std::lround(f.px(line.x[i])), std::lround(f.py(summaries[k][i].mean)), 3, c, area);
  }

  // Frame, ticks and their labels.
  draw_rect_outline(image, {f.left, f.top, f.right - f.left + 1, f.bottom - f.top + 1}, kBlack);
  for (double t : f.y_ticks) {
    const int64_t y = std::lround(f.py(t));
    fill_rect(image, {f.left - kTick, y, kTick, 1}, kBlack);
    const std::string label = tick_label(t);
    draw_label(image, label, f.left - kTick - 2 - text_width(label, s), y - 3 * s, kBlack, s);
  }
  int64_t last_label_end = -1;
  for (double t : f.x_ticks) {
    const int64_t x = std::lround(f.px(t));
    fill_rect(image, {x, f.bottom + 1, 1, kTick}, kBlack);
    const std::string label = tick_label(t);
    const int64_t start = x - text_width(label, s) / 2;
    if (start <= last_label_end + 3 * s) continue;  // would overlap the previous label: mark only
    draw_label(image, label, start, f.bottom + kTick + 3, kBlack, s);
    last_label_end = start + text_width(label, s);
  }

  // Title, axis labels.
  int64_t y_text = kPad;
  if (!o.title.empty()) {
    draw_label(image, o.title, (W - text_width(o.title, s)) / 2, y_text, kBlack, s);
    y_text += ch + 6;
  }
  if (!o.y_label.empty()) draw_label(image, o.y_label, kPad, y_text, kBlack, s);
  if (!o.x_label.empty())
    draw_label(image, o.x_label, (f.left + f.right - text_width(o.x_label, s)) / 2, f.bottom + kTick + 3 + ch + 6,
               kBlack, s);

  // Legend.
  if (o.legend != LegendCorner::none) {
    int64_t label_width = 0;
    for (const LineSeries& line : series) label_width = std::max(label_width, text_width(line.label, s));
    const int64_t row = ch + 6, swatch = 24;
    const int64_t box_w = 8 + swatch + 6 + label_width + 6, box_h = 4 + static_cast<int64_t>(series.size()) * row;
    auto box = [&](LegendCorner c) {  // columns x … x + box_w, rows y … y + box_h
      const bool right = c == LegendCorner::top_right || c == LegendCorner::bottom_right;
      const bool top = c == LegendCorner::top_right || c == LegendCorner::top_left;
      return Rect{right ? f.right - 8 - box_w : f.left + 8, top ? f.top + 8 : f.bottom - 8 - box_h, box_w + 1, box_h + 1};
    };
    LegendCorner corner = o.legend;
    if (corner == LegendCorner::automatic) {  // the corner that hides the fewest drawn pixels
      int64_t fewest = -1;
      for (LegendCorner c : {LegendCorner::top_right, LegendCorner::top_left, LegendCorner::bottom_right,
                             LegendCorner::bottom_left}) {
        const Rect b = box(c);
        int64_t covered = 0;
        for (int64_t y = std::max(b.y, int64_t{0}); y < std::min(b.y + b.height, H); ++y)
          for (int64_t x = std::max(b.x, int64_t{0}); x < std::min(b.x + b.width, W); ++x)
            covered += pixel(image, x, y) != kWhite;
        if (fewest < 0 || covered < fewest) fewest = covered, corner = c;
      }
    }
    const Rect b = box(corner);
    fill_rect(image, b, kWhite, 1.0f, area);
    draw_rect_outline(image, b, Rgb{0.5f, 0.5f, 0.5f}, 1, area);
    for (size_t k = 0; k < series.size(); ++k) {
      const int64_t cy = b.y + 4 + static_cast<int64_t>(k) * row + ch / 2;
      const Rgb c = series_rgb(k);
      draw_thick_line(image, static_cast<double>(b.x + 8), static_cast<double>(cy), static_cast<double>(b.x + 8 + swatch),
                      static_cast<double>(cy), c, area);
      fill_disk(image, b.x + 8 + swatch / 2, cy, 3, c, area);
      draw_label(image, series[k].label, b.x + 8 + swatch + 6, cy - 3 * s, kBlack, s);
    }
  }
  return image;
}

void write_line_plot(const std::string& path, const std::vector<LineSeries>& series, const LinePlotOptions& options) {
  write_png(path, line_plot(series, options));
}

}  // namespace elbo::io
