// Raster primitives on RGB image tensors; see elbo/io/raster.hpp.
#include "elbo/io/raster.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/error.hpp"
#include "font5x7.hpp"

namespace elbo::io {

namespace {

bool inside(const Rect& r, int64_t x, int64_t y) {
  return x >= r.x && y >= r.y && x < r.x + r.width && y < r.y + r.height;
}

// Sets one pixel if it lies on the canvas and inside `clip`.
void put(Tensor& canvas, int64_t x, int64_t y, Rgb c, const Rect& clip = kNoClip) {
  const int64_t h = canvas.size(1), w = canvas.size(2);
  if (x < 0 || y < 0 || x >= w || y >= h || !inside(clip, x, y)) return;
  float* p = canvas.data<float>();
  p[y * w + x] = c.r;
  p[(h + y) * w + x] = c.g;
  p[(2 * h + y) * w + x] = c.b;
}

void draw_glyph(Tensor& canvas, char ch, int64_t x, int64_t y, Rgb c, int64_t scale) {
  const font5x7::Glyph& g = font5x7::glyph(ch);
  for (int row = 0; row < 7; ++row)
    for (int col = 0; col < 5; ++col) {
      if (!((g.rows[row] >> (4 - col)) & 1)) continue;
      for (int64_t dy = 0; dy < scale; ++dy)
        for (int64_t dx = 0; dx < scale; ++dx) put(canvas, x + col * scale + dx, y + row * scale + dy, c);
    }
}

}  // namespace

void check_canvas(const Tensor& canvas, const char* op) {
  ELBO_CHECK(canvas.defined() && canvas.ndim() == 3 && canvas.size(0) == 3 && canvas.dtype() == DType::f32 &&
                 canvas.is_contiguous(),
             op, ": expected a contiguous f32 RGB canvas [3, H, W] (make_canvas), got ",
             canvas.defined() ? canvas.str() : std::string("an undefined tensor"));
}

Tensor make_canvas(int64_t width, int64_t height, Rgb background) {
  ELBO_CHECK(width >= 1 && height >= 1 && width <= 32768 && height <= 32768, "make_canvas: size ", width, "x", height,
             " must be within 1..32768 pixels");
  Tensor canvas = empty(Shape{3, height, width});
  float* p = canvas.data<float>();
  const int64_t plane = width * height;
  std::fill(p, p + plane, background.r);
  std::fill(p + plane, p + 2 * plane, background.g);
  std::fill(p + 2 * plane, p + 3 * plane, background.b);
  return canvas;
}

Rgb pixel(const Tensor& canvas, int64_t x, int64_t y) {
  check_canvas(canvas, "pixel");
  const int64_t h = canvas.size(1), w = canvas.size(2);
  ELBO_CHECK(x >= 0 && y >= 0 && x < w && y < h, "pixel: (", x, ", ", y, ") is outside the ", w, "x", h, " canvas");
  const float* p = canvas.data<float>();
  return {p[y * w + x], p[(h + y) * w + x], p[(2 * h + y) * w + x]};
}

void set_pixel(Tensor& canvas, int64_t x, int64_t y, Rgb c) {
  check_canvas(canvas, "set_pixel");
  put(canvas, x, y, c);
}

void fill_rect(Tensor& canvas, Rect r, Rgb c, float alpha, Rect clip) {
  check_canvas(canvas, "fill_rect");
  const int64_t h = canvas.size(1), w = canvas.size(2);
  const int64_t x0 = std::max({r.x, clip.x, int64_t{0}}), x1 = std::min({r.x + r.width, clip.x + clip.width, w});
  const int64_t y0 = std::max({r.y, clip.y, int64_t{0}}), y1 = std::min({r.y + r.height, clip.y + clip.height, h});
  float* p = canvas.data<float>();
  const float colour[3] = {c.r, c.g, c.b};
  for (int64_t k = 0; k < 3; ++k)
    for (int64_t y = y0; y < y1; ++y)
      for (int64_t x = x0; x < x1; ++x) {
        float& v = p[(k * h + y) * w + x];
        v = alpha >= 1.0f ? colour[k] : alpha * colour[k] + (1.0f - alpha) * v;
      }
}

void draw_rect_outline(Tensor& canvas, Rect r, Rgb c, int64_t t, Rect clip) {
  const int64_t th = std::min(t, r.height), tw = std::min(t, r.width);  // the border rows and columns
  fill_rect(canvas, {r.x, r.y, r.width, th}, c, 1.0f, clip);                   // top
  fill_rect(canvas, {r.x, r.y + r.height - th, r.width, th}, c, 1.0f, clip);   // bottom
  fill_rect(canvas, {r.x, r.y, tw, r.height}, c, 1.0f, clip);                  // left
  fill_rect(canvas, {r.x + r.width - tw, r.y, tw, r.height}, c, 1.0f, clip);   // right
}

void draw_line(Tensor& canvas, int64_t x0, int64_t y0, int64_t x1, int64_t y1, Rgb c) {
  check_canvas(canvas, "draw_line");
  const int64_t dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
  const int64_t sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  int64_t err = dx + dy;
  while (true) {
    put(canvas, x0, y0, c);
    if (x0 == x1 && y0 == y1) break;
    const int64_t e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

void fill_disk(Tensor& canvas, int64_t cx, int64_t cy, int64_t r, Rgb c, Rect clip) {
  check_canvas(canvas, "fill_disk");
  for (int64_t dy = -r; dy <= r; ++dy)
    for (int64_t dx = -r; dx <= r; ++dx)
      if (dx * dx + dy * dy <= r * r + r) put(canvas, cx + dx, cy + dy, c, clip);
}

void draw_thick_line(Tensor& canvas, double x0, double y0, double x1, double y1, Rgb c, Rect clip) {
  const double length = std::max(std::fabs(x1 - x0), std::fabs(y1 - y0));
  const int64_t steps = static_cast<int64_t>(std::ceil(length * 2.0)) + 1;
  for (int64_t i = 0; i <= steps; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(steps);
    const int64_t x = std::lround(x0 + t * (x1 - x0)), y = std::lround(y0 + t * (y1 - y0));
    fill_rect(canvas, {x - 1, y - 1, 3, 3}, c, 1.0f, clip);
  }
}

int64_t draw_label(Tensor& canvas, const std::string& text, int64_t x, int64_t y, Rgb c, int64_t scale) {
  check_canvas(canvas, "draw_label");
  ELBO_CHECK(scale >= 1, "draw_label: scale must be ≥ 1, got ", scale);
  for (size_t i = 0; i < text.size(); ++i) draw_glyph(canvas, text[i], x + static_cast<int64_t>(i) * 6 * scale, y, c, scale);
  return label_width(text, scale);
}

void draw_label_vertical(Tensor& canvas, const std::string& text, int64_t x, int64_t y, Rgb c, int64_t scale) {
  check_canvas(canvas, "draw_label_vertical");
  ELBO_CHECK(scale >= 1, "draw_label_vertical: scale must be ≥ 1, got ", scale);
  for (size_t i = 0; i < text.size(); ++i) draw_glyph(canvas, text[i], x, y + static_cast<int64_t>(i) * 8 * scale, c, scale);
}

int64_t label_width(const std::string& text, int64_t scale) {
  return text.empty() ? 0 : (static_cast<int64_t>(text.size()) * 6 - 1) * scale;
}

}  // namespace elbo::io
