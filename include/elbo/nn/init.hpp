// Parameter initialisers, drawn from the counter-based generator (elbo/rng.hpp).
//
// Every initialiser takes an explicit (seed, stream): element i of the tensor (row-major) is
// draw i of that stream, so a weight is a pure function of (seed, stream, shape) on every
// device and thread count.
//
// How modules receive their randomness: every layer's constructor takes an `Init&`, which holds
// the seed, the dtype and device of the parameters, the weight scheme, and the next unused
// stream. Each parameter a layer creates takes the next stream (`take_stream()`), drawn or not,
// in construction order. A model built from one `Init{.seed = s}` therefore has initial weights
// that are a pure function of s: its k-th parameter (in construction order) is drawn from
// stream k of seed s. Two models built from equal Inits are identical byte for byte.
//
// Fans (PyTorch's _calculate_fan_in_and_fan_out): for a weight [d0, d1, k...] with receptive
// field r = Π k (1 for a matrix),
//     fan_in = d1 · r,   fan_out = d0 · r.
// Linear [out, in]: fan_in = in. Conv2d [C_out, C_in/groups, KH, KW]: fan_in = C_in/groups·KH·KW.
// ConvTranspose2d [C_in, C_out/groups, KH, KW]: fan_in = C_out/groups·KH·KW (dim 1, as PyTorch).
#pragma once
#include <cstdint>

#include "elbo/tensor.hpp"

namespace elbo::nn {

// How Linear, Conv2d and ConvTranspose2d draw their weight W and bias b.
enum class WeightInit : uint8_t {
  // PyTorch's default (kaiming_uniform with a = √5):
  //     W ~ U(−1/√fan_in, 1/√fan_in),   b ~ U(−1/√fan_in, 1/√fan_in)
  pytorch_default,
  // Glorot & Bengio 2010, TensorFlow/Keras's default:  W ~ U(−l, l), l = √(6/(fan_in + fan_out)),  b = 0
  glorot_uniform,
  // He et al. 2015 for ReLU (gain √2):  W ~ U(−l, l), l = √(6/fan_in),  b = 0
  kaiming_uniform,
  // He et al. 2015 for ReLU:  W ~ N(0, 2/fan_in),  b = 0
  kaiming_normal,
};

// The source of a model's parameters, passed by reference to every layer's constructor.
struct Init {
  uint64_t seed = 0;
  DType dtype = DType::f32;
  Device device = Device::cpu;
  WeightInit scheme = WeightInit::pytorch_default;
  uint64_t next_stream = 0;  // the stream the next parameter takes

  uint64_t take_stream() { return next_stream++; }
  // An uninitialised parameter tensor of this Init's dtype and device.
  Tensor empty(const Shape& shape) const { return elbo::empty(shape, dtype, device); }
};

struct Fans {
  int64_t in = 0, out = 0;
};
Fans fans_of(const Shape& weight_shape);

// In place, without history. t must be contiguous and floating point.
//     uniform_: t ~ U(lo, hi)        normal_: t ~ N(mean, stddev²)        zeros_: t = 0
void uniform_(const Tensor& t, double lo, double hi, uint64_t seed, uint64_t stream);
void normal_(const Tensor& t, double mean, double stddev, uint64_t seed, uint64_t stream);
void zeros_(const Tensor& t);

// Glorot & Bengio 2010:  w ~ U(−l, l),  l = √(6 / (fan_in + fan_out))
void glorot_uniform_(const Tensor& w, uint64_t seed, uint64_t stream);
// He et al. 2015 with PyTorch's leaky-ReLU gain g = √(2 / (1 + a²)) (a = 0: ReLU, gain √2):
//     kaiming_uniform_: w ~ U(−l, l),  l = g·√(3 / fan_in)
//     kaiming_normal_:  w ~ N(0, σ²),  σ = g / √fan_in
void kaiming_uniform_(const Tensor& w, uint64_t seed, uint64_t stream, double negative_slope = 0.0);
void kaiming_normal_(const Tensor& w, uint64_t seed, uint64_t stream, double negative_slope = 0.0);

// Draws a layer's weight and bias as init.scheme says (WeightInit above); takes one stream for
// the weight and one for the bias (also when the bias is undefined, so that the streams of the
// layers that follow do not depend on whether this one has a bias).
void init_weight_and_bias(Init& init, const Tensor& weight, const Tensor& bias);

}  // namespace elbo::nn
