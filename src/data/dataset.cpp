#include "elbo/data/dataset.hpp"

#include <exception>

namespace elbo::data {

// Renders (or reads) images indices[0..n) into one f32 tensor [n, C, H, W]. The loop runs in
// parallel over images; image i writes only its own slice of the output, so the result is the
// same at every thread count. An exception thrown inside the parallel loop cannot leave it, so
// the loop keeps the one of the lowest failing position and rethrows it afterwards.
Tensor Dataset::images(std::span<const int64_t> indices) const {
  const int64_t n = static_cast<int64_t>(indices.size());
  const int64_t count = size();
  for (int64_t i = 0; i < n; ++i)
    ELBO_CHECK(indices[i] >= 0 && indices[i] < count, name(), ": images: index ", indices[i], " at position ", i,
               " is out of range [0, ", count, ")");
  const ImageShape shape = image_shape();
  Tensor out = empty(Shape{n, shape.channels, shape.height, shape.width});
  float* dst = out.data<float>();
  const int64_t per_image = shape.numel();
  int64_t first_failure = n;
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t i = 0; i < n; ++i) {
    try {
      image(indices[i], dst + i * per_image);
    } catch (...) {
#pragma omp critical(elbo_dataset_images_failure)
      if (i < first_failure) {
        first_failure = i;
        failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  return out;
}

int64_t GroundTruthDataset::size() const {
  int64_t total = 1;
  for (const Factor& f : factor_list()) total *= f.size;
  return total;
}

// index → factors: peel the digits off from the fastest factor (the last) to the slowest.
std::vector<int64_t> GroundTruthDataset::factors(int64_t index) const {
  const std::vector<Factor>& list = factor_list();
  ELBO_CHECK(index >= 0 && index < size(), name(), ": factors: index ", index, " is out of range [0, ", size(), ")");
  std::vector<int64_t> f(list.size());
  for (size_t k = list.size(); k-- > 0;) {
    f[k] = index % list[k].size;
    index /= list[k].size;
  }
  return f;
}

// factors → index: Horner's rule, index = (…((f_0·s_1 + f_1)·s_2 + f_2)…)·s_{K−1} + f_{K−1}.
int64_t GroundTruthDataset::index(std::span<const int64_t> factors) const {
  const std::vector<Factor>& list = factor_list();
  ELBO_CHECK(factors.size() == list.size(), name(), ": index: got ", factors.size(), " factor values, expected ",
             list.size());
  int64_t index = 0;
  for (size_t k = 0; k < list.size(); ++k) {
    ELBO_CHECK(factors[k] >= 0 && factors[k] < list[k].size, name(), ": index: factor '", list[k].name, "' = ",
               factors[k], " is out of range [0, ", list[k].size, ")");
    index = index * list[k].size + factors[k];
  }
  return index;
}

Tensor GroundTruthDataset::sample_factors(int64_t n, Rng& rng) const {
  ELBO_CHECK(n >= 0, name(), ": sample_factors: n = ", n, " must be ≥ 0");
  const std::vector<Factor>& list = factor_list();
  const int64_t K = num_factors();
  Tensor out = empty(Shape{n, K}, DType::i64);
  int64_t* f = out.data<int64_t>();
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t k = 0; k < K; ++k) {
      Rng draw{rng.seed, rng.stream, rng.counter + static_cast<uint64_t>(r * K + k)};
      f[r * K + k] = static_cast<int64_t>(draw.below(static_cast<uint64_t>(list[static_cast<size_t>(k)].size)));
    }
  }
  rng.counter += static_cast<uint64_t>(n * K);
  return out;
}

Tensor GroundTruthDataset::observations(const Tensor& factors) const {
  const int64_t K = num_factors();
  ELBO_CHECK(factors.defined() && factors.dtype() == DType::i64 && factors.ndim() == 2 && factors.size(1) == K,
             name(), ": observations: expected factor rows i64 [n, ", K, "], got ",
             factors.defined() ? factors.str() : std::string("an undefined tensor"));
  Tensor rows = factors.contiguous();
  const int64_t n = rows.size(0);
  const int64_t* f = rows.data<int64_t>();
  std::vector<int64_t> indices(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) indices[static_cast<size_t>(r)] = index(std::span<const int64_t>(f + r * K, K));
  return images(indices);
}

}  // namespace elbo::data
