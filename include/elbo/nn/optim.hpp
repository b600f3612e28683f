// Optimisers: SGD, Adam, AdamW and Adamax over a list of parameters.
//
// Each step makes one fused backend call per parameter (Backend::optimizer_update, whose CPU
// kernel is src/ops/cpu/optimizer.cpp): one pass over the parameter, its gradient and its state.
// Parameters without a gradient are skipped (their step count does not advance). The formulas,
// as PyTorch computes them, with g the gradient, t the parameter's 1-based step count:
//
// SGD (with momentum μ, dampening τ, L2 weight decay λ; Sutskever et al. 2013 for Nesterov):
//     d = g + λ·p
//     b = d                             if t = 1,  else  b = μ·b + (1 − τ)·d      (when μ ≠ 0)
//     d = d + μ·b  (Nesterov)   or   d = b                                       (when μ ≠ 0)
//     p ← p − lr·d
// Adam (Kingma & Ba 2015, Algorithm 1, with L2 weight decay λ added to the gradient):
//     g ← g + λ·p
//     m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
//     p ← p − lr·m̂ / (√v̂ + ε),   m̂ = m/(1 − β1ᵗ),  √v̂ = √v/√(1 − β2ᵗ)
// AdamW (Loshchilov & Hutter 2019): decoupled decay, then Adam without λ:
//     p ← p − lr·λ·p,   then the Adam update with g unchanged
// Adamax (Kingma & Ba 2015, §7.1; PyTorch's form, with ε inside the max):
//     g ← g + λ·p
//     m ← β1·m + (1 − β1)·g,   u ← max(β2·u, |g| + ε)
//     p ← p − (lr/(1 − β1ᵗ))·m/u
//
// State (ParamState) is allocated when the optimiser is built and is reachable through state(),
// for checkpoints. The learning rate may change between steps (set_lr, for schedules).
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/ops/backend.hpp"
#include "elbo/tensor.hpp"

namespace elbo::nn {

struct ParamState {
  Tensor m;          // Adam family: first moment; SGD: momentum buffer (undefined without momentum)
  Tensor v;          // Adam, AdamW: second moment; Adamax: the infinity norm u; SGD: undefined
  int64_t step = 0;  // updates made to this parameter so far
};

class Optimizer {
 public:
  // `settings.step` is ignored: each parameter counts its own steps.
  Optimizer(std::vector<Tensor> params, const OptimizerStep& settings);
  // Moved, not copied: a copy would share (and double-step) the state tensors.
  Optimizer(Optimizer&&) = default;
  Optimizer& operator=(Optimizer&&) = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient.
  void step();
  // Drops every parameter's gradient.
  void zero_grad();

  double lr() const { return settings_.lr; }
  void set_lr(double lr);
  const OptimizerStep& settings() const { return settings_; }
  const std::vector<Tensor>& params() const { return params_; }
  std::vector<ParamState>& state() { return state_; }
  const std::vector<ParamState>& state() const { return state_; }

 private:
  std::vector<Tensor> params_;
  std::vector<ParamState> state_;  // state_[i] belongs to params_[i]
  OptimizerStep settings_;
};

// Defaults as PyTorch's.
Optimizer sgd(std::vector<Tensor> params, double lr, double momentum = 0.0, double dampening = 0.0,
              bool nesterov = false, double weight_decay = 0.0);
Optimizer adam(std::vector<Tensor> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
               double eps = 1e-8, double weight_decay = 0.0);
Optimizer adamw(std::vector<Tensor> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, double weight_decay = 1e-2);
Optimizer adamax(std::vector<Tensor> params, double lr = 2e-3, double beta1 = 0.9, double beta2 = 0.999,
                 double eps = 1e-8, double weight_decay = 0.0);

}  // namespace elbo::nn
