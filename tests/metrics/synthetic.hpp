// A tiny ground-truth dataset for the metric tests, and representations whose answer is known.
//
// Image i of GridDataset is 1×1×K "pixels" holding its factor values f_0 … f_{K−1} as floats, so a
// representation can compute any function of the factors from the image.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "elbo/data/dataset.hpp"
#include "elbo/metrics/sampling.hpp"
#include "elbo/rng.hpp"

namespace elbo::testing {

class GridDataset : public data::GroundTruthDataset {
 public:
  explicit GridDataset(std::vector<int64_t> sizes) {
    for (size_t k = 0; k < sizes.size(); ++k) {
      std::string name = "f";
      name += std::to_string(k);
      factors_.push_back({name, sizes[k]});
    }
  }
  std::string name() const override { return "grid"; }
  data::ImageShape image_shape() const override { return {1, 1, num_factors()}; }
  void image(int64_t index, float* out) const override {
    const std::vector<int64_t> f = factors(index);
    for (size_t k = 0; k < f.size(); ++k) out[k] = static_cast<float>(f[k]);
  }
  const std::vector<data::Factor>& factor_list() const override { return factors_; }

 private:
  std::vector<data::Factor> factors_;
};

// codes[n, rows] = A · (f / (s − 1)) for a [rows, K] matrix A: each factor scaled to [0, 1] first.
inline metrics::Representation linear_representation(const GridDataset& dataset, std::vector<double> A, int64_t rows) {
  const int64_t K = dataset.num_factors();
  std::vector<double> size(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) size[static_cast<size_t>(k)] = static_cast<double>(dataset.factor_list()[static_cast<size_t>(k)].size);
  return [A, rows, K, size](const Tensor& images) {
    const int64_t n = images.size(0);
    Tensor codes = empty(Shape{n, rows}, DType::f64);
    const float* x = images.contiguous().data<float>();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t r = 0; r < rows; ++r) {
        double v = 0.0;
        for (int64_t k = 0; k < K; ++k) v += A[static_cast<size_t>(r * K + k)] * x[i * K + k] / (size[static_cast<size_t>(k)] - 1.0);
        codes.data<double>()[i * rows + r] = v;
      }
    return codes;
  };
}

// The identity map: code k copies factor k.
inline std::vector<double> identity_matrix(int64_t K) {
  std::vector<double> A(static_cast<size_t>(K * K), 0.0);
  for (int64_t k = 0; k < K; ++k) A[static_cast<size_t>(k * K + k)] = 1.0;
  return A;
}

// A random rotation of K dimensions: Gram–Schmidt on Philox normals.
inline std::vector<double> random_rotation(int64_t K, uint64_t seed) {
  Rng rng{seed, 11, 0};
  std::vector<double> Q(static_cast<size_t>(K * K));
  for (double& v : Q) v = rng.normal();
  for (int64_t r = 0; r < K; ++r) {
    for (int64_t p = 0; p < r; ++p) {
      double dot = 0.0;
      for (int64_t k = 0; k < K; ++k) dot += Q[static_cast<size_t>(r * K + k)] * Q[static_cast<size_t>(p * K + k)];
      for (int64_t k = 0; k < K; ++k) Q[static_cast<size_t>(r * K + k)] -= dot * Q[static_cast<size_t>(p * K + k)];
    }
    double norm = 0.0;
    for (int64_t k = 0; k < K; ++k) norm += Q[static_cast<size_t>(r * K + k)] * Q[static_cast<size_t>(r * K + k)];
    for (int64_t k = 0; k < K; ++k) Q[static_cast<size_t>(r * K + k)] /= std::sqrt(norm);
  }
  return Q;
}

}  // namespace elbo::testing
