// Shape: the extents of an N-d array, stored inline (no heap allocation).
//
// Shapes and strides are both `Shape` values: strides count elements, not bytes.
// Row-major ("C order") is the default layout; images are NCHW.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>

namespace elbo {

constexpr int kMaxDims = 8;

struct Shape {
  int64_t dims[kMaxDims] = {};
  int ndim = 0;

  Shape() = default;
  Shape(std::initializer_list<int64_t> list);
  static Shape of_rank(int ndim, int64_t fill);

  // Negative indices count from the end, as in numpy.
  int64_t operator[](int i) const { return dims[wrap(i)]; }
  int64_t& operator[](int i) { return dims[wrap(i)]; }
  int64_t numel() const;
  void push_back(int64_t d);
  bool operator==(const Shape& other) const;
  bool operator!=(const Shape& other) const { return !(*this == other); }
  std::string str() const;  // "[64, 1, 64, 64]"

  int wrap(int i) const;  // maps -1 to ndim-1; throws if out of range
};

// Row-major strides of a contiguous array of this shape.
Shape contiguous_strides(const Shape& shape);

// The shape both operands broadcast to (numpy rules), or throws naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Normalises an axis (negative counts from the end) against `ndim`, or throws naming `op`.
int normalize_axis(int axis, int ndim, const char* op);

}  // namespace elbo
