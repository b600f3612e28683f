#include "elbo/io/png.hpp"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "elbo/io/atomic_file.hpp"
#include "elbo/ops/shape.hpp"
#include "font5x7.hpp"

namespace elbo::io {

// ---- reading ------------------------------------------------------------------------------------

Image8 decode_image(std::span<const uint8_t> bytes, int channels, const std::string& what) {
  ELBO_CHECK(channels == 0 || channels == 1 || channels == 3, "decode_image: ", what, ": channels must be 0, 1 or 3, got ",
             channels);
  ELBO_CHECK(bytes.size() <= static_cast<size_t>(INT_MAX), what, ": image file of ", bytes.size(),
             " bytes is larger than the decoder accepts (2 GB)");
  int w = 0, h = 0, file_channels = 0;
  int len = static_cast<int>(bytes.size());
  ELBO_CHECK(stbi_info_from_memory(bytes.data(), len, &w, &h, &file_channels), what,
             ": not a readable image (PNG, JPEG, BMP, GIF, TGA, PSD, HDR, PIC or PNM): ", stbi_failure_reason());
  int want = channels != 0 ? channels : (file_channels <= 2 ? 1 : 3);
  uint8_t* data = stbi_load_from_memory(bytes.data(), len, &w, &h, &file_channels, want);
  ELBO_CHECK(data != nullptr, what, ": cannot decode the image: ", stbi_failure_reason());
  Image8 img;
  img.width = w;
  img.height = h;
  img.channels = want;
  img.pixels.assign(data, data + static_cast<size_t>(w) * static_cast<size_t>(h) * static_cast<size_t>(want));
  stbi_image_free(data);
  return img;
}

Tensor read_image(const std::string& path, int channels) {
  Image8 img = decode_image(read_file(path), channels, path);
  Tensor t = empty(Shape{img.channels, img.height, img.width});
  float* out = t.data<float>();
  const int64_t plane = static_cast<int64_t>(img.width) * img.height;
  for (int64_t p = 0; p < plane; ++p)
    for (int c = 0; c < img.channels; ++c) out[c * plane + p] = img.pixels[static_cast<size_t>(p * img.channels + c)] / 255.0f;
  return t;
}

// ---- writing ------------------------------------------------------------------------------------

Image8 to_image8(const Tensor& image) {
  ELBO_CHECK(image.defined() && (image.ndim() == 2 || image.ndim() == 3), "to_image8: expected an image [C, H, W] or [H, W], got ",
             image.defined() ? image.str() : std::string("an undefined tensor"));
  Tensor t = image.device() == Device::cpu ? image : image.to(Device::cpu);
  if (t.ndim() == 2) t = reshape(t, Shape{1, t.size(0), t.size(1)});
  const int64_t c = t.size(0), h = t.size(1), w = t.size(2);
  ELBO_CHECK(c == 1 || c == 3, "to_image8: images have 1 (grey) or 3 (RGB) channels, got shape ", t.shape().str());
  ELBO_CHECK(h >= 1 && w >= 1 && h <= INT_MAX && w <= INT_MAX, "to_image8: empty or oversized image ", t.shape().str());
  Image8 img;
  img.width = static_cast<int>(w);
  img.height = static_cast<int>(h);
  img.channels = static_cast<int>(c);
  img.pixels.resize(static_cast<size_t>(c * h * w));
  if (t.dtype() == DType::u8) {
    Tensor u = t.contiguous();
    const uint8_t* src = u.data<uint8_t>();
    for (int64_t p = 0; p < h * w; ++p)
      for (int64_t k = 0; k < c; ++k) img.pixels[static_cast<size_t>(p * c + k)] = src[k * h * w + p];
    return img;
  }
  ELBO_CHECK(is_floating(t.dtype()), "to_image8: expected a floating image in [0, 1] or u8, got ", dtype_name(t.dtype()));
  Tensor f = t.to(DType::f32).contiguous();
  const float* src = f.data<float>();
  for (int64_t p = 0; p < h * w; ++p) {
    for (int64_t k = 0; k < c; ++k) {
      float v = src[k * h * w + p];
      v = std::isnan(v) ? 0.0f : std::clamp(v, 0.0f, 1.0f);
      img.pixels[static_cast<size_t>(p * c + k)] = static_cast<uint8_t>(std::lround(static_cast<double>(v) * 255.0));
    }
  }
  return img;
}

std::vector<uint8_t> encode_png(const Image8& img) {
  ELBO_CHECK(img.width > 0 && img.height > 0 && (img.channels == 1 || img.channels == 3 || img.channels == 4) &&
                 img.pixels.size() == static_cast<size_t>(img.width) * img.height * img.channels,
             "encode_png: inconsistent image ", img.width, "x", img.height, "x", img.channels, " with ", img.pixels.size(),
             " bytes");
  std::vector<uint8_t> out;
  auto append = [](void* context, void* data, int size) {
    auto* v = static_cast<std::vector<uint8_t>*>(context);
    v->insert(v->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  int ok = stbi_write_png_to_func(append, &out, img.width, img.height, img.channels, img.pixels.data(),
                                  img.width * img.channels);
  ELBO_CHECK(ok != 0, "encode_png: stb_image_write failed for a ", img.width, "x", img.height, " image");
  return out;
}

void write_png(const std::string& path, const Image8& image) { write_file_atomic(path, encode_png(image)); }
void write_png(const std::string& path, const Tensor& image) { write_png(path, to_image8(image)); }

// ---- grids and labels ---------------------------------------------------------------------------

int64_t draw_text(Tensor& image, const std::string& text, int64_t x, int64_t y, float value, int64_t scale) {
  ELBO_CHECK(image.defined() && image.ndim() == 3 && image.dtype() == DType::f32 && image.is_contiguous(),
             "draw_text: expected a contiguous f32 image [C, H, W]");
  ELBO_CHECK(scale >= 1, "draw_text: scale must be ≥ 1, got ", scale);
  const int64_t c = image.size(0), h = image.size(1), w = image.size(2);
  float* px = image.data<float>();
  for (size_t i = 0; i < text.size(); ++i) {
    const font5x7::Glyph& g = font5x7::glyph(text[i]);
    int64_t left = x + static_cast<int64_t>(i) * 6 * scale;
    for (int row = 0; row < 7; ++row) {
      for (int col = 0; col < 5; ++col) {
        if (!((g.rows[row] >> (4 - col)) & 1)) continue;
        for (int64_t dy = 0; dy < scale; ++dy) {
          for (int64_t dx = 0; dx < scale; ++dx) {
            int64_t py = y + row * scale + dy, pxl = left + col * scale + dx;
            if (py < 0 || py >= h || pxl < 0 || pxl >= w) continue;
            for (int64_t k = 0; k < c; ++k) px[(k * h + py) * w + pxl] = value;
          }
        }
      }
    }
  }
  return static_cast<int64_t>(text.size()) * 6 * scale;
}

Tensor image_grid(const Tensor& images, const GridOptions& o) {
  ELBO_CHECK(images.defined() && images.ndim() == 4 && (images.size(1) == 1 || images.size(1) == 3),
             "image_grid: expected images [N, C, H, W] with C = 1 or 3, got ",
             images.defined() ? images.str() : std::string("an undefined tensor"));
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  ELBO_CHECK(n >= 1, "image_grid: no images");
  ELBO_CHECK(o.margin >= 0 && o.cols >= 0 && o.label_scale >= 1, "image_grid: need margin ≥ 0, cols ≥ 0, label_scale ≥ 1");
  const int64_t cols = o.cols > 0 ? o.cols : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int64_t rows = (n + cols - 1) / cols;
  ELBO_CHECK(o.row_labels.empty() || static_cast<int64_t>(o.row_labels.size()) == rows, "image_grid: ",
             o.row_labels.size(), " row labels for ", rows, " rows (", n, " images, ", cols, " per row)");
  int64_t label_width = 0;
  for (const std::string& s : o.row_labels)
    label_width = std::max(label_width, static_cast<int64_t>(s.size()) * 6 * o.label_scale);
  if (label_width > 0) label_width += o.margin;
  const int64_t H = rows * h + (rows + 1) * o.margin;
  const int64_t W = label_width + cols * w + (cols + 1) * o.margin;
  Tensor grid = full(Shape{c, H, W}, o.background);
  Tensor src = (images.device() == Device::cpu ? images : images.to(Device::cpu)).to(DType::f32).contiguous();
  const float* in = src.data<float>();
  float* out = grid.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    int64_t top = o.margin + (i / cols) * (h + o.margin);
    int64_t left = label_width + o.margin + (i % cols) * (w + o.margin);
    for (int64_t k = 0; k < c; ++k)
      for (int64_t y = 0; y < h; ++y)
        std::memcpy(out + (k * H + top + y) * W + left, in + ((i * c + k) * h + y) * w, static_cast<size_t>(w) * sizeof(float));
  }
  const float ink = o.background >= 0.5f ? 0.0f : 1.0f;  // dark text on a light background, light on dark
  for (int64_t r = 0; r < static_cast<int64_t>(o.row_labels.size()); ++r) {
    int64_t top = o.margin + r * (h + o.margin) + (h - 7 * o.label_scale) / 2;
    draw_text(grid, o.row_labels[static_cast<size_t>(r)], o.margin, top, ink, o.label_scale);
  }
  return grid;
}

void write_image_grid(const std::string& path, const Tensor& images, const GridOptions& options) {
  write_png(path, image_grid(images, options));
}

}  // namespace elbo::io
