// Sequential container (nn/sequential.hpp).
#include "elbo/nn/sequential.hpp"

#include "elbo/nn/activation.hpp"

namespace elbo::nn {

Module& Sequential::append(std::unique_ptr<Module> layer) {
  ELBO_CHECK(layer != nullptr, "Sequential::append: null layer");
  layers_.push_back(std::move(layer));
  register_module(std::to_string(layers_.size() - 1), *layers_.back());
  return *layers_.back();
}

namespace {
// The activation a module applies, if it is one that a layer before it can apply in its own pass.
FusedActivation fusable_activation(const Module& m) {
  const auto* a = dynamic_cast<const Activation*>(&m);
  if (!a) return FusedActivation::none;
  switch (a->op) {
    case UnaryOp::relu: return FusedActivation::relu;
    case UnaryOp::tanh: return FusedActivation::tanh;
    case UnaryOp::sigmoid: return FusedActivation::sigmoid;
    default: return FusedActivation::none;
  }
}
}  // namespace

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    // A layer followed by ReLU, Tanh or Sigmoid: both in the layer's pass where it can (the same
    // values; Module::forward_activated).
    const elbo::FusedActivation f = i + 1 < layers_.size() ? fusable_activation(*layers_[i + 1]) : FusedActivation::none;
    if (f != FusedActivation::none) {
      Tensor fused = layers_[i]->forward_activated(y, f);
      if (fused.defined()) {
        y = fused;
        ++i;
        continue;
      }
    }
    y = layers_[i]->forward(y);
  }
  return y;
}

MemberBatch Sequential::forward_members(const std::vector<Module*>& members, const MemberBatch& x,
                                        FusedActivation f) {
  // Every member a Sequential of as many layers; each layer checks its own configuration (comparing
  // the whole str() of every member here would rebuild the network's description at every step).
  ELBO_CHECK(!members.empty() && members[0] == this, "Sequential: forward_members must be called on members[0]");
  std::vector<Sequential*> sequences;
  for (size_t k = 0; k < members.size(); ++k) {
    auto* s = dynamic_cast<Sequential*>(members[k]);
    ELBO_CHECK(s != nullptr && s->size() == size(), "forward_members: member ", k, " is ",
               members[k] ? members[k]->str() : "null", " where member 0 is a Sequential of ", size(),
               " layers; the members of an ensemble must be built alike");
    sequences.push_back(s);
  }
  MemberBatch y = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    std::vector<Module*> layer;
    for (Sequential* s : sequences) layer.push_back(s->layers_[i].get());
    // A layer followed by ReLU, Tanh or Sigmoid applies it (in its own pass where it can).
    const elbo::FusedActivation next = i + 1 < layers_.size() ? fusable_activation(*layers_[i + 1]) : FusedActivation::none;
    y = layers_[i]->forward_members(layer, y, next);
    if (next != FusedActivation::none) ++i;
  }
  return {apply_activation(y.value, f), y.members, y.layout};
}

std::string Sequential::str() const {
  std::string s = "Sequential(\n";
  for (size_t i = 0; i < layers_.size(); ++i) {
    std::string inner = layers_[i]->str();
    // Indent nested lines (a Sequential inside a Sequential).
    for (size_t p = inner.find('\n'); p != std::string::npos; p = inner.find('\n', p + 1)) inner.insert(p + 1, "  ");
    s += "  (" + std::to_string(i) + "): " + inner + "\n";
  }
  return s + ")";
}

Module& Sequential::operator[](size_t i) const {
  ELBO_CHECK(i < layers_.size(), "Sequential: index ", i, " out of range for ", layers_.size(), " layers");
  return *layers_[i];
}

}  // namespace elbo::nn
