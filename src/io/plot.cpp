// Heatmaps, profiles and histograms on RGB image tensors; see elbo/io/plot.hpp.
#include "elbo/io/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "elbo/error.hpp"

namespace elbo::io {

// ---- colours ------------------------------------------------------------------------------------

namespace {

// matplotlib's viridis table (_cm_listed._viridis_data), entries 0, 32, 64, 96, 128, 160, 192, 224, 255.
constexpr int kViridisEntries[9] = {0, 32, 64, 96, 128, 160, 192, 224, 255};
constexpr float kViridis[9][3] = {
    {0.267004f, 0.004874f, 0.329415f}, {0.282623f, 0.140926f, 0.457517f}, {0.229739f, 0.322361f, 0.545706f},
    {0.172719f, 0.448791f, 0.557885f}, {0.127568f, 0.566949f, 0.550556f}, {0.157851f, 0.683765f, 0.501686f},
    {0.369214f, 0.788888f, 0.382914f}, {0.678489f, 0.863742f, 0.189503f}, {0.993248f, 0.906157f, 0.143936f},
};

// matplotlib's "tab10": #1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf.
constexpr uint8_t kTab10[10][3] = {{0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28},
                                   {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f},
                                   {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf}};

// First pixel of cell k of n over `extent` pixels (the cell rule of plot.hpp).
int64_t cell_edge(int64_t k, int64_t n, int64_t extent) { return k * extent / n; }

int64_t auto_cell(int64_t cells) { return std::max<int64_t>(1, 480 / std::max<int64_t>(cells, 1)); }

// The widest label among the ticks.
int64_t ticks_width(const std::vector<double>& ticks, int64_t scale) {
  int64_t w = 0;
  for (double t : ticks) w = std::max(w, label_width(format_tick(t), scale));
  return w;
}

}  // namespace

Rgb viridis(double t) {
  if (std::isnan(t)) return kMissing;
  t = std::clamp(t, 0.0, 1.0) * 255.0;
  int k = 0;
  while (k < 7 && t > kViridisEntries[k + 1]) ++k;
  const double f = (t - kViridisEntries[k]) / (kViridisEntries[k + 1] - kViridisEntries[k]);
  auto mix = [&](int c) { return static_cast<float>((1 - f) * kViridis[k][c] + f * kViridis[k + 1][c]); };
  return {mix(0), mix(1), mix(2)};
}

Rgb palette_colour(int64_t k) {
  const uint8_t* c = kTab10[((k % 10) + 10) % 10];
  return {c[0] / 255.0f, c[1] / 255.0f, c[2] / 255.0f};
}

// ---- matrix parts ---------------------------------------------------------------------------------

void draw_heatmap(Tensor& canvas, const Tensor& matrix, Rect area, double vmin, double vmax) {
  check_canvas(canvas, "draw_heatmap");
  ELBO_CHECK(matrix.defined() && matrix.ndim() == 2 && is_floating(matrix.dtype()) && matrix.numel() > 0,
             "draw_heatmap: expected a non-empty f32/f64 matrix [R, C], got ",
             matrix.defined() ? matrix.str() : std::string("an undefined tensor"));
  ELBO_CHECK(vmax > vmin, "draw_heatmap: the colour range [", vmin, ", ", vmax, "] is empty");
  const int64_t rows = matrix.size(0), cols = matrix.size(1);
  ELBO_CHECK(area.width >= cols && area.height >= rows, "draw_heatmap: a ", area.width, "x", area.height,
             " area cannot show a ", rows, "x", cols, " matrix (need at least one pixel per cell)");
  const std::vector<double> v = matrix.to_vector();
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t y0 = area.y + cell_edge(r, rows, area.height), y1 = area.y + cell_edge(r + 1, rows, area.height);
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t x0 = area.x + cell_edge(c, cols, area.width), x1 = area.x + cell_edge(c + 1, cols, area.width);
      const double value = v[static_cast<size_t>(r * cols + c)];
      fill_rect(canvas, {x0, y0, x1 - x0, y1 - y0}, viridis((value - vmin) / (vmax - vmin)));
    }
  }
}

void draw_colorbar(Tensor& canvas, Rect area, double vmin, double vmax, int64_t s) {
  check_canvas(canvas, "draw_colorbar");
  ELBO_CHECK(vmax > vmin && area.height >= 2, "draw_colorbar: need vmax > vmin and a bar at least 2 pixels high");
  for (int64_t y = 0; y < area.height; ++y)
    fill_rect(canvas, {area.x, area.y + y, area.width, 1}, viridis(1.0 - static_cast<double>(y) / (area.height - 1)));
  for (double t : nice_ticks(vmin, vmax, 4)) {
    const int64_t y = area.y + std::lround((vmax - t) / (vmax - vmin) * static_cast<double>(area.height - 1));
    fill_rect(canvas, {area.x + area.width, y, 2 * s, 1}, kBlack);
    draw_label(canvas, format_tick(t), area.x + area.width + 3 * s, y - 7 * s / 2, kBlack, s);
  }
}

void draw_profile(Tensor& canvas, const std::vector<double>& values, Rect area, double ymax, Rgb fill, Rgb line) {
  check_canvas(canvas, "draw_profile");
  const int64_t n = static_cast<int64_t>(values.size());
  ELBO_CHECK(n >= 1 && area.width >= n && ymax > 0, "draw_profile: need 1 to ", area.width,
             " values (one pixel column each at least) and ymax > 0; got ", n, " values, ymax ", ymax);
  for (int64_t k = 0; k < n; ++k) {
    const double v = values[static_cast<size_t>(k)];
    if (std::isnan(v) || v <= 0) continue;
    const double fraction = std::min(v / ymax, 1.0);
    const int64_t bar = std::max<int64_t>(1, std::lround(fraction * static_cast<double>(area.height)));
    const int64_t x0 = area.x + cell_edge(k, n, area.width), x1 = area.x + cell_edge(k + 1, n, area.width);
    const int64_t top = area.y + area.height - bar;
    fill_rect(canvas, {x0, top, x1 - x0, bar}, fill);
    fill_rect(canvas, {x0, top, x1 - x0, 1}, line);
  }
}

std::vector<double> nice_ticks(double lo, double hi, int count) {
  ELBO_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo < hi && count >= 1, "nice_ticks: need finite lo < hi, got [",
             lo, ", ", hi, "]");
  const double raw = (hi - lo) / count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double step = (norm < 1.5 ? 1.0 : norm < 3.0 ? 2.0 : norm < 7.0 ? 5.0 : 10.0) * magnitude;
  std::vector<double> ticks;
  const double first = std::ceil(lo / step - 1e-9);
  for (double k = first; k * step <= hi + 1e-9 * step; k += 1.0) ticks.push_back(k == 0.0 ? 0.0 : k * step);
  return ticks;
}

std::string format_tick(double v) {
  if (v == 0.0) return "0";
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  std::string s = text;
  for (char& ch : s)
    if (ch == 'e') ch = 'E';
  return s;
}

// ---- figures --------------------------------------------------------------------------------------

Tensor plot_heatmap(const Tensor& matrix, const HeatmapOptions& o) {
  ELBO_CHECK(matrix.defined() && matrix.ndim() == 2, "plot_heatmap: expected a matrix [R, C], got ",
             matrix.defined() ? matrix.str() : std::string("an undefined tensor"));
  ELBO_CHECK(o.text_scale >= 1 && o.cell >= 0, "plot_heatmap: text_scale ≥ 1 and cell ≥ 0 needed");
  const int64_t s = o.text_scale, margin = 4 * s, line = 8 * s;
  const int64_t rows = matrix.size(0), cols = matrix.size(1);
  const int64_t cell = o.cell > 0 ? o.cell : auto_cell(std::max(rows, cols));
  const Rect area{margin, margin + (o.title.empty() ? 0 : line + 2 * s), cols * cell, rows * cell};
  const std::vector<double> ticks = nice_ticks(o.vmin, o.vmax, 4);
  const Rect bar{area.x + area.width + 6 * s, area.y, 6 * s, area.height};
  int64_t width = area.x + area.width + margin;
  if (o.colorbar) width = bar.x + bar.width + 3 * s + ticks_width(ticks, s) + margin;
  width = std::max(width, margin + label_width(o.title, s) + margin);
  const int64_t height = area.y + area.height + margin + 4 * s;  // room for the lowest tick label
  Tensor canvas = make_canvas(width, height);
  if (!o.title.empty()) draw_label(canvas, o.title, margin, margin, kBlack, s);
  draw_heatmap(canvas, matrix, area, o.vmin, o.vmax);
  if (o.colorbar) draw_colorbar(canvas, bar, o.vmin, o.vmax, s);
  return canvas;
}

namespace {

// The axes of a plotting area p whose y axis runs from 0 at the bottom to `top`: a line left of it
// and one under it (the pixel column p.x − 1 and row p.y + p.height), and at each tick value t a
// 2·s-pixel mark left of the y axis at row p.y + p.height − round(t/top · p.height) with its label.
void draw_axes(Tensor& canvas, const Rect& p, const std::vector<double>& ticks, double top, int64_t s) {
  fill_rect(canvas, {p.x - 1, p.y, 1, p.height + 1}, kBlack);           // y axis
  fill_rect(canvas, {p.x - 1, p.y + p.height, p.width + 1, 1}, kBlack);  // x axis
  for (double t : ticks) {
    const int64_t y = p.y + p.height - std::lround(t / top * static_cast<double>(p.height));
    fill_rect(canvas, {p.x - 1 - 2 * s, y, 2 * s, 1}, kBlack);
    const std::string text = format_tick(t);
    draw_label(canvas, text, p.x - 3 * s - label_width(text, s), y - 7 * s / 2, kBlack, s);
  }
}

// The top of the profile's y axis: the largest finite positive value plus 5%, or 1.
double profile_top(const std::vector<double>& profile) {
  double top = 0;
  for (double v : profile)
    if (std::isfinite(v)) top = std::max(top, v);
  return top > 0 ? top * 1.05 : 1.0;
}

}  // namespace

ProfileHeatmapLayout profile_heatmap_layout(const ProfileHeatmap& f) {
  ELBO_CHECK(f.matrix.defined() && f.matrix.ndim() == 2 && f.matrix.size(0) == f.matrix.size(1) && f.matrix.size(0) >= 1,
             "plot_profile_heatmap: the matrix must be square [M, M], got ",
             f.matrix.defined() ? f.matrix.str() : std::string("an undefined tensor"));
  const int64_t m = f.matrix.size(0);
  ELBO_CHECK(f.profile.empty() || static_cast<int64_t>(f.profile.size()) == m, "plot_profile_heatmap: ",
             f.profile.size(), " profile values for a ", m, "x", m, " matrix");
  ELBO_CHECK(!f.side.defined() || (f.side.ndim() == 2 && f.side.size(0) == m && f.side.size(1) >= 1),
             "plot_profile_heatmap: the side panel must be [", m, ", K], got ", f.side.defined() ? f.side.str() : "");
  ELBO_CHECK(!f.side.defined() || f.side_labels.empty() || static_cast<int64_t>(f.side_labels.size()) == f.side.size(1),
             "plot_profile_heatmap: ", f.side_labels.size(), " side labels for ", f.side.size(1), " side columns");
  for (const auto& b : f.blocks)
    ELBO_CHECK(b[0] >= 0 && b[0] <= b[1] && b[1] < m, "plot_profile_heatmap: block [", b[0], ", ", b[1],
               "] is not within positions 0..", m - 1);
  ELBO_CHECK(f.text_scale >= 1 && f.cell >= 0 && f.side_cell >= 0 && f.profile_height >= 0,
             "plot_profile_heatmap: sizes must be non-negative and text_scale ≥ 1");
  const int64_t s = f.text_scale, margin = 4 * s, line = 8 * s;
  const int64_t cell = f.cell > 0 ? f.cell : auto_cell(m);
  const int64_t side_cell = f.side_cell > 0 ? f.side_cell : std::max(cell, 9 * s);
  const std::vector<double> color_ticks = nice_ticks(f.vmin, f.vmax, 4);

  ProfileHeatmapLayout l;
  int64_t y = margin + (f.title.empty() ? 0 : line + 4 * s);
  int64_t left = margin;
  if (!f.profile.empty()) {
    left += ticks_width(nice_ticks(0, profile_top(f.profile), 2), s) + 3 * s;
    y += 2 * line;  // the profile's label, then the block numbers
    l.profile = {left, y, m * cell, f.profile_height > 0 ? f.profile_height : 40 * s};
    y += l.profile.height + 2 * s;
  }
  l.matrix = {left, y, m * cell, m * cell};
  int64_t right = l.matrix.x + l.matrix.width;
  int64_t bottom = l.matrix.y + l.matrix.height + 2 * s + (f.x_label.empty() ? 0 : line);
  if (f.side.defined()) {
    l.side = {right + 3 * s, y, f.side.size(1) * side_cell, l.matrix.height};
    right = l.side.x + l.side.width;
    int64_t longest = 0;
    for (const std::string& label : f.side_labels) longest = std::max<int64_t>(longest, static_cast<int64_t>(label.size()));
    bottom = std::max(bottom, l.side.y + l.side.height + 2 * s + longest * line);
  }
  l.colorbar = {right + 4 * s, y, 6 * s, l.matrix.height};
  l.width = std::max(l.colorbar.x + l.colorbar.width + 3 * s + ticks_width(color_ticks, s) + margin,
                     margin + label_width(f.title, s) + margin);
  l.width = std::max(l.width, l.matrix.x + label_width(f.x_label, s) + margin);
  l.height = std::max(bottom, l.colorbar.y + l.colorbar.height + 4 * s) + margin;
  return l;
}

Tensor plot_profile_heatmap(const ProfileHeatmap& f) {
  const ProfileHeatmapLayout l = profile_heatmap_layout(f);
  const int64_t s = f.text_scale, margin = 4 * s, line = 8 * s;
  const int64_t m = f.matrix.size(0);
  Tensor canvas = make_canvas(l.width, l.height);
  if (!f.title.empty()) draw_label(canvas, f.title, margin, margin, kBlack, s);
  auto span = [&](const Rect& area, const std::array<int64_t, 2>& b) {  // pixel columns of positions b[0]..b[1]
    const int64_t x0 = area.x + cell_edge(b[0], m, area.width), x1 = area.x + cell_edge(b[1] + 1, m, area.width);
    return std::array<int64_t, 2>{x0, x1};
  };

  if (!f.profile.empty()) {
    const Rect& p = l.profile;
    draw_label(canvas, f.profile_label, p.x, p.y - 2 * line, kBlack, s);
    for (size_t k = 0; k < f.blocks.size(); ++k) {
      const auto [x0, x1] = span(p, f.blocks[k]);
      fill_rect(canvas, {x0, p.y, x1 - x0, p.height}, palette_colour(static_cast<int64_t>(k)), 0.35f);
      const std::string number = std::to_string(k + 1);
      draw_label(canvas, number, (x0 + x1) / 2 - label_width(number, s) / 2, p.y - line, kBlack, s);
    }
    const double top = profile_top(f.profile);
    draw_profile(canvas, f.profile, p, top, {0.35f, 0.35f, 0.35f}, kBlack);
    draw_axes(canvas, p, nice_ticks(0, top, 2), top, s);
  }

  draw_heatmap(canvas, f.matrix, l.matrix, f.vmin, f.vmax);
  for (const auto& b : f.blocks) {
    const auto [x0, x1] = span(l.matrix, b);
    const int64_t y0 = l.matrix.y + (x0 - l.matrix.x), y1 = l.matrix.y + (x1 - l.matrix.x);
    draw_rect_outline(canvas, {x0, y0, x1 - x0, y1 - y0}, kWhite, 1);
  }
  if (!f.x_label.empty()) draw_label(canvas, f.x_label, l.matrix.x, l.matrix.y + l.matrix.height + 2 * s, kBlack, s);

  if (f.side.defined()) {
    draw_heatmap(canvas, f.side, l.side, f.vmin, f.vmax);
    const int64_t k = f.side.size(1);
    for (int64_t c = 0; c < static_cast<int64_t>(f.side_labels.size()); ++c) {
      const int64_t x0 = l.side.x + cell_edge(c, k, l.side.width), x1 = l.side.x + cell_edge(c + 1, k, l.side.width);
      draw_label_vertical(canvas, f.side_labels[static_cast<size_t>(c)], (x0 + x1) / 2 - 5 * s / 2,
                          l.side.y + l.side.height + 2 * s, kBlack, s);
    }
  }
  draw_colorbar(canvas, l.colorbar, f.vmin, f.vmax, s);
  return canvas;
}

HistogramLayout histogram_layout(const Histogram& f) {
  ELBO_CHECK(f.bins >= 1 && f.width >= f.bins && f.height >= 10 && f.text_scale >= 1, "plot_histogram: need bins ≥ 1, ",
             "a plot at least `bins` pixels wide and 10 high, text_scale ≥ 1; got ", f.bins, " bins in ", f.width, "x",
             f.height);
  HistogramLayout l;
  double lo = INFINITY, hi = -INFINITY;
  for (double v : f.values)
    if (!std::isnan(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (!std::isnan(f.lo)) lo = f.lo;
  if (!std::isnan(f.hi)) hi = f.hi;
  if (!(lo <= hi)) lo = 0, hi = 1;  // no values
  ELBO_CHECK(std::isfinite(lo) && std::isfinite(hi), "plot_histogram: the range [", lo, ", ", hi, "] must be finite");
  if (lo == hi) lo -= 0.5, hi += 0.5;
  l.lo = lo;
  l.hi = hi;
  l.counts.assign(static_cast<size_t>(f.bins), 0);
  for (double v : f.values) {
    if (std::isnan(v) || v < lo || v > hi) continue;
    int64_t b = static_cast<int64_t>((v - lo) / (hi - lo) * static_cast<double>(f.bins));
    ++l.counts[static_cast<size_t>(std::min(b, f.bins - 1))];
  }
  const int64_t most = std::max<int64_t>(1, *std::max_element(l.counts.begin(), l.counts.end()));
  const std::vector<double> t = nice_ticks(0, static_cast<double>(most), 5);
  const int64_t step = std::max<int64_t>(1, std::llround(t.size() > 1 ? t[1] - t[0] : 1.0));
  l.count_max = (most + step - 1) / step * step;

  const int64_t s = f.text_scale, margin = 4 * s, line = 8 * s;
  int64_t y = margin + (f.title.empty() ? 0 : line + 2 * s) + (f.y_label.empty() ? 0 : line + 4 * s);
  const int64_t y_ticks = label_width(format_tick(static_cast<double>(l.count_max)), s);
  l.plot = {margin + y_ticks + 3 * s, y, f.width, f.height};
  const int64_t last_tick = label_width(format_tick(hi), s);
  l.width = std::max(l.plot.x + l.plot.width + last_tick / 2 + margin, margin + label_width(f.title, s) + margin);
  l.height = l.plot.y + l.plot.height + 3 * s + line + (f.x_label.empty() ? 0 : line + 2 * s) + margin;
  return l;
}

Tensor plot_histogram(const Histogram& f) {
  const HistogramLayout l = histogram_layout(f);
  const int64_t s = f.text_scale, margin = 4 * s, line = 8 * s;
  const Rect& p = l.plot;
  Tensor canvas = make_canvas(l.width, l.height);
  int64_t y = margin;
  if (!f.title.empty()) {
    draw_label(canvas, f.title, margin, y, kBlack, s);
    y += line + 2 * s;
  }
  if (!f.y_label.empty()) draw_label(canvas, f.y_label, margin, y, kBlack, s);

  for (int64_t b = 0; b < f.bins; ++b) {  // bars, one pixel apart when they are wide enough
    const int64_t x0 = p.x + cell_edge(b, f.bins, p.width), x1 = p.x + cell_edge(b + 1, f.bins, p.width);
    const int64_t count = l.counts[static_cast<size_t>(b)];
    if (count == 0) continue;
    const int64_t bar = std::max<int64_t>(1, std::lround(static_cast<double>(count) / l.count_max * p.height));
    fill_rect(canvas, {x0, p.y + p.height - bar, x1 - x0 - (x1 - x0 >= 3 ? 1 : 0), bar}, f.bar);
  }
  std::vector<double> count_ticks;
  for (double t : nice_ticks(0, static_cast<double>(l.count_max), 5))
    if (t == std::floor(t)) count_ticks.push_back(t);  // counts are integers
  draw_axes(canvas, p, count_ticks, static_cast<double>(l.count_max), s);
  for (double t : nice_ticks(l.lo, l.hi, 5)) {
    const int64_t tx = p.x + std::min<int64_t>(p.width - 1, std::lround((t - l.lo) / (l.hi - l.lo) * p.width));
    fill_rect(canvas, {tx, p.y + p.height + 1, 1, 2 * s}, kBlack);
    const std::string text = format_tick(t);
    draw_label(canvas, text, tx - label_width(text, s) / 2, p.y + p.height + 3 * s, kBlack, s);
  }
  if (!f.x_label.empty())
    draw_label(canvas, f.x_label, p.x + p.width / 2 - label_width(f.x_label, s) / 2, p.y + p.height + 3 * s + line + 2 * s,
               kBlack, s);
  return canvas;
}

}  // namespace elbo::io
