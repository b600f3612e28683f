#include "elbo/shape.hpp"

#include "elbo/error.hpp"

namespace elbo {

Shape::Shape(std::initializer_list<int64_t> list) {
  ELBO_CHECK(list.size() <= kMaxDims, "Shape: ", list.size(), " dimensions exceed the maximum of ", kMaxDims);
  for (int64_t d : list) push_back(d);
}

Shape Shape::of_rank(int n, int64_t fill) {
  ELBO_CHECK(n >= 0 && n <= kMaxDims, "Shape: rank ", n, " is outside [0, ", kMaxDims, "]");
  Shape s;
  s.ndim = n;
  for (int i = 0; i < n; ++i) s.dims[i] = fill;
  return s;
}

int Shape::wrap(int i) const {
  int j = i < 0 ? i + ndim : i;
  ELBO_CHECK(j >= 0 && j < ndim, "Shape: index ", i, " is out of range for ", str());
  return j;
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim; ++i) n *= dims[i];
  return n;
}

void Shape::push_back(int64_t d) {
  ELBO_CHECK(ndim < kMaxDims, "Shape: more than ", kMaxDims, " dimensions");
  // −1 is allowed for reshape's inferred extent; tensors themselves check for negative extents.
  ELBO_CHECK(d >= -1, "Shape: negative extent ", d);
  dims[ndim++] = d;
}

bool Shape::operator==(const Shape& o) const {
  if (ndim != o.ndim) return false;
  for (int i = 0; i < ndim; ++i)
    if (dims[i] != o.dims[i]) return false;
  return true;
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < ndim; ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

Shape contiguous_strides(const Shape& shape) {
  Shape st = Shape::of_rank(shape.ndim, 1);
  int64_t acc = 1;
  for (int i = shape.ndim - 1; i >= 0; --i) {
    st.dims[i] = acc;
    acc *= shape.dims[i];
  }
  return st;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  int n = a.ndim > b.ndim ? a.ndim : b.ndim;
  Shape out = Shape::of_rank(n, 1);
  for (int i = 0; i < n; ++i) {
    int64_t da = i < n - a.ndim ? 1 : a.dims[i - (n - a.ndim)];
    int64_t db = i < n - b.ndim ? 1 : b.dims[i - (n - b.ndim)];
    ELBO_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", a.str(), " and ", b.str(),
               " do not broadcast (dimension ", i, ": ", da, " vs ", db, ")");
    out.dims[i] = da == 1 ? db : da;
  }
  return out;
}

int normalize_axis(int axis, int ndim, const char* op) {
  int a = axis < 0 ? axis + ndim : axis;
  ELBO_CHECK(a >= 0 && a < ndim, op, ": axis ", axis, " is out of range for a tensor of rank ", ndim);
  return a;
}

}  // namespace elbo
