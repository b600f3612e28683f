// Batch normalisation layers (nn/batchnorm.hpp); the op is elbo::batch_norm (ops/norm.hpp).
#include "elbo/nn/batchnorm.hpp"

#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/norm.hpp"

namespace elbo::nn {

BatchNorm::BatchNorm(Init& init, int64_t num_features, int input_rank, double momentum, double eps, bool affine)
    : num_features(num_features), input_rank(input_rank), momentum(momentum), eps(eps) {
  ELBO_CHECK(num_features > 0, str(), ": the number of features must be positive");
  ELBO_CHECK(input_rank == 2 || input_rank == 4, "BatchNorm: input rank must be 2 or 4, got ", input_rank);
  ELBO_CHECK(momentum >= 0 && momentum <= 1 && eps > 0, str(), ": needs 0 ≤ momentum ≤ 1 and eps > 0");
  // γ and β take a stream each, like every parameter, though they are not drawn.
  init.take_stream();
  init.take_stream();
  if (affine) {
    weight = init.empty(Shape{num_features});
    bias = init.empty(Shape{num_features});
    fill_(weight, 1.0);
    fill_(bias, 0.0);
    register_parameter("weight", weight);
    register_parameter("bias", bias);
  }
  running_mean = init.empty(Shape{num_features});
  running_var = init.empty(Shape{num_features});
  fill_(running_mean, 0.0);
  fill_(running_var, 1.0);
  register_buffer("running_mean", running_mean);
  register_buffer("running_var", running_var);
}

Tensor BatchNorm::forward(const Tensor& x) {
  ELBO_CHECK(x.defined() && x.ndim() == input_rank && x.size(1) == num_features, str(), ": expects ",
             input_rank == 2 ? "[N, C]" : "[N, C, H, W]", " with C = ", num_features, ", got ",
             x.defined() ? x.str() : "undefined");
  return batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps);
}

std::string BatchNorm::str() const {
  return std::string(input_rank == 2 ? "BatchNorm1d(" : "BatchNorm2d(") + std::to_string(num_features) +
         (weight.defined() ? ")" : ", affine=false)");
}

}  // namespace elbo::nn
