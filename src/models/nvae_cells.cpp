// NVAE's cells (models/nvae_cells.hpp has the formulas and their sources).
#include "elbo/models/nvae_cells.hpp"

#include <string>

#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/math.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo::models {

namespace {
constexpr double kBnMomentum = 0.05;  // the reference's BN momentum
constexpr double kBnEps = 1e-5;
constexpr double kResidualScale = 0.1;  // y = skip + 0.1·SE(ops(x))

nn::BatchNorm2d& track(NvaeLayers& layers, nn::BatchNorm2d& bn) {
  layers.batch_norms.push_back(&bn);
  return bn;
}
nn::Conv2d& track(NvaeLayers& layers, nn::Conv2d& conv) {
  layers.convs.push_back(&conv);
  return conv;
}
nn::WeightNormConv2d& track(NvaeLayers& layers, nn::WeightNormConv2d& conv) {
  layers.wn_convs.push_back(&conv);
  return conv;
}
}  // namespace

// ---- BN → Swish → Conv3×3 -----------------------------------------------------------------

BnSwishConv::BnSwishConv(nn::Init& init, NvaeLayers& layers, int64_t in, int64_t out, CellDirection direction)
    : direction(direction),
      bn(init, in, kBnMomentum, kBnEps),
      conv(init, in, out, 3, Conv2dOptions{.stride = direction == CellDirection::down ? 2 : 1, .padding = 1}) {
  track(layers, bn);
  track(layers, conv);
  register_module("bn", bn);
  register_module("conv", conv);
}

Tensor BnSwishConv::forward(const Tensor& x) {
  Tensor h = silu(bn(x));
  if (direction == CellDirection::up) h = upsample_nearest2d(h, 2);
  return conv(h);
}

// ---- inverted residual ---------------------------------------------------------------------

InvertedResidual::InvertedResidual(nn::Init& init, NvaeLayers& layers, int64_t in, int64_t out, int64_t expand,
                                   CellDirection direction)
    : direction(direction),
      hidden(in * expand),
      bn_in(init, in, kBnMomentum, kBnEps),
      expand_conv(init, in, hidden, 1, Conv2dOptions{}, false),
      bn_expand(init, hidden, kBnMomentum, kBnEps),
      depthwise_conv(init, hidden, hidden, 5,
                     Conv2dOptions{.stride = direction == CellDirection::down ? 2 : 1, .padding = 2, .groups = hidden},
                     false),
      bn_depthwise(init, hidden, kBnMomentum, kBnEps),
      project_conv(init, hidden, out, 1, Conv2dOptions{}, false),
      bn_out(init, out, kBnMomentum, kBnEps) {
  track(layers, bn_in);
  track(layers, expand_conv);
  track(layers, bn_expand);
  track(layers, depthwise_conv);
  track(layers, bn_depthwise);
  track(layers, project_conv);
  track(layers, bn_out);
  register_module("bn_in", bn_in);
  register_module("expand_conv", expand_conv);
  register_module("bn_expand", bn_expand);
  register_module("depthwise_conv", depthwise_conv);
  register_module("bn_depthwise", bn_depthwise);
  register_module("project_conv", project_conv);
  register_module("bn_out", bn_out);
}

Tensor InvertedResidual::forward(const Tensor& x) {
  Tensor h = direction == CellDirection::up ? upsample_nearest2d(x, 2) : x;
  h = bn_in(h);
  h = silu(bn_expand(expand_conv(h)));        // Conv1×1 (C → E·C) → BN → Swish
  h = silu(bn_depthwise(depthwise_conv(h)));  // depthwise Conv5×5 → BN → Swish
  return bn_out(project_conv(h));             // Conv1×1 (E·C → C_out) → BN
}

// ---- FactorizedReduce ----------------------------------------------------------------------

FactorizedReduce::FactorizedReduce(nn::Init& init, NvaeLayers& layers, int64_t in, int64_t out)
    : conv1(init, in, out / 4, 1, Conv2dOptions{.stride = 2}),
      conv2(init, in, out / 4, 1, Conv2dOptions{.stride = 2}),
      conv3(init, in, out / 4, 1, Conv2dOptions{.stride = 2}),
      conv4(init, in, out - 3 * (out / 4), 1, Conv2dOptions{.stride = 2}) {
  ELBO_CHECK(out % 2 == 0 && out >= 4, "FactorizedReduce: output channels must be even and ≥ 4, got ", out);
  for (nn::WeightNormConv2d* c : {&conv1, &conv2, &conv3, &conv4}) track(layers, *c);
  register_module("conv1", conv1);
  register_module("conv2", conv2);
  register_module("conv3", conv3);
  register_module("conv4", conv4);
}

Tensor FactorizedReduce::forward(const Tensor& x) {
  ELBO_CHECK(x.ndim() == 4 && x.size(2) % 2 == 0 && x.size(3) % 2 == 0,
             "FactorizedReduce: expects [N, C, H, W] with even H and W, got ", x.str());
  Tensor s = silu(x);
  const int64_t h = s.size(2), w = s.size(3);
  Tensor y1 = conv1(s);
  Tensor y2 = conv2(slice(slice(s, 2, 1, h), 3, 1, w));  // shifted by (1, 1)
  Tensor y3 = conv3(slice(s, 3, 1, w));                  // shifted by (0, 1)
  Tensor y4 = conv4(slice(s, 2, 1, h));                  // shifted by (1, 0)
  return concat({y1, y2, y3, y4}, 1);
}

// ---- the residual cell ---------------------------------------------------------------------

ResidualCell::ResidualCell(nn::Init& init, NvaeLayers& layers, CellKind kind, CellDirection direction, int64_t in,
                           int64_t out, bool squeeze_excitation, int64_t expand)
    : kind(kind), direction(direction), in(in), out(out) {
  ELBO_CHECK(direction != CellDirection::normal || in == out, "ResidualCell: a normal cell keeps its channels, got ",
             in, " → ", out);
  if (direction == CellDirection::down) {
    down_skip = std::make_unique<FactorizedReduce>(init, layers, in, out);
    register_module("skip", *down_skip);
  } else if (direction == CellDirection::up) {
    up_skip = std::make_unique<nn::WeightNormConv2d>(init, in, out, 1);
    track(layers, *up_skip);
    register_module("skip", *up_skip);
  }
  if (kind == CellKind::encoder) {
    ops.push_back(std::make_unique<BnSwishConv>(init, layers, in, out, direction));
    ops.push_back(std::make_unique<BnSwishConv>(init, layers, out, out, CellDirection::normal));
  } else {
    ops.push_back(std::make_unique<InvertedResidual>(init, layers, in, out, expand, direction));
  }
  for (size_t i = 0; i < ops.size(); ++i) register_module("op" + std::to_string(i), *ops[i]);
  if (squeeze_excitation) {
    se = std::make_unique<nn::SqueezeExcitation>(init, out);
    register_module("se", *se);
  }
}

Tensor ResidualCell::forward(const Tensor& x) {
  Tensor skip = x;
  if (down_skip) skip = down_skip->forward(x);
  if (up_skip) skip = up_skip->forward(upsample_nearest2d(x, 2));
  Tensor h = x;
  for (auto& op : ops) h = op->forward(h);
  if (se) h = se->forward(h);
  return add(skip, mul(h, kResidualScale));
}

std::string ResidualCell::str() const {
  const char* k = kind == CellKind::encoder ? "encoder" : "decoder";
  const char* d = direction == CellDirection::normal ? "normal" : direction == CellDirection::down ? "down" : "up";
  return std::string("ResidualCell(") + k + ", " + d + ", " + std::to_string(in) + " → " + std::to_string(out) +
         (se ? ", SE)" : ")");
}

// ---- combiners -----------------------------------------------------------------------------

EncoderCombiner::EncoderCombiner(nn::Init& init, NvaeLayers& layers, int64_t channels)
    : conv(init, channels, channels, 1) {
  track(layers, conv);
  register_module("conv", conv);
}

Tensor EncoderCombiner::combine(const Tensor& x_enc, const Tensor& s) { return add(x_enc, conv(s)); }

DecoderCombiner::DecoderCombiner(nn::Init& init, NvaeLayers& layers, int64_t channels, int64_t latents)
    : conv(init, channels + latents, channels, 1) {
  track(layers, conv);
  register_module("conv", conv);
}

Tensor DecoderCombiner::combine(const Tensor& s, const Tensor& z) { return conv(concat({s, z}, 1)); }

}  // namespace elbo::models
