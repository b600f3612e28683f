// Ensembles in one pass: K modules built alike (the members of an ensemble, each with its own
// parameters) applied to K batches as one computation, so that a small network's K copies make
// one large product or convolution instead of K small ones.
//
//   std::vector<nn::Module*> members = {&vae0.encoder, &vae1.encoder, &vae2.encoder};
//   Tensor y = nn::forward_members(members, x);   // x [K, N, ...]: y[k] = members[k](x[k])
//
// The K batches travel between layers in one tensor, a MemberBatch, in one of two layouts:
//   member-major      [K, N, ...]:       member k's batch is value[k]. Vectors, and what
//                                        forward_members takes and returns.
//   channel-stacked   [N, K·C, H, W]:    member k's channels are k·C … (k+1)·C − 1. Images inside
//                                        a convolutional stack: a convolution with K·g groups whose
//                                        weight is the members' weights concatenated along the
//                                        output channels is then the K members' convolutions.
// Each layer asks for the layout it needs; the batch is converted (one copy) only where it
// changes, at Flatten and Unflatten in the usual encoders and decoders.
//
// Each layer computes
//   Linear:           y[k] = x[k]·W_kᵀ + b_k,  one batched product with W = [W_0; …; W_{K−1}]
//                     stacked along a new first axis (ops/linalg.hpp, linear with K layers)
//   Conv2d:           groups K·g, weight [W_0; …; W_{K−1}] along the output channels, bias likewise
//   ConvTranspose2d:  groups K·g, weight stacked along the input channels (its first axis)
//   activations:      elementwise, in either layout
// The stacked weights are built from the members' parameters by concat, so the gradient of each
// member's parameters arrives through concat's backward: training the stack trains every member.
// On the CPU each member's outputs and gradients have the same bits as running it alone (the
// batched GEMM and grouped convolution compute every block of a member as the plain op does).
//
// A module type joins in by overriding Module::forward_members (nn/module.hpp, with members_as to
// check the members); the default fails naming the module.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/ops/backend.hpp"
#include "elbo/tensor.hpp"

namespace elbo::nn {

class Module;

struct MemberBatch {
  enum class Layout { member_major, channel_stacked };
  Tensor value;
  int64_t members = 0;  // K
  Layout layout = Layout::member_major;

  // [K, N, C, H, W] for images, [K, N, F] for vectors (a copy when channel-stacked).
  MemberBatch member_major() const;
  // [N, K·C, H, W] (a copy when member-major; needs member-major images [K, N, C, H, W]).
  MemberBatch channel_stacked() const;
};

// members[k]'s forward of x[k] for every k, x member-major [K, N, ...] with K = members.size().
// The members must be modules of the same structure (same types and shapes, layer by layer);
// the result is member-major.
Tensor forward_members(const std::vector<Module*>& members, const Tensor& x);

// The members' tensors stacked along a new first axis, [K, ...] (concat of [1, ...] views), with
// history: the gradient of the stack reaches each member's tensor. Undefined when the first is
// (a layer built without a bias); all must be defined alike and of one shape.
Tensor stack_member_tensors(const std::vector<Tensor>& tensors);

// f applied to y (none: y itself), in any layout.
Tensor apply_activation(const Tensor& y, FusedActivation f);

}  // namespace elbo::nn
