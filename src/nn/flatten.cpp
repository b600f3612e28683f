// Reshaping modules (nn/flatten.hpp).
#include "elbo/nn/flatten.hpp"

#include "elbo/ops/shape.hpp"

namespace elbo::nn {

Tensor Flatten::forward(const Tensor& x) { return flatten(x, start_axis); }

// Member-major [K, N, ...]: the axes of each member's batch move one place up.
MemberBatch Flatten::forward_members(const std::vector<Module*>& members, const MemberBatch& x, FusedActivation f) {
  members_as(*this, members);
  const MemberBatch in = x.member_major();
  const int a = normalize_axis(start_axis, in.value.ndim() - 1, "Flatten") + 1;
  return {apply_activation(flatten(in.value, a), f), x.members, MemberBatch::Layout::member_major};
}

std::string Flatten::str() const { return "Flatten(" + std::to_string(start_axis) + ")"; }

Tensor Unflatten::forward(const Tensor& x) {
  int a = normalize_axis(axis, x.ndim(), "Unflatten");
  ELBO_CHECK(x.size(a) == sizes.numel(), "Unflatten: axis ", a, " of ", x.shape().str(), " has ", x.size(a),
             " elements, but ", sizes.str(), " holds ", sizes.numel());
  ELBO_CHECK(x.ndim() - 1 + sizes.ndim <= kMaxDims, "Unflatten: ", x.shape().str(), " split into ", sizes.str(),
             " exceeds ", kMaxDims, " dimensions");
  // [d0 … d(a−1), sizes…, d(a+1) …]
  Shape out;
  for (int i = 0; i < a; ++i) out.push_back(x.size(i));
  for (int i = 0; i < sizes.ndim; ++i) out.push_back(sizes[i]);
  for (int i = a + 1; i < x.ndim(); ++i) out.push_back(x.size(i));
  return reshape(x, out);
}

MemberBatch Unflatten::forward_members(const std::vector<Module*>& members, const MemberBatch& x,
                                       FusedActivation f) {
  members_as(*this, members);
  const MemberBatch in = x.member_major();
  const int a = normalize_axis(axis, in.value.ndim() - 1, "Unflatten") + 1;
  ELBO_CHECK(in.value.size(a) == sizes.numel(), "Unflatten: axis ", a - 1, " of the members' ",
             in.value.shape().str(), " has ", in.value.size(a), " elements, but ", sizes.str(), " holds ",
             sizes.numel());
  Shape out;
  for (int i = 0; i < a; ++i) out.push_back(in.value.size(i));
  for (int i = 0; i < sizes.ndim; ++i) out.push_back(sizes[i]);
  for (int i = a + 1; i < in.value.ndim(); ++i) out.push_back(in.value.size(i));
  return {apply_activation(reshape(in.value, out), f), x.members, MemberBatch::Layout::member_major};
}

std::string Unflatten::str() const { return "Unflatten(" + std::to_string(axis) + ", " + sizes.str() + ")"; }

}  // namespace elbo::nn
