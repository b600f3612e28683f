// Reshaping modules (nn/flatten.hpp).
#include "elbo/nn/flatten.hpp"

#include "elbo/ops/shape.hpp"

namespace elbo::nn {

Tensor Flatten::forward(const Tensor& x) { return flatten(x, start_axis); }

std::string Flatten::str() const { return "Flatten(" + std::to_string(start_axis) + ")"; }

Tensor Unflatten::forward(const Tensor& x) {
  int a = normalize_axis(axis, x.ndim(), "Unflatten");
  ELBO_CHECK(x.size(a) == sizes.numel(), "Unflatten: axis ", a, " of ", x.shape().str(), " has ", x.size(a),
             " elements, but ", sizes.str(), " holds ", sizes.numel());
  ELBO_CHECK(x.ndim() - 1 + sizes.ndim <= kMaxDims, "Unflatten: ", x.shape().str(), " split into ", sizes.str(),
             " exceeds ", kMaxDims, " dimensions");
  // [d0 … d(a−1), sizes…, d(a+1) …]
  Shape out;
  for (int i = 0; i < a; ++i) out.push_back(x.size(i));
  for (int i = 0; i < sizes.ndim; ++i) out.push_back(sizes[i]);
  for (int i = a + 1; i < x.ndim(); ++i) out.push_back(x.size(i));
  return reshape(x, out);
}

std::string Unflatten::str() const { return "Unflatten(" + std::to_string(axis) + ", " + sizes.str() + ")"; }

}  // namespace elbo::nn
