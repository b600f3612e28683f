// Ensembles in one pass: the layouts of a MemberBatch and the stacking of members' parameters
// (nn/member_batch.hpp).
#include "elbo/nn/member_batch.hpp"

#include "elbo/nn/module.hpp"
#include "elbo/ops/math.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo::nn {

MemberBatch MemberBatch::member_major() const {
  if (layout == Layout::member_major) return *this;
  // [N, K·C, H, W] → [N, K, C, H, W] → [K, N, C, H, W]
  const Shape& s = value.shape();
  Tensor split = reshape(value, Shape{s[0], members, s[1] / members, s[2], s[3]});
  return {contiguous(permute(split, {1, 0, 2, 3, 4})), members, Layout::member_major};
}

MemberBatch MemberBatch::channel_stacked() const {
  if (layout == Layout::channel_stacked) return *this;
  ELBO_CHECK(value.ndim() == 5, "MemberBatch: a channel-stacked batch needs images [K, N, C, H, W], got ",
             value.shape().str());
  // [K, N, C, H, W] → [N, K, C, H, W] → [N, K·C, H, W]
  const Shape& s = value.shape();
  Tensor moved = contiguous(permute(value, {1, 0, 2, 3, 4}));
  return {reshape(moved, Shape{s[1], s[0] * s[2], s[3], s[4]}), members, Layout::channel_stacked};
}

Tensor forward_members(const std::vector<Module*>& members, const Tensor& x) {
  const int64_t K = static_cast<int64_t>(members.size());
  ELBO_CHECK(K >= 1 && members[0] != nullptr, "forward_members: no members");
  ELBO_CHECK(x.defined() && x.ndim() >= 2 && x.size(0) == K, "forward_members: expected the ", K,
             " members' batches stacked as [", K, ", N, ...], got ", x.defined() ? x.shape().str() : "undefined");
  MemberBatch in{x, K, MemberBatch::Layout::member_major};
  return members[0]->forward_members(members, in, FusedActivation::none).member_major().value;
}

Tensor stack_member_tensors(const std::vector<Tensor>& tensors) {
  ELBO_CHECK(!tensors.empty(), "stack_member_tensors: no tensors");
  if (!tensors[0].defined()) {
    for (const Tensor& t : tensors) ELBO_CHECK(!t.defined(), "stack_member_tensors: some members have this tensor, some not");
    return Tensor();
  }
  std::vector<Tensor> pieces;
  for (const Tensor& t : tensors) {
    ELBO_CHECK(t.defined() && t.shape() == tensors[0].shape(), "stack_member_tensors: ",
               t.defined() ? t.shape().str() : "undefined", " differs from ", tensors[0].shape().str());
    Shape s{1};
    for (int i = 0; i < t.ndim(); ++i) s.push_back(t.size(i));
    pieces.push_back(reshape(t, s));
  }
  return concat(pieces, 0);
}

Tensor apply_activation(const Tensor& y, FusedActivation f) {
  switch (f) {
    case FusedActivation::none: return y;
    case FusedActivation::relu: return unary(UnaryOp::relu, y);
    case FusedActivation::tanh: return unary(UnaryOp::tanh, y);
    case FusedActivation::sigmoid: return unary(UnaryOp::sigmoid, y);
  }
  return y;
}

}  // namespace elbo::nn
