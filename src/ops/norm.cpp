// Batch normalisation, composed from differentiable ops so that autodiff derives the backward
// pass (the formulas are in include/elbo/ops/norm.hpp) and every backend runs it.
#include "elbo/ops/norm.hpp"

#include "elbo/autograd.hpp"
#include "elbo/ops/arithmetic.hpp"
#include "elbo/ops/math.hpp"
#include "elbo/ops/reduce.hpp"
#include "elbo/ops/shape.hpp"

namespace elbo {

namespace {

// A per-channel tensor [C] must match x[N, C, ...] in extent, dtype and device.
void check_channel_tensor(const Tensor& x, const Tensor& t, const char* what) {
  ELBO_CHECK(t.ndim() == 1 && t.size(0) == x.size(1), "batch_norm: ", what, " ", t.str(),
             " must be [C] with C = ", x.size(1), " for input ", x.str());
  ELBO_CHECK(t.dtype() == x.dtype() && t.device() == x.device(), "batch_norm: ", what, " ", t.str(),
             " must have the dtype and device of input ", x.str());
}

}  // namespace

// Batch normalisation (Ioffe & Szegedy 2015, Algorithm 1). Per channel c, over the batch and
// spatial axes (m values per channel):
//     training:    μ_c = mean x,   σ²_c = mean (x − μ_c)²   (biased: divides by m)
//                  running_mean ← (1 − momentum)·running_mean + momentum·μ_c
//                  running_var  ← (1 − momentum)·running_var  + momentum·σ²_c·m/(m − 1)   (unbiased)
//     evaluation:  μ_c = running_mean,   σ²_c = running_var
//     y = γ_c·(x − μ_c)/√(σ²_c + ε) + β_c
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps) {
  ELBO_CHECK(x.defined(), "batch_norm: undefined input");
  ELBO_CHECK(x.ndim() == 2 || x.ndim() == 4, "batch_norm: needs [N, C] or [N, C, H, W], got ", x.str());
  ELBO_CHECK(is_floating(x.dtype()), "batch_norm: needs an f32 or f64 input, got ", x.str());
  ELBO_CHECK(running_mean.defined() == running_var.defined(),
             "batch_norm: give both running_mean and running_var, or neither");
  ELBO_CHECK(training || running_mean.defined(), "batch_norm: evaluation mode needs running_mean and running_var");
  ELBO_CHECK(momentum >= 0 && momentum <= 1 && eps > 0, "batch_norm: needs 0 ≤ momentum ≤ 1 and eps > 0, got momentum ",
             momentum, ", eps ", eps);
  if (gamma.defined()) check_channel_tensor(x, gamma, "gamma");
  if (beta.defined()) check_channel_tensor(x, beta, "beta");
  if (running_mean.defined()) {
    check_channel_tensor(x, running_mean, "running_mean");
    check_channel_tensor(x, running_var, "running_var");
  }

  // Per-channel vectors [C] act on x through the broadcast shape [1, C] or [1, C, 1, 1].
  const int64_t C = x.size(1);
  const Shape channel_shape = x.ndim() == 2 ? Shape{1, C} : Shape{1, C, 1, 1};
  auto per_channel = [&](const Tensor& v) { return reshape(v, channel_shape); };
  // The mean of each channel over the batch and spatial axes, as [1, C] or [1, C, 1, 1].
  auto channel_mean = [&](const Tensor& t) { return x.ndim() == 2 ? mean(t, {0}, true) : mean(t, {0, 2, 3}, true); };

  // μ_c and σ²_c: the batch's statistics when training, the running ones in evaluation.
  Tensor centered, var;  // x − μ and σ²
  if (training) {
    const int64_t m = x.numel() / C;  // values per channel
    ELBO_CHECK(m > 1, "batch_norm: training needs more than one value per channel, got ", x.str());
    Tensor mu = channel_mean(x);
    centered = sub(x, mu);
    var = channel_mean(square(centered));  // biased: divides by m
    if (running_mean.defined()) {
      // running ← (1 − momentum)·running + momentum·batch, with the unbiased variance σ²·m/(m − 1).
      NoGradGuard no_grad;
      Tensor batch_mean = reshape(mu.detach(), Shape{C});
      Tensor batch_var_unbiased =
          mul(reshape(var.detach(), Shape{C}), static_cast<double>(m) / static_cast<double>(m - 1));
      mul_(running_mean, 1.0 - momentum);
      add_(running_mean, batch_mean, momentum);
      mul_(running_var, 1.0 - momentum);
      add_(running_var, batch_var_unbiased, momentum);
    }
  } else {
    centered = sub(x, per_channel(running_mean.detach()));
    var = per_channel(running_var.detach());
  }

  // y = γ·(x − μ)/√(σ² + ε) + β, with the per-channel factors gathered first:
  //     scale = γ·(σ² + ε)^(−½)   ([1, C, ...], cheap),   y = (x − μ)·scale + β
  Tensor scale = pow(add(var, eps), -0.5);
  if (gamma.defined()) scale = mul(scale, per_channel(gamma));
  Tensor y = mul(centered, scale);
  if (beta.defined()) y = add(y, per_channel(beta));
  return y;
}

}  // namespace elbo
