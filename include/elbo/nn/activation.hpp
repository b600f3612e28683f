// Activation modules: each applies one elementwise function (ops/math.hpp has the formulas and
// derivatives). One class, Activation, does the work; the named classes only fix its op.
#pragma once
#include "elbo/nn/module.hpp"
#include "elbo/ops/backend.hpp"

namespace elbo::nn {

class Activation : public Module {
 public:
  // `name` is how str() prints the module; `a` is the op's parameter (slope, alpha) if it has one.
  Activation(const char* name, UnaryOp op, double a = 0.0) : name(name), op(op), a(a) {}
  Tensor forward(const Tensor& x) override;
  MemberBatch forward_members(const std::vector<Module*>& members, const MemberBatch& x, FusedActivation f) override;
  std::string str() const override;

  const char* const name;
  const UnaryOp op;
  const double a;
};

// max(x, 0)
class ReLU : public Activation {
 public:
  ReLU() : Activation("ReLU", UnaryOp::relu) {}
};
// x if x > 0 else slope·x
class LeakyReLU : public Activation {
 public:
  explicit LeakyReLU(double slope = 0.01) : Activation("LeakyReLU", UnaryOp::leaky_relu, slope) {}
};
// x if x > 0 else alpha·(eˣ − 1)
class ELU : public Activation {
 public:
  explicit ELU(double alpha = 1.0) : Activation("ELU", UnaryOp::elu, alpha) {}
};
// 1 / (1 + e⁻ˣ)
class Sigmoid : public Activation {
 public:
  Sigmoid() : Activation("Sigmoid", UnaryOp::sigmoid) {}
};
// tanh x
class Tanh : public Activation {
 public:
  Tanh() : Activation("Tanh", UnaryOp::tanh) {}
};
// ln(1 + eˣ)
class Softplus : public Activation {
 public:
  Softplus() : Activation("Softplus", UnaryOp::softplus) {}
};
// x·σ(x)
class SiLU : public Activation {
 public:
  SiLU() : Activation("SiLU", UnaryOp::silu) {}
};

}  // namespace elbo::nn
