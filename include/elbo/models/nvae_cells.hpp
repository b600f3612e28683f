// The building blocks of NVAE (Vahdat & Kautz 2020, §3.1 and Fig. 3; NVlabs/NVAE model.Cell,
// neural_operations.{BNSwishConv, InvertedResidual, FactorizedReduce, SE}, model.EncCombinerCell
// and DecCombinerCell). Swish is x·σ(x) (elbo's silu). Every batch norm has momentum 0.05 and
// ε = 1e-5, as the reference's.
//
// Residual cell (model.Cell):   y = skip(x) + 0.1 · SE(ops(x))
//   the residual branch is scaled by 0.1; SE is squeeze-and-excitation (nn/squeeze_excitation.hpp),
//   present when the cell is built with it. skip depends on the cell's direction:
//     normal: identity
//     down:   FactorizedReduce (below); the first op has stride 2; channels C → C_out (2C)
//     up:     nearest ×2 upsampling + 1×1 weight-normalised conv (C → C_out, C/2).
//             Where elbo differs: the reference upsamples this skip bilinearly
//             (align_corners=True); elbo has no bilinear op, and uses nearest neighbours.
//   ops, by role:
//     encoder and pre-process ("res_bnswish" twice):
//         BN → Swish → Conv3×3 (WN) → BN → Swish → Conv3×3 (WN)
//         (down: the first conv has stride 2; up: nearest ×2 before the first conv)
//     decoder (expand 6) and post-process (expand 3) ("mconv_e6k5g0", "mconv_e3k5g0",
//     an inverted residual, Sandler et al. 2018):
//         [up: nearest ×2] BN → Conv1×1 (C → E·C) → BN → Swish → depthwise Conv5×5 → BN → Swish
//         → Conv1×1 (E·C → C_out) → BN
//         (these convolutions have no bias and no weight normalisation, as the reference's)
//
// FactorizedReduce (halves H and W): with s = Swish(x),
//     y = concat(c₁(s), c₂(s[:, :, 1:, 1:]), c₃(s[:, :, :, 1:]), c₄(s[:, :, 1:, :]))
//   each cᵢ a 1×1 WN conv with stride 2; c₁..c₃ give C_out/4 channels, c₄ the rest.
//
// Combiners:
//     encoder: EncCombiner(x_enc, s) = x_enc + Conv1×1(s)          (WN, with bias)
//     decoder: DecCombiner(s, z)     = Conv1×1(concat(s, z))       (WN, with bias)
//
// Each module lists its convolution kernels (for the spectral regulariser) and its batch norms
// (for the BN regulariser) through collect(): the kernels after weight normalisation.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "elbo/nn/batchnorm.hpp"
#include "elbo/nn/conv.hpp"
#include "elbo/nn/squeeze_excitation.hpp"
#include "elbo/nn/weight_norm_conv.hpp"

namespace elbo::models {

// Where a model's regularised tensors are: the convolutions (plain and weight-normalised) and
// the batch norms, in construction order.
struct NvaeLayers {
  std::vector<nn::Conv2d*> convs;
  std::vector<nn::WeightNormConv2d*> wn_convs;
  std::vector<nn::BatchNorm*> batch_norms;
};

enum class CellDirection : uint8_t { normal, down, up };
enum class CellKind : uint8_t { encoder, decoder };  // res_bnswish ×2, or the inverted residual

// BN → Swish → Conv(K×K, WN) [stride 2 for down; nearest ×2 first for up].
class BnSwishConv : public nn::Module {
 public:
  BnSwishConv(nn::Init& init, NvaeLayers& layers, int64_t in, int64_t out, CellDirection direction);
  Tensor forward(const Tensor& x) override;
  const CellDirection direction;
  nn::BatchNorm2d bn;
  nn::WeightNormConv2d conv;
};

class InvertedResidual : public nn::Module {
 public:
  InvertedResidual(nn::Init& init, NvaeLayers& layers, int64_t in, int64_t out, int64_t expand,
                   CellDirection direction);
  Tensor forward(const Tensor& x) override;
  const CellDirection direction;
  const int64_t hidden;
  nn::BatchNorm2d bn_in;
  nn::Conv2d expand_conv;
  nn::BatchNorm2d bn_expand;
  nn::Conv2d depthwise_conv;
  nn::BatchNorm2d bn_depthwise;
  nn::Conv2d project_conv;
  nn::BatchNorm2d bn_out;
};

class FactorizedReduce : public nn::Module {
 public:
  FactorizedReduce(nn::Init& init, NvaeLayers& layers, int64_t in, int64_t out);
  Tensor forward(const Tensor& x) override;
  nn::WeightNormConv2d conv1, conv2, conv3, conv4;
};

// skip(x) + 0.1·SE(ops(x)).
class ResidualCell : public nn::Module {
 public:
  // expand: the inverted residual's expansion (decoder kind only).
  ResidualCell(nn::Init& init, NvaeLayers& layers, CellKind kind, CellDirection direction, int64_t in, int64_t out,
               bool squeeze_excitation, int64_t expand = 6);
  Tensor forward(const Tensor& x) override;
  std::string str() const override;

  const CellKind kind;
  const CellDirection direction;
  const int64_t in, out;
  std::unique_ptr<FactorizedReduce> down_skip;       // down
  std::unique_ptr<nn::WeightNormConv2d> up_skip;     // up
  std::vector<std::unique_ptr<nn::Module>> ops;      // BnSwishConv ×2 or one InvertedResidual
  std::unique_ptr<nn::SqueezeExcitation> se;         // when built with SE
};

class EncoderCombiner : public nn::Module {
 public:
  EncoderCombiner(nn::Init& init, NvaeLayers& layers, int64_t channels);
  Tensor combine(const Tensor& x_enc, const Tensor& s);
  nn::WeightNormConv2d conv;
};

class DecoderCombiner : public nn::Module {
 public:
  DecoderCombiner(nn::Init& init, NvaeLayers& layers, int64_t channels, int64_t latents);
  Tensor combine(const Tensor& s, const Tensor& z);
  nn::WeightNormConv2d conv;
};

}  // namespace elbo::models
