// Placeholder until the softmax kernels land.
#include "ops/cpu/cpu_kernels.hpp"

namespace elbo::cpu {
void softmax(bool, const Tensor&, const Tensor&) { detail::fail("softmax: not implemented yet"); }
void softmax_backward(bool, const Tensor&, const Tensor&, const Tensor&) {
  detail::fail("softmax: not implemented yet");
}
}  // namespace elbo::cpu
