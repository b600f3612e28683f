// Squeeze-and-excitation (Hu, Shen & Sun 2018, "Squeeze-and-Excitation Networks", §3, eq. 2-4),
// in the form NVAE uses at the end of every residual cell (Vahdat & Kautz 2020, §3.1.1 and
// Fig. 3; NVlabs/NVAE neural_operations.SE):
//
//     s_c  = (1/HW) Σ_{h,w} x[n, c, h, w]                 squeeze: global average pool
//     e    = σ(W₂ · relu(W₁ · s + b₁) + b₂)               excitation, W₁ [R, C], W₂ [C, R]
//     y[n, c, h, w] = x[n, c, h, w] · e[n, c]             channel-wise scale
//
// with the hidden width R = max(C / 16, 4) (NVAE's reduction; integer division). W₁, W₂ are
// plain Linear layers (no weight normalisation, not spectrally regularised, as in the reference).
//
// Children "fc1" (W₁, b₁) and "fc2" (W₂, b₂).
#pragma once
#include <cstdint>

#include "elbo/nn/init.hpp"
#include "elbo/nn/linear.hpp"
#include "elbo/nn/module.hpp"

namespace elbo::nn {

class SqueezeExcitation : public Module {
 public:
  SqueezeExcitation(Init& init, int64_t channels);
  Tensor forward(const Tensor& x) override;  // x [N, C, H, W] → [N, C, H, W]
  std::string str() const override;

  static int64_t hidden_width(int64_t channels) { return channels / 16 > 4 ? channels / 16 : 4; }

  const int64_t channels, hidden;
  Linear fc1, fc2;
};

}  // namespace elbo::nn
