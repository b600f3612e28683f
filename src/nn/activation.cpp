// Activation modules (nn/activation.hpp).
#include "elbo/nn/activation.hpp"

#include <sstream>

#include "elbo/ops/math.hpp"

namespace elbo::nn {

Tensor Activation::forward(const Tensor& x) { return unary(op, x, a); }

// Elementwise: the same in either layout.
MemberBatch Activation::forward_members(const std::vector<Module*>& members, const MemberBatch& x,
                                        FusedActivation f) {
  members_as(*this, members);
  return {apply_activation(forward(x.value), f), x.members, x.layout};
}

std::string Activation::str() const {
  if (op != UnaryOp::leaky_relu && op != UnaryOp::elu) return std::string(name) + "()";
  std::ostringstream s;
  s << name << "(" << a << ")";
  return s.str();
}

}  // namespace elbo::nn
