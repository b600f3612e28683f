// Sequential: modules applied one after the other, y = f_k(… f_1(f_0(x))). A layer followed by
// ReLU, Tanh or Sigmoid runs both in one pass where the layer can (Module::forward_activated:
// Linear, Conv2d and ConvTranspose2d apply the activation as their kernel writes the output),
// with the same values as running them apart; the modules and their names stay as they are.
//
// The Sequential owns its layers and names them "0", "1", … in order, as PyTorch does, so the
// parameters of an encoder's first convolution are "encoder.0.weight" and "encoder.0.bias".
//     Sequential encoder;
//     encoder.add<Conv2d>(init, 1, 32, 4, Conv2dOptions{.stride = 2, .padding = 1});
//     encoder.add<ReLU>();
#pragma once
#include <memory>
#include <utility>
#include <vector>

#include "elbo/nn/module.hpp"

namespace elbo::nn {

class Sequential : public Module {
 public:
  // Constructs a layer in place at the end and returns it.
  template <class Layer, class... Args>
  Layer& add(Args&&... args) {
    auto layer = std::make_unique<Layer>(std::forward<Args>(args)...);
    Layer& ref = *layer;
    append(std::move(layer));
    return ref;
  }
  Module& append(std::unique_ptr<Module> layer);

  Tensor forward(const Tensor& x) override;
  // Layer i of every member in turn, with the same fusion of activations as forward.
  MemberBatch forward_members(const std::vector<Module*>& members, const MemberBatch& x, FusedActivation f) override;
  // "Sequential(" then one indented line per layer, then ")".
  std::string str() const override;

  size_t size() const { return layers_.size(); }
  Module& operator[](size_t i) const;

 private:
  std::vector<std::unique_ptr<Module>> layers_;
};

}  // namespace elbo::nn
