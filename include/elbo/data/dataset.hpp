// Datasets: a common interface for images with or without ground-truth factors.
//
// A dataset is an indexable collection of images of one shape [channels, height, width], pixel values
// in [0, 1]. Generated datasets render image i on demand as a pure function of i; file datasets read
// what is on disk. Ground-truth datasets (dSprites, the 3D scenes) also map between an image index
// and its factor values:
//
//   factors have sizes s_0 … s_{K−1}; the last factor varies fastest:
//   index = Σ_k f_k · stride_k,   stride_{K−1} = 1,   stride_k = stride_{k+1} · s_{k+1}
//
// which is dSprites' official order (shape·245760 + scale·40960 + orientation·1024 + posX·32 + posY).
//
// Datasets are read-only after construction and may be read from several threads at once.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "elbo/rng.hpp"
#include "elbo/tensor.hpp"

namespace elbo::data {

struct ImageShape {
  int64_t channels = 1, height = 0, width = 0;
  int64_t numel() const { return channels * height * width; }
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::string name() const = 0;
  virtual int64_t size() const = 0;
  virtual ImageShape image_shape() const = 0;
  // Writes image `index` to out[0 .. image_shape().numel()), channel-major (CHW), values in [0, 1].
  virtual void image(int64_t index, float* out) const = 0;
  // Class label of image `index`, or −1 for a dataset without labels.
  virtual int64_t label(int64_t index) const { (void)index; return -1; }

  // Images indices[0..n) as an f32 tensor [n, C, H, W].
  Tensor images(std::span<const int64_t> indices) const;
};

struct Factor {
  std::string name;
  int64_t size = 0;
};

class GroundTruthDataset : public Dataset {
 public:
  virtual const std::vector<Factor>& factor_list() const = 0;
  int64_t num_factors() const { return static_cast<int64_t>(factor_list().size()); }
  int64_t size() const override;  // Π_k s_k

  // The mixed-radix map above and its inverse; both check their ranges.
  std::vector<int64_t> factors(int64_t index) const;
  int64_t index(std::span<const int64_t> factors) const;

  // n factor vectors drawn uniformly and independently per factor, as i64 [n, K].
  // Draw (row r, factor k) is rng's draw counter + r·K + k; rng.counter advances by n·K.
  Tensor sample_factors(int64_t n, Rng& rng) const;
  // Images of the given factor rows (i64 [n, K]) as f32 [n, C, H, W].
  Tensor observations(const Tensor& factors) const;
};

}  // namespace elbo::data
