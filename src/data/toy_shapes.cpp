#include "elbo/data/toy_shapes.hpp"

#include "elbo/rng.hpp"

namespace elbo {

Tensor toy_shapes(int64_t n, int64_t size, uint64_t seed, uint64_t first) {
  ELBO_CHECK(n >= 0 && size >= 8, "toy_shapes: need n ≥ 0 and size ≥ 8, got n = ", n, ", size = ", size);
  Tensor images = empty(Shape{n, 1, size, size});
  float* out = images.data<float>();
  const double extent = static_cast<double>(size);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    // Four draws per image, from the image's own block of the stream: image i needs no other.
    Rng rng{seed, /*stream=*/0x70795f73686170ULL, (first + static_cast<uint64_t>(i)) * 4};
    bool square = rng.uniform() < 0.5;
    double r = (0.1 + 0.15 * rng.uniform()) * extent;
    double cx = r + (extent - 2 * r) * rng.uniform();
    double cy = r + (extent - 2 * r) * rng.uniform();
    float* img = out + i * size * size;
    for (int64_t y = 0; y < size; ++y) {
      for (int64_t x = 0; x < size; ++x) {
        double dx = (static_cast<double>(x) + 0.5 - cx) / r, dy = (static_cast<double>(y) + 0.5 - cy) / r;
        bool inside = square ? (dx * dx <= 1.0 && dy * dy <= 1.0) : (dx * dx + (dy / 0.6) * (dy / 0.6) <= 1.0);
        img[y * size + x] = inside ? 1.0f : 0.0f;
      }
    }
  }
  return images;
}

}  // namespace elbo
