// Images on disk: PNG writing (stb_image_write), image grids with text labels, and reading PNG/JPEG
// (stb_image; also BMP, GIF, TGA, PSD, HDR, PIC, PNM).
//
// Tensors hold images as [C, H, W] (C = 1 grey or 3 RGB), values in [0, 1]; a file holds 8-bit
// samples v8 = round(255 · clamp(v, 0, 1)) (NaN as 0), and reading gives v = v8 / 255.
//
// An image grid lays N images out in rows of `cols`, with `margin` pixels of background between
// and around them, and optionally a text label left of each row, drawn with a built-in 5×7 pixel
// font (digits, letters (upper case), space and . , : ; - + = / _ ( ) ' % #; other characters
// print as '?'), scaled by an integer factor.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "elbo/tensor.hpp"

namespace elbo::io {

// 8-bit pixels, rows top to bottom, channels interleaved (HWC), as decoders and encoders use them.
struct Image8 {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
};

// Decodes PNG/JPEG/... bytes. channels: 0 keeps the file's (grey or RGB; an alpha channel is dropped),
// 1 converts to grey (stb: (77·R + 150·G + 29·B) / 256), 3 to RGB.
Image8 decode_image(std::span<const uint8_t> bytes, int channels, const std::string& what);
// read_image: the file as f32 [C, H, W] in [0, 1].
Tensor read_image(const std::string& path, int channels = 0);

// [C, H, W] or [H, W] (f32 or f64 in [0, 1], or u8 0–255) to 8-bit HWC.
Image8 to_image8(const Tensor& image);
std::vector<uint8_t> encode_png(const Image8& image);
// Writes a PNG atomically.
void write_png(const std::string& path, const Tensor& image);
void write_png(const std::string& path, const Image8& image);

struct GridOptions {
  int64_t cols = 0;                     // images per row; 0: ⌈√N⌉
  int64_t margin = 2;                   // pixels between and around images
  float background = 1.0f;              // margin colour (grey level in [0, 1])
  std::vector<std::string> row_labels;  // empty, or one label per row
  int64_t label_scale = 1;              // each font pixel becomes label_scale² pixels
};

// The grid of images [N, C, H, W] as one image [C, H', W'].
Tensor image_grid(const Tensor& images, const GridOptions& options = {});
void write_image_grid(const std::string& path, const Tensor& images, const GridOptions& options = {});

// Draws `text` into `image` [C, H, W] (f32) with its top-left corner at (x, y) in colour `value`;
// pixels outside the image are skipped. Returns the width drawn: 6 · scale per character.
int64_t draw_text(Tensor& image, const std::string& text, int64_t x, int64_t y, float value, int64_t scale = 1);

}  // namespace elbo::io
