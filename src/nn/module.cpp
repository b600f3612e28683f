// Module: registration, hierarchical names and walks over the module tree (nn/module.hpp).
#include "elbo/nn/module.hpp"

namespace elbo::nn {

Tensor Module::forward(const Tensor&) { detail::fail(str(), ": this module has no forward of one tensor"); }

Tensor Module::forward_activated(const Tensor&, FusedActivation) { return Tensor(); }

MemberBatch Module::forward_members(const std::vector<Module*>&, const MemberBatch&, FusedActivation) {
  detail::fail(str(), ": this module cannot run an ensemble's members in one pass (it has no forward_members; "
               "train the members one at a time)");
}

void Module::check_new_name(const std::string& name) const {
  ELBO_CHECK(!name.empty() && name.find('.') == std::string::npos, str(), ": invalid name '", name,
             "' (names are non-empty and have no '.')");
  for (const Slot& s : parameters_) ELBO_CHECK(s.name != name, str(), ": name '", name, "' is already a parameter");
  for (const Slot& s : buffers_) ELBO_CHECK(s.name != name, str(), ": name '", name, "' is already a buffer");
  for (const Child& c : children_) ELBO_CHECK(c.name != name, str(), ": name '", name, "' is already a child module");
}

void Module::register_parameter(const std::string& name, Tensor& slot) {
  check_new_name(name);
  ELBO_CHECK(slot.defined() && is_floating(slot.dtype()), str(), ": parameter '", name,
             "' must be a floating-point tensor, got ", slot.defined() ? slot.str() : "undefined");
  slot.requires_grad_(true);
  parameters_.push_back({name, &slot});
}

void Module::register_buffer(const std::string& name, Tensor& slot) {
  check_new_name(name);
  ELBO_CHECK(slot.defined(), str(), ": buffer '", name, "' is undefined");
  buffers_.push_back({name, &slot});
}

void Module::register_module(const std::string& name, Module& child) {
  check_new_name(name);
  ELBO_CHECK(&child != this, str(), ": a module cannot be its own child");
  child.train(training_);
  children_.push_back({name, &child});
}

// Pre-order: this module's own tensors, then each child's under "prefix.child.".
void Module::collect(const std::string& prefix, bool buffers, std::vector<NamedTensor>& out) const {
  for (const Slot& s : buffers ? buffers_ : parameters_) out.push_back({prefix + s.name, *s.tensor});
  for (const Child& c : children_) c.module->collect(prefix + c.name + ".", buffers, out);
}

std::vector<NamedTensor> Module::named_parameters() const {
  std::vector<NamedTensor> out;
  collect("", false, out);
  return out;
}

std::vector<NamedTensor> Module::named_buffers() const {
  std::vector<NamedTensor> out;
  collect("", true, out);
  return out;
}

// Visits every parameter tensor, pre-order as collect(), without building names.
template <class Visit>
void Module::for_each_parameter(const Visit& visit) const {
  for (const Slot& s : parameters_) visit(*s.tensor);
  for (const Child& c : children_) c.module->for_each_parameter(visit);
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for_each_parameter([&](const Tensor& p) { out.push_back(p); });
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for_each_parameter([&](const Tensor& p) { n += p.numel(); });
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (Child& c : children_) c.module->train(on);
}

void Module::zero_grad() {
  for_each_parameter([](const Tensor& p) { p.zero_grad(); });
}

// Replaces every parameter and buffer t (recursively) by convert(t); parameters become fresh leaves.
template <class Convert>
void Module::convert_tensors(const Convert& convert) {
  for (Slot& s : parameters_) {
    *s.tensor = convert(s.tensor->detach());
    s.tensor->requires_grad_(true);
  }
  for (Slot& s : buffers_) *s.tensor = convert(*s.tensor);
  for (Child& c : children_) c.module->convert_tensors(convert);
}

void Module::to(DType dtype) {
  ELBO_CHECK(is_floating(dtype), str(), ": to(", dtype_name(dtype), "): parameters must stay floating point");
  convert_tensors([&](const Tensor& t) { return is_floating(t.dtype()) && t.dtype() != dtype ? t.to(dtype) : t; });
}

void Module::to(Device device) {
  convert_tensors([&](const Tensor& t) { return t.device() == device ? t : t.to(device); });
}

}  // namespace elbo::nn
