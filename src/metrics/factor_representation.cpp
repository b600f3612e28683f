#include "elbo/metrics/factor_representation.hpp"

#include <cmath>

#include "elbo/error.hpp"

namespace elbo::metrics {

void FactorImages::image(int64_t index, float* out) const {
  const std::vector<int64_t> f = dataset_.factors(index);
  for (size_t k = 0; k < f.size(); ++k) out[k] = static_cast<float>(f[k]);
}

std::vector<double> identity_mixing(int64_t K) {
  ELBO_CHECK(K >= 1, "identity_mixing: K must be positive, got ", K);
  std::vector<double> Q(static_cast<size_t>(K * K), 0.0);
  for (int64_t k = 0; k < K; ++k) Q[static_cast<size_t>(k * K + k)] = 1.0;
  return Q;
}

std::vector<double> random_rotation_mixing(int64_t K, uint64_t seed) {
  ELBO_CHECK(K >= 1, "random_rotation_mixing: K must be positive, got ", K);
  Rng rng{seed, /*stream=*/0x726f74ULL, 0};
  std::vector<double> Q(static_cast<size_t>(K * K));
  for (double& v : Q) v = rng.normal();
  auto at = [&](int64_t r, int64_t c) -> double& { return Q[static_cast<size_t>(r * K + c)]; };
  for (int64_t r = 0; r < K; ++r) {
    for (int64_t p = 0; p < r; ++p) {  // remove the components along the earlier rows
      double dot = 0.0;
      for (int64_t c = 0; c < K; ++c) dot += at(r, c) * at(p, c);
      for (int64_t c = 0; c < K; ++c) at(r, c) -= dot * at(p, c);
    }
    double norm = 0.0;
    for (int64_t c = 0; c < K; ++c) norm += at(r, c) * at(r, c);
    norm = std::sqrt(norm);
    ELBO_CHECK(norm > 1e-12, "random_rotation_mixing: degenerate draw for K = ", K, ", seed ", seed);
    for (int64_t c = 0; c < K; ++c) at(r, c) /= norm;
  }
  return Q;
}

Representation factor_representation(const data::GroundTruthDataset& dataset, std::vector<double> Q) {
  const int64_t K = dataset.num_factors();
  ELBO_CHECK(static_cast<int64_t>(Q.size()) == K * K, "factor_representation: the mixing matrix has ", Q.size(),
             " entries; ", dataset.name(), " has ", K, " factors, so it needs K² = ", K * K);
  std::vector<double> centre(static_cast<size_t>(K)), scale(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) {
    const double s = static_cast<double>(dataset.factor_list()[static_cast<size_t>(k)].size);
    centre[static_cast<size_t>(k)] = (s - 1.0) / 2.0;
    scale[static_cast<size_t>(k)] = s > 1.0 ? 1.0 / std::sqrt((s * s - 1.0) / 12.0) : 0.0;
  }
  return [Q = std::move(Q), centre, scale, K](const Tensor& images) {
    ELBO_CHECK(images.ndim() == 4 && images.size(1) * images.size(2) * images.size(3) == K,
               "factor_representation: expected the factor images [n, 1, 1, ", K, "] of FactorImages, got ",
               images.str());
    const int64_t n = images.size(0);
    Tensor x = images.to(DType::f64).contiguous();
    const double* f = x.data<double>();
    Tensor codes = empty(Shape{n, K}, DType::f64);
    double* z = codes.data<double>();
    std::vector<double> u(static_cast<size_t>(K));
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t k = 0; k < K; ++k)
        u[static_cast<size_t>(k)] = (f[i * K + k] - centre[static_cast<size_t>(k)]) * scale[static_cast<size_t>(k)];
      for (int64_t r = 0; r < K; ++r) {
        double v = 0.0;
        for (int64_t k = 0; k < K; ++k) v += Q[static_cast<size_t>(r * K + k)] * u[static_cast<size_t>(k)];
        z[i * K + r] = v;
      }
    }
    return codes;
  };
}

}  // namespace elbo::metrics
