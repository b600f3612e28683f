// Ensembles in one pass (models/one_pass_ensemble.hpp has the steps).
#include "elbo/models/one_pass_ensemble.hpp"

#include "elbo/autograd.hpp"
#include "elbo/nn/member_batch.hpp"
#include "elbo/ops.hpp"

namespace elbo::models {

namespace {

std::string describe_vae(const Model& m) {
  const VaeConfig& v = m.config.vae;
  std::string s = v.architecture;
  s.append(", ").append(std::to_string(v.latents)).append(" latents, ").append(std::to_string(v.channels));
  s.append("x").append(std::to_string(v.image_size)).append("x").append(std::to_string(v.image_size));
  s.append(", ").append(likelihood_name(v.likelihood)).append(", ").append(dtype_name(m.config.dtype));
  s.append(", ").append(device_name(m.config.device));
  if (v.architecture == "mlp") {
    s.append(", hidden");
    for (int64_t h : v.hidden) s.append(" ").append(std::to_string(h));
  }
  return s;
}

// Member k of a member-major [K, ...] tensor, as [...] (a view, with history).
Tensor member_of(const Tensor& stacked, int64_t k) {
  Shape s;
  for (int i = 1; i < stacked.ndim(); ++i) s.push_back(stacked.size(i));
  return reshape(slice(stacked, 0, k, k + 1), s);
}

}  // namespace

OnePassEnsemble::OnePassEnsemble(std::vector<Model*> members) : members_(std::move(members)) {
  ELBO_CHECK(!members_.empty(), "OnePassEnsemble: no members");
  for (size_t k = 0; k < members_.size(); ++k) {
    ELBO_CHECK(members_[k] != nullptr, "OnePassEnsemble: member ", k, " is null");
    ELBO_CHECK(describe_vae(*members_[k]) == describe_vae(*members_[0]), "OnePassEnsemble: member ", k, " is a ",
               describe_vae(*members_[k]), " VAE but member 0 a ", describe_vae(*members_[0]),
               "; one pass needs members of one network (train the others apart)");
    ELBO_CHECK(members_[k]->config.objective.kind == members_[0]->config.objective.kind, "OnePassEnsemble: member ", k,
               " trains ", objective_name(members_[k]->config.objective.kind), " but member 0 ",
               objective_name(members_[0]->config.objective.kind), "; the members must share the objective (its "
               "hyper-parameters may differ)");
    encoders_.push_back(&members_[k]->vae.encoder);
    decoders_.push_back(&members_[k]->vae.decoder);
  }
}

std::vector<LossTerms> OnePassEnsemble::losses(const std::vector<Tensor>& batches, uint64_t t) {
  const size_t K = members_.size();
  const ModelConfig& c = members_[0]->config;
  ELBO_CHECK(batches.size() == K, "OnePassEnsemble: ", batches.size(), " batches for ", K, " members");
  for (size_t k = 0; k < K; ++k) {
    const Tensor& x = batches[k];
    ELBO_CHECK(x.defined() && x.dtype() == c.dtype && x.device() == c.device && x.shape() == batches[0].shape(),
               "OnePassEnsemble: batch ", k, " is ", x.defined() ? x.str() : "undefined", "; every batch must be ",
               dtype_name(c.dtype), " on ", device_name(c.device), " and shaped like batch 0, ",
               batches[0].defined() ? batches[0].shape().str() : "undefined");
  }
  // 1. the K encoders at once: stats [K, M, 2·L]
  Tensor stats = nn::forward_members(encoders_, nn::stack_member_tensors(batches));
  // 2. each member's posterior and z from its own noise
  std::vector<Vae::Posterior> q(K);
  std::vector<Tensor> z(K);
  for (size_t k = 0; k < K; ++k) {
    q[k] = members_[k]->vae.posterior_of(member_of(stats, static_cast<int64_t>(k)));
    z[k] = members_[k]->sample_posterior(q[k], t);
  }
  // 3. the K decoders at once: logits [K, M, C, S, S]
  Tensor logits = nn::forward_members(decoders_, nn::stack_member_tensors(z));
  // 4. each member's objective
  std::vector<LossTerms> terms;
  for (size_t k = 0; k < K; ++k)
    terms.push_back(members_[k]->objective_terms(batches[k], q[k], z[k], member_of(logits, static_cast<int64_t>(k)), t));
  return terms;
}

std::vector<StepReport> OnePassEnsemble::step(const std::vector<Tensor>& batches, uint64_t t) {
  ELBO_CHECK(grad_enabled(), "OnePassEnsemble::step: called inside a NoGradGuard; training needs autodiff");
  std::vector<LossTerms> terms = losses(batches, t);
  // 5. one backward pass of Σ_k L_k, then each member's update; FactorVAE's discriminators likewise
  //    from Σ_k L_D,k (Model::step has why both updates come from one forward pass).
  Tensor total = terms[0].loss, discriminator_total = terms[0].discriminator_loss;
  for (size_t k = 1; k < terms.size(); ++k) {
    total = add(total, terms[k].loss);
    if (discriminator_total.defined()) discriminator_total = add(discriminator_total, terms[k].discriminator_loss);
  }
  for (Model* m : members_) m->optimizer.zero_grad();
  total.backward();
  for (Model* m : members_) m->optimizer.step();
  if (discriminator_total.defined()) {
    for (Model* m : members_) m->discriminator_optimizer->zero_grad();
    discriminator_total.backward();
    for (Model* m : members_) m->discriminator_optimizer->step();
  }
  return reports(std::vector<const Model*>(members_.begin(), members_.end()), terms);
}

}  // namespace elbo::models
