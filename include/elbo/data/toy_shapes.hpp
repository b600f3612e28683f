// Toy shapes: binary 64×64-style images of one square or ellipse at a random position and size,
// drawn on demand from the counter-based generator. A data set with no files, for the demo and
// for tests; image i of (seed) is a pure function of (seed, i).
//
// Image i: shape s ∈ {square, ellipse}, half-size r ∈ [0.1, 0.25]·size, centre (cx, cy) uniform in
// the range that keeps the shape inside the frame. Pixel (y, x) is 1 when its centre lies inside
//     square:  max(|x − cx|, |y − cy|) ≤ r          ellipse: ((x − cx)/r)² + ((y − cy)/(0.6 r))² ≤ 1
#pragma once
#include <cstdint>

#include "elbo/tensor.hpp"

namespace elbo {

// Images first, …, first + n − 1 as an f32 tensor [n, 1, size, size] of 0s and 1s.
Tensor toy_shapes(int64_t n, int64_t size, uint64_t seed, uint64_t first);

}  // namespace elbo
