// What every metric that samples a ground-truth dataset shares: the representation function and
// disentanglement_lib's generate_batch_factor_code (evaluation/metrics/utils.py).
//
// A representation maps images f32 [n, C, H, W] to codes [n, D] (any floating dtype, any device);
// the caller decides whether it returns the encoder mean or a sample. Metrics call it without
// autodiff recording. Random draws come only from the Rng handed to a metric, in a fixed order,
// so a metric is a pure function of (dataset, representation, seed, stream, counter).
#pragma once
#include <cstdint>
#include <functional>

#include "elbo/data/dataset.hpp"
#include "elbo/rng.hpp"
#include "elbo/tensor.hpp"

namespace elbo::metrics {

using Representation = std::function<Tensor(const Tensor& images)>;

// rep(images) as a contiguous f64 CPU tensor [n, D]; checks that it has one row per image.
Tensor encode(const Representation& rep, const Tensor& images);

struct CodesAndFactors {
  Tensor codes;    // f64 [num_points, D]
  Tensor factors;  // i64 [num_points, K]
};

// num_points factor vectors drawn uniformly (dataset.sample_factors), batch_size at a time, each
// batch rendered and encoded in one call: generate_batch_factor_code.
CodesAndFactors sample_codes_and_factors(const data::GroundTruthDataset& dataset, const Representation& rep,
                                         int64_t num_points, int64_t batch_size, Rng& rng);

// Checks that codes is f64 [n, D] and factors i64 [n, K] with n ≥ min_points, naming `metric`, and
// returns contiguous versions.
void check_codes_and_factors(const char* metric, Tensor& codes, Tensor& factors, int64_t min_points = 2);

}  // namespace elbo::metrics
