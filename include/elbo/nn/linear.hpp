// Linear (fully connected) layer on [N, in] inputs:
//     y = x·Wᵀ + b,   W [out, in],   b [out]
// Weight and bias are drawn as init.scheme says (nn/init.hpp; PyTorch's default by default).
#pragma once
#include <cstdint>

#include "elbo/nn/init.hpp"
#include "elbo/nn/module.hpp"

namespace elbo::nn {

class Linear : public Module {
 public:
  Linear(Init& init, int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;
  Tensor forward_activated(const Tensor& x, FusedActivation f) override;  // one pass: the op's epilogue
  // member-major [K, N, in]: one batched product with the members' weights stacked [K, out, in]
  MemberBatch forward_members(const std::vector<Module*>& members, const MemberBatch& x, FusedActivation f) override;
  std::string str() const override;

  const int64_t in_features, out_features;
  Tensor weight;  // [out, in]
  Tensor bias;    // [out], undefined when built without a bias
};

}  // namespace elbo::nn
