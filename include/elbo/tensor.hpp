// Tensor: an N-d array (shape, strides, dtype, device) viewing a reference-counted Storage.
//
// A Tensor is a cheap handle (one pointer, reference counted without atomics): copying it
// shares the data. Views (reshape, permute, slice) share storage and differ in shape, strides
// and offset. Handles are used from one thread at a time; kernels parallelise inside.
//
// For autodiff a tensor carries `requires_grad`, the node that produced it (`grad_fn`) and,
// for leaves such as parameters, the accumulated gradient `grad()`. See autograd.hpp.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "elbo/allocator.hpp"
#include "elbo/error.hpp"
#include "elbo/shape.hpp"

namespace elbo {

enum class DType : uint8_t { f32, f64, i32, i64, u8 };
size_t dtype_size(DType t);
const char* dtype_name(DType t);
bool is_floating(DType t);

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::u8; }

struct Storage {
  int64_t refcount = 0;
  void* data = nullptr;
  size_t bytes = 0;
  Allocator* allocator = nullptr;  // null for memory the storage does not own
};

struct Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(TensorImpl* impl);  // takes a reference
  Tensor(const Tensor& o);
  Tensor(Tensor&& o) noexcept : impl_(o.impl_) { o.impl_ = nullptr; }
  Tensor& operator=(const Tensor& o);
  Tensor& operator=(Tensor&& o) noexcept;
  ~Tensor();

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_; }

  const Shape& shape() const;
  const Shape& strides() const;
  int ndim() const { return shape().ndim; }
  int64_t size(int axis) const { return shape()[axis]; }
  int64_t numel() const { return shape().numel(); }
  int64_t offset() const;
  DType dtype() const;
  Device device() const;
  bool is_contiguous() const;
  std::string str() const;  // "f32[64, 10] cpu"

  // Typed pointer to element 0 of this view; checks the dtype.
  template <class T> T* data() const {
    ELBO_CHECK(dtype() == dtype_of<T>(), "Tensor::data: tensor is ", dtype_name(dtype()),
               ", requested ", dtype_name(dtype_of<T>()));
    return static_cast<T*>(raw_data());
  }
  void* raw_data() const;  // element 0 of this view, untyped
  Storage* storage() const;

  // Host-side reads, for tests and printing (copies from the device when needed).
  double item() const;  // the value of a one-element tensor
  std::vector<double> to_vector() const;

  // Copies. `contiguous` returns *this when already contiguous. All three are differentiable.
  Tensor contiguous() const;
  Tensor to(Device device) const;
  Tensor to(DType dtype) const;
  Tensor clone() const;

  // Autodiff.
  bool requires_grad() const;
  Tensor& requires_grad_(bool on = true);  // only on leaves
  Tensor grad() const;                     // accumulated gradient of a leaf (undefined if none)
  void set_grad(const Tensor& g) const;
  void zero_grad() const;                  // drops the gradient
  Node* grad_fn() const;
  Tensor detach() const;                   // same data, no history
  void backward() const;                   // d(this)/d(leaves); this must be a scalar

 private:
  TensorImpl* impl_ = nullptr;
};

struct TensorImpl {
  int64_t refcount = 0;
  Shape shape;
  Shape strides;
  int64_t offset = 0;  // in elements, into storage
  DType dtype = DType::f32;
  Device device = Device::cpu;
  Storage* storage = nullptr;
  bool requires_grad = false;
  Tensor grad;            // leaves: accumulated gradient
  Node* grad_fn = nullptr;  // non-leaves: the node that made this tensor (owned reference)
};

// ---- construction -------------------------------------------------------------------------------
Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu);
Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu);
Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu);
Tensor full(const Shape& shape, double value, DType dtype = DType::f32, Device device = Device::cpu);
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
// A tensor holding `values` (row-major), converted to `dtype`.
Tensor from_vector(const Shape& shape, const std::vector<double>& values, DType dtype = DType::f32,
                   Device device = Device::cpu);
Tensor from_values(const Shape& shape, std::initializer_list<double> values, DType dtype = DType::f32);
Tensor scalar(double value, DType dtype = DType::f32, Device device = Device::cpu);
// A view with the given geometry over another tensor's storage (no copy, no history).
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);

}  // namespace elbo
