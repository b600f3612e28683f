// Points on the unit circle, the data of the ensemble-fusion experiment of Murphy, Dillavou &
// Bassett (2024), §4.4 (reference notes §2.6; the authors' Rep_space_fusion_SO(2).ipynb):
//
//     x = (cos θ, sin θ) ∈ ℝ²,   θ ~ U[0, 2π)
//
// Two ways to choose the angles:
//   grid    θ_i = 2π·i/n, i = 0 … n − 1 (numpy.linspace(0, 2π, n, endpoint=False)): the
//           fingerprint points, in order around the circle (the paper: n = 200);
//   random  θ_k = 2π·u_k, u_k = uniform draw k of Philox (seed, stream) (elbo/rng.hpp): a training
//           batch; the authors drew a fresh batch for every step, and so does `elbo fusion`, with
//           the stream of step t given by models/noise.hpp (NoisePurpose::data).
//
// The circle has no pixels: points are plain tensors [n, 2], not images, and the models that read
// them are models/point_vae.hpp's. Angles are f64; cos and sin are taken in f64 and rounded to the
// requested dtype, so the points do not depend on the thread count.
#pragma once
#include <cstdint>

#include "elbo/tensor.hpp"

namespace elbo::data {

// θ_i = 2π·i/n as f64 [n].
Tensor unit_circle_grid_angles(int64_t n);
// θ_k = 2π·u_k, u_k = philox_uniform(seed, stream, k), as f64 [n].
Tensor unit_circle_random_angles(int64_t n, uint64_t seed, uint64_t stream);
// (cos θ, sin θ) for angles [n] (any floating dtype): [n, 2] in `dtype` (f32 or f64).
Tensor unit_circle_points(const Tensor& angles, DType dtype = DType::f32);

}  // namespace elbo::data
