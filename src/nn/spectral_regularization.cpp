// Spectral and batch-norm regularisation (nn/spectral_regularization.hpp has the formulas and
// their sources).
#include "elbo/nn/spectral_regularization.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "elbo/autograd.hpp"
#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/linalg.hpp"
#include "elbo/ops/math.hpp"
#include "elbo/ops/random.hpp"
#include "elbo/ops/reduce.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo::nn {

namespace {
constexpr double kNormalizeEps = 1e-3;  // F.normalize(eps=1e-3) in the reference

// dst ← x / max(‖x‖, 1e-3), in place (dst and x have the same number of elements).
void normalize_into(const Tensor& dst, const Tensor& x) {
  double norm = std::sqrt(sum(square(x)).item());
  copy_(dst, reshape(mul(x, 1.0 / std::max(norm, kNormalizeEps)), dst.shape()));
}

Tensor as_matrix(const Tensor& kernel) { return reshape(kernel, Shape{kernel.size(0), kernel.numel() / kernel.size(0)}); }
}  // namespace

void power_iteration_(const Tensor& matrix, const Tensor& u, const Tensor& v, int iterations) {
  ELBO_CHECK(matrix.defined() && matrix.ndim() == 2 && u.defined() && v.defined() && u.numel() == matrix.size(0) &&
                 v.numel() == matrix.size(1),
             "power_iteration_: expects W [R, C], u [R], v [C], got ", matrix.defined() ? matrix.str() : "undefined",
             ", ", u.defined() ? u.str() : "undefined", ", ", v.defined() ? v.str() : "undefined");
  ELBO_CHECK(iterations >= 0, "power_iteration_: iterations must be ≥ 0, got ", iterations);
  NoGradGuard no_grad;
  Tensor w = matrix.detach();
  Tensor wt = transpose(w, 0, 1);
  for (int i = 0; i < iterations; ++i) {
    normalize_into(v, matmul(wt, reshape(u, Shape{u.numel(), 1})));  // v ← N(W̃ᵀ u)
    normalize_into(u, matmul(w, reshape(v, Shape{v.numel(), 1})));   // u ← N(W̃ v)
  }
}

Tensor spectral_norm_estimate(const Tensor& matrix, const Tensor& u, const Tensor& v) {
  ELBO_CHECK(matrix.defined() && matrix.ndim() == 2 && u.numel() == matrix.size(0) && v.numel() == matrix.size(1),
             "spectral_norm_estimate: expects W [R, C], u [R], v [C], got ", matrix.str(), ", ", u.str(), ", ",
             v.str());
  Tensor wv = matmul(matrix, reshape(v.detach(), Shape{v.numel(), 1}));  // W̃ v  [R, 1]
  return sum(mul(reshape(u.detach(), Shape{u.numel(), 1}), wv));        // uᵀ W̃ v
}

Tensor batchnorm_regularization(const std::vector<Tensor>& gammas) {
  ELBO_CHECK(!gammas.empty(), "batchnorm_regularization: no BN scales given");
  Tensor total;
  for (const Tensor& g : gammas) {
    Tensor m = max(abs(g));  // max_c |γ_c|
    total = total.defined() ? add(total, m) : m;
  }
  return total;
}

SpectralRegularizer::SpectralRegularizer(Init& init, const std::vector<Shape>& kernel_shapes) {
  u.resize(kernel_shapes.size());
  v.resize(kernel_shapes.size());
  NoGradGuard no_grad;
  for (size_t k = 0; k < kernel_shapes.size(); ++k) {
    const Shape& s = kernel_shapes[k];
    ELBO_CHECK(s.ndim >= 2 && s.numel() > 0, "SpectralRegularizer: kernel ", k, " has shape ", s.str(),
               ", expected at least 2 axes");
    u[k] = init.empty(Shape{s[0]});
    v[k] = init.empty(Shape{s.numel() / s[0]});
    normalize_into(u[k], normal(u[k].shape(), init.seed, init.take_stream(), 0, init.dtype, init.device));
    normalize_into(v[k], normal(v[k].shape(), init.seed, init.take_stream(), 0, init.dtype, init.device));
  }
  for (size_t k = 0; k < u.size(); ++k) {
    register_buffer(std::string("u").append(std::to_string(k)), u[k]);
    register_buffer(std::string("v").append(std::to_string(k)), v[k]);
  }
}

Tensor SpectralRegularizer::loss(const std::vector<Tensor>& kernels, int iterations) {
  ELBO_CHECK(kernels.size() == u.size(), "SpectralRegularizer::loss: ", kernels.size(), " kernels given, ",
             u.size(), " expected");
  Tensor total;
  for (size_t k = 0; k < kernels.size(); ++k) {
    Tensor w = as_matrix(kernels[k]);
    ELBO_CHECK(w.size(0) == u[k].numel() && w.size(1) == v[k].numel(), "SpectralRegularizer::loss: kernel ", k,
               " has shape ", kernels[k].str(), ", expected one of ", u[k].numel(), " rows and ", v[k].numel(),
               " columns");
    power_iteration_(w, u[k], v[k], iterations);
    Tensor sigma = spectral_norm_estimate(w, u[k], v[k]);
    total = total.defined() ? add(total, sigma) : sigma;
  }
  return total;
}

std::string SpectralRegularizer::str() const { return "SpectralRegularizer(" + std::to_string(u.size()) + " kernels)"; }

}  // namespace elbo::nn
