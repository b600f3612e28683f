// Reshaping modules, so that a network which changes between images and vectors is one Sequential:
//     Flatten:        [N, C, H, W] → [N, C·H·W]             (axes from start_axis on merge into one)
//     Unflatten(s):   [N, Π s] → [N, s...]                  (axis `axis` splits into the extents s)
// Both are views when the input is contiguous (ops/shape.hpp), and differentiable.
#pragma once
#include "elbo/nn/module.hpp"

namespace elbo::nn {

class Flatten : public Module {
 public:
  explicit Flatten(int start_axis = 1) : start_axis(start_axis) {}
  Tensor forward(const Tensor& x) override;
  MemberBatch forward_members(const std::vector<Module*>& members, const MemberBatch& x, FusedActivation f) override;
  std::string str() const override;

  const int start_axis;
};

class Unflatten : public Module {
 public:
  explicit Unflatten(const Shape& sizes, int axis = 1) : sizes(sizes), axis(axis) {}
  Tensor forward(const Tensor& x) override;
  MemberBatch forward_members(const std::vector<Module*>& members, const MemberBatch& x, FusedActivation f) override;
  std::string str() const override;

  const Shape sizes;
  const int axis;
};

}  // namespace elbo::nn
