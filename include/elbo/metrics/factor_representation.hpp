// Synthetic representations of a ground-truth dataset's own factors, to check the metrics end to end
// and time them without an encoder (`elbo metrics --dataset dsprites --representation ...`).
//
// FactorImages wraps a ground-truth dataset: the same factors and sizes, but "image" i is 1×1×K
// floats holding its factor levels f_0 … f_{K−1}, so nothing is rendered and the metrics' sampling
// (BetaVAE's pairs, FactorVAE's fixed-factor batches, ...) runs exactly as on the real images.
// A representation of those images computes codes from the factors:
//
//   u_k = (f_k − (s_k − 1)/2) / √((s_k² − 1)/12)       level f_k of a factor with s_k values,
//                                                      standardised: mean 0 and variance 1 when f_k is
//                                                      uniform on 0 … s_k − 1 (u_k = 0 when s_k = 1)
//   z   = Q u                                          Q a K×K matrix
//
//   identity-factors   Q = I: code k copies factor k, a perfectly disentangled code (the scores a
//                      perfect model would reach; near 1 for most metrics)
//   random-rotation    Q = a random orthogonal matrix (Gram–Schmidt on Philox normals): the same
//                      information, but every code mixes every factor (the scores of an entangled code)
//
// The standardisation gives the codes the unit scale of a VAE's posterior means; the metrics with a
// regularised classifier (SAP's SVM, BetaVAE's logistic regression) depend on that scale.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/data/dataset.hpp"
#include "elbo/metrics/sampling.hpp"

namespace elbo::metrics {

class FactorImages final : public data::GroundTruthDataset {
 public:
  // Keeps a reference: `dataset` must outlive this object.
  explicit FactorImages(const data::GroundTruthDataset& dataset) : dataset_(dataset) {}
  std::string name() const override { return dataset_.name() + " (factors as images)"; }
  data::ImageShape image_shape() const override { return {1, 1, dataset_.num_factors()}; }
  void image(int64_t index, float* out) const override;
  const std::vector<data::Factor>& factor_list() const override { return dataset_.factor_list(); }

 private:
  const data::GroundTruthDataset& dataset_;
};

// The identity K×K matrix, row-major.
std::vector<double> identity_mixing(int64_t K);
// A random orthogonal K×K matrix, row-major: Gram–Schmidt on the rows of a matrix of standard
// normal draws 0 … K²−1 of Rng{seed, stream 0x726f74 ("rot")}.
std::vector<double> random_rotation_mixing(int64_t K, uint64_t seed);

// codes [n, K] f64 = Q · u for images [n, 1, 1, K] of FactorImages(dataset); Q is K×K row-major.
Representation factor_representation(const data::GroundTruthDataset& dataset, std::vector<double> Q);

}  // namespace elbo::metrics
