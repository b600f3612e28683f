// Batch normalisation layers (Ioffe & Szegedy 2015; the op and its formulas are in ops/norm.hpp):
//     y = γ · (x − μ) / √(σ² + ε) + β,   per channel
// In training mode μ and σ² are the batch's statistics and the running statistics move towards
// them with `momentum`; in evaluation mode (eval()) the running statistics are used.
// Defaults as PyTorch: momentum 0.1, ε = 1e-5, γ = 1, β = 0, running_mean = 0, running_var = 1.
//
// Parameters "weight" (γ) and "bias" (β); buffers "running_mean" and "running_var".
#pragma once
#include <cstdint>

#include "elbo/nn/init.hpp"
#include "elbo/nn/module.hpp"

namespace elbo::nn {

class BatchNorm : public Module {
 public:
  // input_rank: 2 for [N, C], 4 for [N, C, H, W]. Without `affine` there are no γ and β.
  BatchNorm(Init& init, int64_t num_features, int input_rank, double momentum = 0.1, double eps = 1e-5,
            bool affine = true);
  Tensor forward(const Tensor& x) override;
  std::string str() const override;

  const int64_t num_features;
  const int input_rank;
  const double momentum, eps;
  Tensor weight, bias;               // γ, β: [C], undefined without affine
  Tensor running_mean, running_var;  // [C]
};

// On [N, C].
class BatchNorm1d : public BatchNorm {
 public:
  BatchNorm1d(Init& init, int64_t num_features, double momentum = 0.1, double eps = 1e-5, bool affine = true)
      : BatchNorm(init, num_features, 2, momentum, eps, affine) {}
};

// On [N, C, H, W].
class BatchNorm2d : public BatchNorm {
 public:
  BatchNorm2d(Init& init, int64_t num_features, double momentum = 0.1, double eps = 1e-5, bool affine = true)
      : BatchNorm(init, num_features, 4, momentum, eps, affine) {}
};

}  // namespace elbo::nn
