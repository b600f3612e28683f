// Module: a node of a model's tree, with named parameters, buffers and child modules.
//
// Parameters are leaf tensors with requires_grad (what the optimiser updates); buffers are
// state that is saved but not trained (BatchNorm's running statistics). Names are hierarchical
// as in PyTorch: parameter "weight" of child "0" of child "encoder" is "encoder.0.weight".
// Everything is listed in registration order, a module's own tensors before its children's.
//
// A module registers its members by address:
//     Tensor weight;                       // a member of the layer
//     register_parameter("weight", weight); // the registry points at that member
// so the member and the registry are one handle: assigning `layer.weight = t` changes what the
// module computes with and what parameters() lists. Modules are therefore neither copied nor
// moved; a parent holds its children as members, or owns them (Sequential), and registers them.
//
// train()/eval() set the mode of the module and all its descendants (BatchNorm reads it).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/nn/member_batch.hpp"
#include "elbo/ops/backend.hpp"
#include "elbo/tensor.hpp"

namespace elbo::nn {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

class Module {
 public:
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  // The module as a function of one tensor (layers, Sequential). Modules with several inputs or
  // outputs (whole models) define their own methods instead; this default fails.
  virtual Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }
  // f(forward(x)) computed in one pass where the module can: a layer whose op applies the
  // activation f as it writes its output (ops/backend.hpp, FusedActivation) returns that, with the
  // same values; the default returns an undefined tensor, meaning "apply f apart". Sequential
  // calls it for a layer followed by a ReLU, Tanh or Sigmoid. A class that overrides forward of
  // a layer that has this (Linear, Conv2d, ConvTranspose2d) overrides this too, or returns an
  // undefined tensor from it.
  virtual Tensor forward_activated(const Tensor& x, FusedActivation f);
  // This module and its fellow members of an ensemble applied to their K batches at once
  // (nn/member_batch.hpp): members[0] is this module, members[k] a module of the same structure
  // with its own parameters, x holds the K batches; returns f of each member's forward of its
  // batch, in the layout the module leaves it. The default fails naming the module. A class that
  // changes what a layer with this computes overrides it too (Conv2d's subclasses override
  // convolve, which both use), or makes it fail.
  virtual MemberBatch forward_members(const std::vector<Module*>& members, const MemberBatch& x, FusedActivation f);
  // One line naming the module and its configuration, e.g. "Linear(1024, 256)".
  virtual std::string str() const { return "Module"; }

  std::vector<Tensor> parameters() const;
  std::vector<NamedTensor> named_parameters() const;
  std::vector<NamedTensor> named_buffers() const;
  int64_t num_parameters() const;  // Σ numel over parameters()

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Drops every parameter's gradient (as PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();

  // Converts every parameter and buffer (recursively) to a dtype or device. Parameters become new
  // leaves without gradients: build optimisers after moving the model.
  void to(DType dtype);
  void to(Device device);

 protected:
  // `slot` must be a member of this module (its address is kept) holding a floating tensor;
  // register_parameter marks it requires_grad. Names are unique within a module, without '.'.
  void register_parameter(const std::string& name, Tensor& slot);
  void register_buffer(const std::string& name, Tensor& slot);
  void register_module(const std::string& name, Module& child);

 private:
  struct Slot {
    std::string name;
    Tensor* tensor;
  };
  struct Child {
    std::string name;
    Module* module;
  };
  void check_new_name(const std::string& name) const;
  void collect(const std::string& prefix, bool buffers, std::vector<NamedTensor>& out) const;
  template <class Visit>
  void for_each_parameter(const Visit& visit) const;
  template <class Convert>
  void convert_tensors(const Convert& convert);

  std::vector<Slot> parameters_;
  std::vector<Slot> buffers_;
  std::vector<Child> children_;
  bool training_ = true;
};

// The members of a forward_members call as modules of type M, checked: members[0] is `self` and
// every member is an M with the same str() (the same configuration), so that their parameters
// stack. Fails naming the first member that differs.
template <class M>
std::vector<M*> members_as(const M& self, const std::vector<Module*>& members) {
  ELBO_CHECK(!members.empty() && members[0] == &self, self.str(), ": forward_members must be called on members[0]");
  std::vector<M*> out;
  for (size_t k = 0; k < members.size(); ++k) {
    M* m = dynamic_cast<M*>(members[k]);
    ELBO_CHECK(m != nullptr && m->str() == self.str(), "forward_members: member ", k, " is ",
               members[k] ? members[k]->str() : "null", " where member 0 is ", self.str(),
               "; the members of an ensemble must be built alike");
    out.push_back(m);
  }
  return out;
}

}  // namespace elbo::nn
