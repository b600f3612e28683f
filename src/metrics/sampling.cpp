#include "elbo/metrics/sampling.hpp"

#include <algorithm>
#include <cstring>

#include "elbo/autograd.hpp"
#include "elbo/error.hpp"

namespace elbo::metrics {

Tensor encode(const Representation& rep, const Tensor& images) {
  ELBO_CHECK(static_cast<bool>(rep), "metrics: the representation function is empty");
  Tensor codes;
  {
    NoGradGuard no_grad;
    codes = rep(images);
  }
  ELBO_CHECK(codes.defined() && codes.ndim() == 2 && codes.size(0) == images.size(0) && codes.size(1) >= 1,
             "metrics: the representation must return codes [", images.size(0), ", D] for images ", images.str(),
             ", got ", codes.defined() ? codes.str() : std::string("an undefined tensor"));
  ELBO_CHECK(is_floating(codes.dtype()), "metrics: the representation returned ", codes.str(),
             "; codes must be floating point");
  if (codes.device() != Device::cpu) codes = codes.to(Device::cpu);
  if (codes.dtype() != DType::f64) codes = codes.to(DType::f64);
  return codes.contiguous().detach();
}

CodesAndFactors sample_codes_and_factors(const data::GroundTruthDataset& dataset, const Representation& rep,
                                         int64_t num_points, int64_t batch_size, Rng& rng) {
  ELBO_CHECK(num_points >= 1 && batch_size >= 1, "sample_codes_and_factors: need num_points ≥ 1 and batch_size ≥ 1, got ",
             num_points, " and ", batch_size);
  const int64_t K = dataset.num_factors();
  CodesAndFactors out;
  out.factors = empty(Shape{num_points, K}, DType::i64);
  int64_t D = 0;
  for (int64_t start = 0; start < num_points; start += batch_size) {
    const int64_t b = std::min(batch_size, num_points - start);
    Tensor factors = dataset.sample_factors(b, rng);
    Tensor codes = encode(rep, dataset.observations(factors));
    if (start == 0) {
      D = codes.size(1);
      out.codes = empty(Shape{num_points, D}, DType::f64);
    }
    ELBO_CHECK(codes.size(1) == D, "sample_codes_and_factors: the representation returned ", codes.size(1),
               " code dimensions after ", D, " in an earlier batch");
    std::memcpy(out.codes.data<double>() + start * D, codes.data<double>(), static_cast<size_t>(b * D) * sizeof(double));
    std::memcpy(out.factors.data<int64_t>() + start * K, factors.data<int64_t>(), static_cast<size_t>(b * K) * sizeof(int64_t));
  }
  return out;
}

void check_codes_and_factors(const char* metric, Tensor& codes, Tensor& factors, int64_t min_points) {
  ELBO_CHECK(codes.defined() && codes.dtype() == DType::f64 && codes.ndim() == 2 && codes.size(1) >= 1, metric,
             ": codes must be f64 [N, D], got ", codes.defined() ? codes.str() : std::string("an undefined tensor"));
  ELBO_CHECK(factors.defined() && factors.dtype() == DType::i64 && factors.ndim() == 2 && factors.size(1) >= 1,
             metric, ": factors must be i64 [N, K], got ",
             factors.defined() ? factors.str() : std::string("an undefined tensor"));
  ELBO_CHECK(codes.size(0) == factors.size(0), metric, ": codes ", codes.str(), " and factors ", factors.str(),
             " have different numbers of rows");
  ELBO_CHECK(codes.size(0) >= min_points, metric, ": need at least ", min_points, " points, got ", codes.size(0));
  if (codes.device() != Device::cpu) codes = codes.to(Device::cpu);
  if (factors.device() != Device::cpu) factors = factors.to(Device::cpu);
  codes = codes.contiguous();
  factors = factors.contiguous();
}

}  // namespace elbo::metrics
