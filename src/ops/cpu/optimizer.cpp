// Placeholder until the optimiser kernels land.
#include "ops/cpu/cpu_kernels.hpp"

namespace elbo::cpu {
void optimizer_update(const OptimizerStep&, const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  detail::fail("optimizer_update: not implemented yet");
}
}  // namespace elbo::cpu
