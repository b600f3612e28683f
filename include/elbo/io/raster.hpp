// Raster primitives on RGB image tensors: f32 [3, H, W], values in [0, 1], row 0 at the top (as
// png.hpp writes them). Both figure families draw with them: plot.hpp (heatmaps, profile,
// histogram) and line_plot.hpp (lines with bands).
//
// The pixel rules are exact, without anti-aliasing, so that a test can name the pixels a call sets:
//   set_pixel         the one pixel
//   fill_rect         the pixels of the rectangle; with alpha < 1 each one becomes
//                     alpha·colour + (1 − alpha)·old
//   draw_rect_outline the pixels of the rectangle within `thickness` of its edge
//   draw_line         Bresenham's line, both ends included
//   fill_disk         the pixels (cx + dx, cy + dy) with dx² + dy² ≤ r² + r (round for small r)
//   draw_thick_line   a 3×3 square stamped at the pixel nearest to each of ⌈2·L⌉ + 2 equally spaced
//                     points from one end to the other (L: the longer of |Δx| and |Δy|)
//   draw_label        the 5×7 pixel font of png.hpp (draw_text), each font pixel a scale × scale square,
//                     characters 6·scale pixels apart
// Every primitive draws only the pixels that lie on the canvas; those that take `clip` draw only
// the pixels inside that rectangle too (a plot area, say). The default clip is the whole plane.
#pragma once
#include <cstdint>
#include <string>

#include "elbo/tensor.hpp"

namespace elbo::io {

struct Rgb {
  float r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

inline constexpr Rgb kWhite{1, 1, 1};
inline constexpr Rgb kBlack{0, 0, 0};

// A rectangle of pixels: columns [x, x + width), rows [y, y + height).
struct Rect {
  int64_t x = 0, y = 0, width = 0, height = 0;
};

// A clip rectangle that clips nothing: far larger than any canvas (make_canvas: at most 32768 pixels a side).
inline constexpr Rect kNoClip{-(int64_t{1} << 40), -(int64_t{1} << 40), int64_t{1} << 41, int64_t{1} << 41};

// Throws elbo::Error unless `canvas` is a contiguous f32 RGB tensor [3, H, W]; `op` names the caller.
void check_canvas(const Tensor& canvas, const char* op);
// A width × height RGB canvas filled with `background`.
Tensor make_canvas(int64_t width, int64_t height, Rgb background = kWhite);
// The colour of pixel (x, y) of a canvas.
Rgb pixel(const Tensor& canvas, int64_t x, int64_t y);

// Sets pixel (x, y) to `colour`; a pixel off the canvas is skipped.
void set_pixel(Tensor& canvas, int64_t x, int64_t y, Rgb colour);
// Fills a rectangle; with alpha < 1 blends colour over what is there: new = alpha·colour + (1 − alpha)·old.
void fill_rect(Tensor& canvas, Rect r, Rgb colour, float alpha = 1.0f, Rect clip = kNoClip);
// The rectangle's border, `thickness` pixels wide, inside the rectangle.
void draw_rect_outline(Tensor& canvas, Rect r, Rgb colour, int64_t thickness = 1, Rect clip = kNoClip);
// A straight line between two pixels, both included (Bresenham).
void draw_line(Tensor& canvas, int64_t x0, int64_t y0, int64_t x1, int64_t y1, Rgb colour);
// A filled disk of radius r around pixel (cx, cy).
void fill_disk(Tensor& canvas, int64_t cx, int64_t cy, int64_t radius, Rgb colour, Rect clip = kNoClip);
// A line 3 pixels wide between two points in pixel coordinates (not rounded first).
void draw_thick_line(Tensor& canvas, double x0, double y0, double x1, double y1, Rgb colour, Rect clip = kNoClip);

// Text in colour, 5×7 font scaled by `scale`: 6·scale pixels per character, 7·scale high; letters
// print in upper case, characters outside the font as '?'. Returns the width drawn.
int64_t draw_label(Tensor& canvas, const std::string& text, int64_t x, int64_t y, Rgb colour, int64_t scale = 1);
// Text written downwards, one character under the other (8·scale pixels apart): for column labels.
void draw_label_vertical(Tensor& canvas, const std::string& text, int64_t x, int64_t y, Rgb colour, int64_t scale = 1);
// Width of `text` as draw_label draws it (no space after the last character).
int64_t label_width(const std::string& text, int64_t scale = 1);

}  // namespace elbo::io
