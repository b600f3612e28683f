// A 2-d convolution with a weight-normalised kernel (Salimans & Kingma 2016, "Weight
// Normalization", eq. 2), in the log-parameterised form of NVAE (NVlabs/NVAE
// neural_operations.Conv2D and normalize_weight_jit):
//
//     W[o] = exp(g_o) · V[o] / (‖V[o]‖ + 1e-5),     ‖V[o]‖ = √(Σ_{i,h,w} V[o, i, h, w]²)
//     y    = conv2d(x, W, b)
//
// per output channel o, with the log-norm g ("log_weight_norm") initialised to
// g_o = ln(‖V_init[o]‖ + 1e-2), so that the initial W is V up to (‖V‖ + 1e-5)/(‖V‖ + 1e-2).
// V and b are drawn as nn::Conv2d draws them (init.scheme; PyTorch's default, as the reference,
// whose Conv2D is an nn.Conv2d). W is built from ops, so autodiff gives the gradients of V and g.
// (The reference's data-dependent initialisation is used only by its `res_elu` cells, not by the
// default cells, and is not implemented here.)
//
// Parameters "weight" (V [C_out, C_in/groups, K, K]), "log_weight_norm" (g [C_out]) and "bias".
#pragma once
#include <cstdint>

#include "elbo/nn/init.hpp"
#include "elbo/nn/module.hpp"
#include "elbo/ops/conv.hpp"

namespace elbo::nn {

// W from (V, g), differentiable in both: V [C_out, ...], log_norm [C_out].
Tensor weight_normalize(const Tensor& v, const Tensor& log_norm);

class WeightNormConv2d : public Module {
 public:
  WeightNormConv2d(Init& init, int64_t in_channels, int64_t out_channels, int64_t kernel,
                   const Conv2dOptions& options = {}, bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string str() const override;
  // W = exp(g) · V / (‖V‖ + 1e-5), with history.
  Tensor normalized_weight() const;

  const int64_t in_channels, out_channels, kernel;
  const Conv2dOptions options;
  Tensor weight;           // V
  Tensor log_weight_norm;  // g [C_out]
  Tensor bias;             // [C_out], undefined when built without a bias
};

}  // namespace elbo::nn
