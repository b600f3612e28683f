// Ensembles in one pass: K Models of one network (the members of an ensemble, each with its own
// seed, weights, optimisers and objective) trained by one computation per step, so that K small
// networks make large products and convolutions (nn/member_batch.hpp has the layouts).
//
//   std::vector<Model*> members = {&m0, &m1, &m2};      // same VaeConfig, dtype and device
//   OnePassEnsemble ensemble(members);
//   std::vector<StepReport> r = ensemble.step({x0, x1, x2}, t);   // x_k: member k's batch of step t
//
// Step t of member k is the step m_k.step(x_k, t) makes (models/model.hpp):
//   1. the K batches, stacked [K, M, ...], through the K encoders at once: q_k = (μ_k, log σ_k²)
//   2. z_k = μ_k + σ_k ⊙ ε_k, with ε_k from member k's seed and the stream of step t
//   3. the K z_k through the K decoders at once: logits_k
//   4. member k's loss terms L_k from x_k, q_k, z_k, logits_k (Model::objective_terms)
//   5. one backward pass of Σ_k L_k: member k's parameters receive ∂L_k/∂θ_k, since no other L_j
//      depends on them; then every member's optimiser (and FactorVAE's discriminator likewise)
// On the CPU every member's step has the same bits as its own Model::step (the batched products
// and grouped convolutions compute each member's blocks as the plain ops do); on the GPU the same
// within float tolerance.
#pragma once
#include <cstdint>
#include <vector>

#include "elbo/models/model.hpp"

namespace elbo::models {

class OnePassEnsemble {
 public:
  // Checks that the members share their VaeConfig, dtype, device and kind of objective (their
  // seeds, the objective's hyper-parameters and the optimiser settings may differ); fails naming
  // the first member that does not.
  explicit OnePassEnsemble(std::vector<Model*> members);

  // Every member's loss terms of step t, with history.
  std::vector<LossTerms> losses(const std::vector<Tensor>& batches, uint64_t step_index);
  // One training step of every member; batches[k] is member k's batch, all of one shape.
  std::vector<StepReport> step(const std::vector<Tensor>& batches, uint64_t step_index);

  const std::vector<Model*>& members() const { return members_; }

 private:
  std::vector<Model*> members_;
  std::vector<nn::Module*> encoders_, decoders_;
};

}  // namespace elbo::models
