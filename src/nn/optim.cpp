// Optimisers (nn/optim.hpp): state, validation and one fused backend call per parameter.
#include "elbo/nn/optim.hpp"

namespace elbo::nn {

namespace {
const char* kind_name(OptimizerStep::Kind k) {
  switch (k) {
    case OptimizerStep::sgd: return "sgd";
    case OptimizerStep::adam: return "adam";
    case OptimizerStep::adamw: return "adamw";
    case OptimizerStep::adamax: return "adamax";
  }
  return "optimizer";
}
}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, const OptimizerStep& settings)
    : params_(std::move(params)), settings_(settings) {
  const char* name = kind_name(settings.kind);
  const OptimizerStep& s = settings;
  ELBO_CHECK(s.lr >= 0 && s.weight_decay >= 0, name, ": needs lr ≥ 0 and weight_decay ≥ 0, got lr ", s.lr,
             ", weight_decay ", s.weight_decay);
  if (s.kind == OptimizerStep::sgd) {
    ELBO_CHECK(s.beta1 >= 0, name, ": momentum must be ≥ 0, got ", s.beta1);
    ELBO_CHECK(!s.nesterov || (s.beta1 > 0 && s.dampening == 0), name,
               ": Nesterov momentum needs momentum > 0 and dampening 0, got momentum ", s.beta1, ", dampening ",
               s.dampening);
  } else {
    ELBO_CHECK(s.beta1 >= 0 && s.beta1 < 1 && s.beta2 >= 0 && s.beta2 < 1 && s.eps >= 0, name,
               ": needs 0 ≤ beta1, beta2 < 1 and eps ≥ 0, got beta1 ", s.beta1, ", beta2 ", s.beta2, ", eps ", s.eps);
  }
  bool uses_m = s.kind != OptimizerStep::sgd || s.beta1 != 0;
  bool uses_v = s.kind != OptimizerStep::sgd;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    ELBO_CHECK(p.defined() && p.requires_grad() && p.grad_fn() == nullptr && p.is_contiguous(), name, ": parameter ",
               i, " must be a contiguous leaf tensor with requires_grad, got ", p.defined() ? p.str() : "undefined");
    for (size_t j = 0; j < i; ++j)
      ELBO_CHECK(params_[j].impl() != p.impl(), name, ": parameter ", i, " is the same tensor as parameter ", j);
    ParamState st;
    if (uses_m) st.m = zeros_like(p);
    if (uses_v) st.v = zeros_like(p);
    state_.push_back(st);
  }
}

void Optimizer::set_lr(double lr) {
  ELBO_CHECK(lr >= 0, kind_name(settings_.kind), ": learning rate must be ≥ 0, got ", lr);
  settings_.lr = lr;
}

void Optimizer::step() {
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    ELBO_CHECK(g.shape() == p.shape() && g.dtype() == p.dtype() && g.device() == p.device(),
               kind_name(settings_.kind), ": gradient ", g.str(), " does not match parameter ", i, " ", p.str());
    if (!g.is_contiguous()) g = g.contiguous();
    ParamState& st = state_[i];
    OptimizerStep s = settings_;
    s.step = ++st.step;
    backend(p).optimizer_update(s, p, g, st.m, st.v);
  }
}

void Optimizer::zero_grad() {
  for (const Tensor& p : params_) p.zero_grad();
}

Optimizer sgd(std::vector<Tensor> params, double lr, double momentum, double dampening, bool nesterov,
              double weight_decay) {
  OptimizerStep s;
  s.kind = OptimizerStep::sgd;
  s.lr = lr;
  s.beta1 = momentum;
  s.dampening = dampening;
  s.nesterov = nesterov;
  s.weight_decay = weight_decay;
  return Optimizer(std::move(params), s);
}

namespace {
Optimizer adam_family(OptimizerStep::Kind kind, std::vector<Tensor> params, double lr, double beta1, double beta2,
                      double eps, double weight_decay) {
  OptimizerStep s;
  s.kind = kind;
  s.lr = lr;
  s.beta1 = beta1;
  s.beta2 = beta2;
  s.eps = eps;
  s.weight_decay = weight_decay;
  return Optimizer(std::move(params), s);
}
}  // namespace

Optimizer adam(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps, double weight_decay) {
  return adam_family(OptimizerStep::adam, std::move(params), lr, beta1, beta2, eps, weight_decay);
}
Optimizer adamw(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps, double weight_decay) {
  return adam_family(OptimizerStep::adamw, std::move(params), lr, beta1, beta2, eps, weight_decay);
}
Optimizer adamax(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps, double weight_decay) {
  return adam_family(OptimizerStep::adamax, std::move(params), lr, beta1, beta2, eps, weight_decay);
}

}  // namespace elbo::nn
