// Convolution layers on NCHW tensors, with square kernels (the ops are in ops/conv.hpp):
//     Conv2d:           y = conv2d(x, W, b),            W [C_out, C_in/groups, K, K]
//     ConvTranspose2d:  y = conv_transpose2d(x, W, b),  W [C_in, C_out/groups, K, K]   (as PyTorch)
// with b [C_out]. Output sizes, for input H:
//     Conv2d:           (H + 2·padding − dilation·(K − 1) − 1) / stride + 1
//     ConvTranspose2d:  (H − 1)·stride − 2·padding + dilation·(K − 1) + output_padding + 1
// Weight and bias are drawn as init.scheme says (nn/init.hpp; PyTorch's default by default, with
// fan_in = C_in/groups·K² for Conv2d and C_out/groups·K² for ConvTranspose2d).
#pragma once
#include <cstdint>

#include "elbo/nn/init.hpp"
#include "elbo/nn/module.hpp"
#include "elbo/ops/conv.hpp"

namespace elbo::nn {

class Conv2d : public Module {
 public:
  // options.output_padding must be 0 (it belongs to the transposed convolution).
  Conv2d(Init& init, int64_t in_channels, int64_t out_channels, int64_t kernel, const Conv2dOptions& options = {},
         bool bias = true);
  Tensor forward(const Tensor& x) override;
  Tensor forward_activated(const Tensor& x, FusedActivation f) override;  // one pass: the op's epilogue
  // groups K·g, the members' weights and biases concatenated along the output channels
  MemberBatch forward_members(const std::vector<Module*>& members, const MemberBatch& x, FusedActivation f) override;
  std::string str() const override;
  // What the layer computes with the weights w and bias b given and `groups` groups: forward uses
  // its own (options.groups), forward_members the members' stacked. Layers with their own
  // padding rule (models/same_padding.hpp) override this.
  virtual Tensor convolve(const Tensor& x, const Tensor& w, const Tensor& b, int64_t groups, FusedActivation f);

  const int64_t in_channels, out_channels, kernel;
  const Conv2dOptions options;
  Tensor weight;  // [C_out, C_in/groups, K, K]
  Tensor bias;    // [C_out], undefined when built without a bias
};

class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(Init& init, int64_t in_channels, int64_t out_channels, int64_t kernel,
                  const Conv2dOptions& options = {}, bool bias = true);
  Tensor forward(const Tensor& x) override;
  Tensor forward_activated(const Tensor& x, FusedActivation f) override;  // one pass: the op's epilogue
  // groups K·g, the members' weights concatenated along the input channels, biases along the output
  MemberBatch forward_members(const std::vector<Module*>& members, const MemberBatch& x, FusedActivation f) override;
  std::string str() const override;
  // As Conv2d::convolve, for the transposed convolution.
  virtual Tensor convolve(const Tensor& x, const Tensor& w, const Tensor& b, int64_t groups, FusedActivation f);

  const int64_t in_channels, out_channels, kernel;
  const Conv2dOptions options;
  Tensor weight;  // [C_in, C_out/groups, K, K]
  Tensor bias;    // [C_out], undefined when built without a bias
};

}  // namespace elbo::nn
