// Placeholder until the convolution kernels land.
#include "ops/cpu/cpu_kernels.hpp"

namespace elbo::cpu {
void conv2d_forward(const ConvGeometry&, const Tensor&, const Tensor&, const Tensor&) {
  detail::fail("conv2d: not implemented yet");
}
void conv2d_backward_input(const ConvGeometry&, const Tensor&, const Tensor&, const Tensor&) {
  detail::fail("conv2d: not implemented yet");
}
void conv2d_backward_weight(const ConvGeometry&, const Tensor&, const Tensor&, const Tensor&) {
  detail::fail("conv2d: not implemented yet");
}
}  // namespace elbo::cpu
