// The dataset interface's shared methods (elbo/data/dataset.hpp): batches of images by index, the
// mixed-radix map between an index and its factors, and uniform factor sampling.
#include "elbo/data/dataset.hpp"

#include "elbo/error.hpp"

namespace elbo::data {

Tensor Dataset::images(std::span<const int64_t> indices) const {
  const ImageShape s = image_shape();
  const int64_t n = static_cast<int64_t>(indices.size());
  const int64_t count = size();
  for (int64_t i = 0; i < n; ++i)
    ELBO_CHECK(indices[i] >= 0 && indices[i] < count, name(), ": image index ", indices[i], " out of range [0, ",
               count, ")");
  Tensor out = empty(Shape{n, s.channels, s.height, s.width});
  float* dst = out.data<float>();
  const int64_t per_image = s.numel();
  // Rendering a few small images costs less than starting the threads.
#pragma omp parallel for schedule(static) if (n * per_image >= (1 << 16))
  for (int64_t i = 0; i < n; ++i) image(indices[i], dst + i * per_image);
  return out;
}

int64_t GroundTruthDataset::size() const {
  int64_t total = 1;
  for (const Factor& f : factor_list()) total *= f.size;
  return total;
}

std::vector<int64_t> GroundTruthDataset::factors(int64_t index) const {
  const std::vector<Factor>& list = factor_list();
  ELBO_CHECK(index >= 0 && index < size(), name(), ": index ", index, " out of range [0, ", size(), ")");
  std::vector<int64_t> f(list.size());
  for (size_t k = list.size(); k-- > 0;) {
    f[k] = index % list[k].size;
    index /= list[k].size;
  }
  return f;
}

int64_t GroundTruthDataset::index(std::span<const int64_t> factors) const {
  const std::vector<Factor>& list = factor_list();
  ELBO_CHECK(factors.size() == list.size(), name(), ": got ", factors.size(), " factor values, the dataset has ",
             list.size(), " factors");
  int64_t index = 0;
  for (size_t k = 0; k < list.size(); ++k) {
    ELBO_CHECK(factors[k] >= 0 && factors[k] < list[k].size, name(), ": factor '", list[k].name, "' = ", factors[k],
               " out of range [0, ", list[k].size, ")");
    index = index * list[k].size + factors[k];
  }
  return index;
}

Tensor GroundTruthDataset::sample_factors(int64_t n, Rng& rng) const {
  ELBO_CHECK(n >= 0, name(), ": sample_factors needs n ≥ 0, got ", n);
  const std::vector<Factor>& list = factor_list();
  const int64_t k_count = static_cast<int64_t>(list.size());
  Tensor out = empty(Shape{n, k_count}, DType::i64);
  int64_t* f = out.data<int64_t>();
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t k = 0; k < k_count; ++k) {
      const uint64_t draw = rng.counter + static_cast<uint64_t>(r * k_count + k);
      const double u = philox_uniform(rng.seed, rng.stream, draw);
      const int64_t value = static_cast<int64_t>(u * static_cast<double>(list[k].size));
      f[r * k_count + k] = value < list[k].size ? value : list[k].size - 1;
    }
  }
  rng.counter += static_cast<uint64_t>(n * k_count);
  return out;
}

Tensor GroundTruthDataset::observations(const Tensor& factors) const {
  const int64_t k_count = num_factors();
  ELBO_CHECK(factors.dtype() == DType::i64 && factors.ndim() == 2 && factors.size(1) == k_count, name(),
             ": observations needs i64 factors [n, ", k_count, "], got ", factors.str());
  Tensor f = factors.contiguous();
  const int64_t n = f.size(0);
  const int64_t* values = f.data<int64_t>();
  std::vector<int64_t> indices(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r)
    indices[static_cast<size_t>(r)] = index(std::span<const int64_t>(values + r * k_count, static_cast<size_t>(k_count)));
  return images(indices);
}

}  // namespace elbo::data
