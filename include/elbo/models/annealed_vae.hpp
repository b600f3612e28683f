// AnnealedVAE, the β-VAE with a controlled capacity of Burgess et al. 2018 ("Understanding
// disentangling in β-VAE", eq. 8; their "β-VAE-B"), as disentanglement_lib computes it
// (methods/unsupervised/vae.py, AnnealedVAE and anneal):
//     L = R + γ · |KL − C(t)|
//     C(t) = min(C_max, C_max · t / T)        t = the training step (0, 1, …), T = iteration_threshold
// The KL is pulled towards a target capacity C that rises linearly from 0 nats to C_max over T
// steps and then stays. Reference values (unsupervised_study_v1): γ = 1000, T = 100000, C_max
// swept over 5, 10, 25, 50, 75, 100 (Burgess et al. used C_max = 25 on dSprites).
#pragma once
#include <cstdint>

#include "elbo/tensor.hpp"

namespace elbo::models {

// C(t), in nats.
double annealed_capacity(double c_max, uint64_t step, int64_t iteration_threshold);

// γ · |KL − C| (the term added to R), KL a scalar tensor.
Tensor annealed_vae_regularizer(const Tensor& kl, double capacity, double gamma);

}  // namespace elbo::models
