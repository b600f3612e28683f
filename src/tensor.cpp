#include "elbo/tensor.hpp"

#include <cstring>

#include "elbo/autograd.hpp"
#include "elbo/context.hpp"
#include "pool.hpp"

namespace elbo {

// ---- dtypes ---------------------------------------------------------------------------------
size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i32: return 4;
    case DType::i64: return 8;
    case DType::u8: return 1;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::i32: return "i32";
    case DType::i64: return "i64";
    case DType::u8: return "u8";
  }
  return "?";
}

bool is_floating(DType t) { return t == DType::f32 || t == DType::f64; }

// ---- pools ------------------------------------------------------------------------------------
namespace {
// Never destroyed, like the allocators: static tensors may outlive them.
detail::ObjectPool<TensorImpl>& impl_pool() {
  static auto* p = new detail::ObjectPool<TensorImpl>();
  return *p;
}
detail::ObjectPool<Storage>& storage_pool() {
  static auto* p = new detail::ObjectPool<Storage>();
  return *p;
}

void release_storage(Storage* s) {
  if (!s || --s->refcount > 0) return;
  if (s->allocator) s->allocator->deallocate(s->data, s->bytes);
  storage_pool().give_back(s);
}
}  // namespace

Allocator& allocator_for(Device device);  // defined with the backends (ops/backend.cpp)

// ---- handle -----------------------------------------------------------------------------------
namespace {
void release_impl(TensorImpl* t) {
  if (!t || --t->refcount > 0) return;
  release_storage(t->storage);
  if (t->grad_fn) detail::release(t->grad_fn);
  impl_pool().give_back(t);  // resets it, which also drops its gradient
}
}  // namespace

Tensor::Tensor(TensorImpl* impl) : impl_(impl) {
  if (impl_) ++impl_->refcount;
}
Tensor::Tensor(const Tensor& o) : impl_(o.impl_) {
  if (impl_) ++impl_->refcount;
}
Tensor& Tensor::operator=(const Tensor& o) {
  if (o.impl_) ++o.impl_->refcount;
  TensorImpl* old = impl_;
  impl_ = o.impl_;
  release_impl(old);
  return *this;
}
Tensor& Tensor::operator=(Tensor&& o) noexcept {
  if (this != &o) {
    TensorImpl* old = impl_;
    impl_ = o.impl_;
    o.impl_ = nullptr;
    release_impl(old);
  }
  return *this;
}
Tensor::~Tensor() { release_impl(impl_); }

namespace {
const TensorImpl& checked(const TensorImpl* t) {
  ELBO_CHECK(t, "Tensor: use of an undefined tensor");
  return *t;
}
}  // namespace

const Shape& Tensor::shape() const { return checked(impl_).shape; }
const Shape& Tensor::strides() const { return checked(impl_).strides; }
int64_t Tensor::offset() const { return checked(impl_).offset; }
DType Tensor::dtype() const { return checked(impl_).dtype; }
Device Tensor::device() const { return checked(impl_).device; }
Storage* Tensor::storage() const { return checked(impl_).storage; }
bool Tensor::requires_grad() const { return checked(impl_).requires_grad; }
Node* Tensor::grad_fn() const { return checked(impl_).grad_fn; }

bool Tensor::is_contiguous() const {
  const TensorImpl& t = checked(impl_);
  int64_t expected = 1;
  for (int i = t.shape.ndim - 1; i >= 0; --i) {
    if (t.shape.dims[i] != 1 && t.strides.dims[i] != expected) return false;
    expected *= t.shape.dims[i];
  }
  return true;
}

std::string Tensor::str() const {
  if (!impl_) return "undefined";
  return std::string(dtype_name(dtype())) + shape().str() + " " + device_name(device());
}

void* Tensor::raw_data() const {
  const TensorImpl& t = checked(impl_);
  return static_cast<char*>(t.storage->data) + t.offset * static_cast<int64_t>(dtype_size(t.dtype));
}

Tensor& Tensor::requires_grad_(bool on) {
  TensorImpl& t = const_cast<TensorImpl&>(checked(impl_));
  ELBO_CHECK(!t.grad_fn, "requires_grad_: ", str(), " is the output of op '", t.grad_fn ? t.grad_fn->name : "",
             "'; only leaf tensors can be marked (use detach() first)");
  ELBO_CHECK(!on || is_floating(t.dtype), "requires_grad_: ", str(), " is not floating point");
  t.requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return checked(impl_).grad; }

void Tensor::set_grad(const Tensor& g) const {
  TensorImpl& t = const_cast<TensorImpl&>(checked(impl_));
  ELBO_CHECK(!g.defined() || (g.shape() == t.shape && g.dtype() == t.dtype), "set_grad: gradient ", g.str(),
             " does not match tensor ", str());
  t.grad = g;
}

void Tensor::zero_grad() const { const_cast<TensorImpl&>(checked(impl_)).grad = Tensor(); }

Tensor Tensor::detach() const {
  const TensorImpl& t = checked(impl_);
  return make_view(*this, t.shape, t.strides, t.offset);
}

// ---- construction -------------------------------------------------------------------------------
Tensor empty(const Shape& shape, DType dtype, Device device) {
  for (int i = 0; i < shape.ndim; ++i)
    ELBO_CHECK(shape.dims[i] >= 0, "empty: negative extent in shape ", shape.str());
  Storage* s = storage_pool().acquire();
  s->refcount = 1;
  s->bytes = static_cast<size_t>(shape.numel()) * dtype_size(dtype);
  s->allocator = &allocator_for(device);
  s->data = s->allocator->allocate(s->bytes);
  TensorImpl* t = impl_pool().acquire();
  t->shape = shape;
  t->strides = contiguous_strides(shape);
  t->dtype = dtype;
  t->device = device;
  t->storage = s;
  return Tensor(t);
}

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  Storage* s = base.storage();
  ++s->refcount;
  TensorImpl* t = impl_pool().acquire();
  t->shape = shape;
  t->strides = strides;
  t->offset = offset;
  t->dtype = base.dtype();
  t->device = base.device();
  t->storage = s;
  return Tensor(t);
}

Tensor empty_like(const Tensor& t) { return empty(t.shape(), t.dtype(), t.device()); }

PoolStats pool_stats() {
  PoolStats p;
  p.tensor_impls_created = impl_pool().created;
  p.storages_created = storage_pool().created;
  p.nodes_created = detail::node_pool_created();
  return p;
}

}  // namespace elbo
