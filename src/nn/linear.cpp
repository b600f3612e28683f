// Linear layer (nn/linear.hpp); the op and its backward are elbo::linear (ops/linalg.hpp).
#include "elbo/nn/linear.hpp"

#include "elbo/ops/linalg.hpp"

namespace elbo::nn {

Linear::Linear(Init& init, int64_t in_features, int64_t out_features, bool bias)
    : in_features(in_features), out_features(out_features) {
  ELBO_CHECK(in_features > 0 && out_features > 0, "Linear: feature counts must be positive, got ", in_features,
             " and ", out_features);
  weight = init.empty(Shape{out_features, in_features});
  if (bias) this->bias = init.empty(Shape{out_features});
  init_weight_and_bias(init, weight, this->bias);
  register_parameter("weight", weight);
  if (bias) register_parameter("bias", this->bias);
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

Tensor Linear::forward_activated(const Tensor& x, FusedActivation f) { return linear(x, weight, bias, f); }

MemberBatch Linear::forward_members(const std::vector<Module*>& members, const MemberBatch& x, FusedActivation f) {
  std::vector<Tensor> weights, biases;
  for (Linear* m : members_as(*this, members)) {
    weights.push_back(m->weight);
    biases.push_back(m->bias);
  }
  const MemberBatch in = x.member_major();
  ELBO_CHECK(in.value.ndim() == 3, str(), ": the members' inputs must be vectors [K, N, ", in_features, "], got ",
             in.value.shape().str());
  return {linear(in.value, stack_member_tensors(weights), stack_member_tensors(biases), f), x.members,
          MemberBatch::Layout::member_major};
}

std::string Linear::str() const {
  return "Linear(" + std::to_string(in_features) + ", " + std::to_string(out_features) +
         (bias.defined() ? ")" : ", bias=false)");
}

}  // namespace elbo::nn
