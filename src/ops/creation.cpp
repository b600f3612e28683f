// Tensors made from values, and host-side reads of tensors.
#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/backend.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo {

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  backend(device).fill(t, value);
  return t;
}
Tensor zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype(), t.device()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype(), t.device()); }
Tensor scalar(double value, DType dtype, Device device) { return full(Shape{}, value, dtype, device); }

Tensor from_vector(const Shape& shape, const std::vector<double>& values, DType dtype, Device device) {
  ELBO_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "from_vector: ", values.size(),
             " values for shape ", shape.str(), " (", shape.numel(), " elements)");
  Tensor host = empty(shape, DType::f64, Device::cpu);
  double* p = host.data<double>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  Tensor out = empty(shape, dtype, device);
  if (device == Device::cpu) backend(Device::cpu).copy(host, out);
  else copy_(out, host.to(dtype));
  return out;
}

Tensor from_values(const Shape& shape, std::initializer_list<double> values, DType dtype) {
  return from_vector(shape, std::vector<double>(values), dtype);
}

std::vector<double> Tensor::to_vector() const {
  Tensor host = device() == Device::cpu ? *this : to_device(*this, Device::cpu);
  Tensor d = empty(shape(), DType::f64, Device::cpu);
  backend(Device::cpu).copy(host, d);
  const double* p = d.data<double>();
  return std::vector<double>(p, p + d.numel());
}

double Tensor::item() const {
  ELBO_CHECK(numel() == 1, "item: needs a one-element tensor, got ", str());
  Tensor host = device() == Device::cpu ? *this : to_device(*this, Device::cpu);
  Tensor value = empty(Shape{}, DType::f64, Device::cpu);  // pooled: no allocation in a loop
  backend(Device::cpu).copy(make_view(host, Shape{}, Shape{}, host.offset()), value);
  return *value.data<double>();
}

}  // namespace elbo
