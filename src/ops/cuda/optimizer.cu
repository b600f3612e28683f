// Optimiser updates: one pass over a parameter, its gradient and its state, in place, one thread
// per element. The formulas, their evaluation order and the scalars (computed in double on the
// host and rounded to the parameter's type once, before the loop) are those of the CPU kernel,
// src/ops/cpu/optimizer.cpp; see include/elbo/nn/optim.hpp.
#include <cmath>

#include "ops/cuda/cuda_kernels.cuh"

namespace elbo::cuda {

namespace {

__device__ inline float sqrt_of(float x) { return ::sqrtf(x); }
__device__ inline double sqrt_of(double x) { return ::sqrt(x); }
__device__ inline float abs_of(float x) { return ::fabsf(x); }
__device__ inline double abs_of(double x) { return ::fabs(x); }

// SGD with momentum μ (beta1), dampening τ, L2 weight decay λ:
//     d = g + λ·p
//     b = d  (t = 1),   b = μ·b + (1 − τ)·d  (t > 1)          [when μ ≠ 0; b is the buffer m]
//     d = d + μ·b  (Nesterov)   or   d = b                      [when μ ≠ 0]
//     p ← p − lr·d
// As coefficients fixed for the whole launch:
//     b = keep_b·b + keep_d·d      (0, 1) at t = 1, else (μ, 1 − τ)
//     p ← p − lr·(with_d·d + with_b·b)      (1, μ) for Nesterov, else (0, 1)
template <class T>
struct SgdScalars {
  T lr, decay, keep_b, keep_d, with_d, with_b;
};

template <class T>
__global__ void sgd_kernel(SgdScalars<T> c, int64_t n, T* p, const T* g, T* b) {
  for (int64_t i = first_index(); i < n; i += grid_step()) {
    if (b == nullptr) {  // no momentum
      p[i] -= c.lr * (g[i] + c.decay * p[i]);
      continue;
    }
    const T d = g[i] + c.decay * p[i];
    const T buf = c.keep_b * b[i] + c.keep_d * d;
    b[i] = buf;
    p[i] -= c.lr * (c.with_d * d + c.with_b * buf);
  }
}

// Adam and AdamW:
//     p ← p·(1 − lr·λ)                                   [AdamW: shrink; Adam: shrink = 1]
//     g ← g + λ·p                                         [Adam: decay = λ; AdamW: decay = 0]
//     m ← m + (1 − β1)·(g − m)
//     v ← β2·v + (1 − β2)·g²
//     p ← p − (lr/(1 − β1ᵗ)) · m / (√v/√(1 − β2ᵗ) + ε)
template <class T>
struct AdamScalars {
  T step_size, sqrt_bc2, shrink, decay, a1, b2, a2, eps;
};

template <class T>
__global__ void adam_kernel(AdamScalars<T> c, int64_t n, T* p, const T* g, T* m, T* v) {
  for (int64_t i = first_index(); i < n; i += grid_step()) {
    const T pi = p[i] * c.shrink;
    const T gi = g[i] + c.decay * pi;
    const T mi = m[i] + c.a1 * (gi - m[i]);
    const T vi = c.b2 * v[i] + c.a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - c.step_size * (mi / (sqrt_of(vi) / c.sqrt_bc2 + c.eps));
  }
}

// Adamax (u is the state v):
//     g ← g + λ·p
//     m ← m + (1 − β1)·(g − m)
//     u ← max(β2·u, |g| + ε)
//     p ← p − (lr/(1 − β1ᵗ)) · m/u
template <class T>
struct AdamaxScalars {
  T step_size, decay, a1, b2, eps;
};

template <class T>
__global__ void adamax_kernel(AdamaxScalars<T> c, int64_t n, T* p, const T* g, T* m, T* u) {
  for (int64_t i = first_index(); i < n; i += grid_step()) {
    const T gi = g[i] + c.decay * p[i];
    const T mi = m[i] + c.a1 * (gi - m[i]);
    const T scaled = c.b2 * u[i], floor = abs_of(gi) + c.eps;
    const T ui = scaled < floor ? floor : scaled;  // std::max(scaled, floor)
    m[i] = mi;
    u[i] = ui;
    p[i] -= c.step_size * (mi / ui);
  }
}

void check_state(const char* what, const Tensor& state, const Tensor& param) {
  ELBO_CHECK(state.defined() && state.is_contiguous() && state.shape() == param.shape() &&
                 state.dtype() == param.dtype() && state.device() == Device::cuda,
             "optimizer_update: state ", what, " ", state.defined() ? state.str() : "undefined",
             " must be contiguous and match the parameter ", param.str());
}

template <class T>
void update(const OptimizerStep& s, int64_t n, T* p, const T* g, T* m, T* v) {
  const unsigned blocks = blocks_for(n);
  switch (s.kind) {
    case OptimizerStep::sgd: {
      const bool first = s.step == 1;
      const SgdScalars<T> c{T(s.lr),
                            T(s.weight_decay),
                            first ? T(0) : T(s.beta1),
                            first ? T(1) : T(1 - s.dampening),
                            s.nesterov ? T(1) : T(0),
                            s.nesterov ? T(s.beta1) : T(1)};
      sgd_kernel<T><<<blocks, kThreads, 0, stream()>>>(c, n, p, g, m);
      ELBO_CUDA_LAUNCHED("sgd_kernel");
      return;
    }
    case OptimizerStep::adam:
    case OptimizerStep::adamw: {
      const bool decoupled = s.kind == OptimizerStep::adamw;
      const double t = static_cast<double>(s.step);
      const AdamScalars<T> c{T(s.lr / (1 - std::pow(s.beta1, t))),
                             T(std::sqrt(1 - std::pow(s.beta2, t))),
                             T(decoupled ? 1 - s.lr * s.weight_decay : 1),
                             T(decoupled ? 0 : s.weight_decay),
                             T(1 - s.beta1),
                             T(s.beta2),
                             T(1 - s.beta2),
                             T(s.eps)};
      adam_kernel<T><<<blocks, kThreads, 0, stream()>>>(c, n, p, g, m, v);
      ELBO_CUDA_LAUNCHED("adam_kernel");
      return;
    }
    case OptimizerStep::adamax: {
      const AdamaxScalars<T> c{T(s.lr / (1 - std::pow(s.beta1, static_cast<double>(s.step)))), T(s.weight_decay),
                               T(1 - s.beta1), T(s.beta2), T(s.eps)};
      adamax_kernel<T><<<blocks, kThreads, 0, stream()>>>(c, n, p, g, m, v);
      ELBO_CUDA_LAUNCHED("adamax_kernel");
      return;
    }
  }
}

}  // namespace

void optimizer_update(const OptimizerStep& s, const Tensor& param, const Tensor& grad, const Tensor& m,
                      const Tensor& v) {
  check_on_device("optimizer_update", param);
  check_on_device("optimizer_update", grad);
  ELBO_CHECK(param.is_contiguous() && grad.is_contiguous() && grad.shape() == param.shape() &&
                 grad.dtype() == param.dtype(),
             "optimizer_update: parameter ", param.str(), " and gradient ", grad.str(),
             " must be contiguous with one shape and dtype");
  ELBO_CHECK(s.step >= 1, "optimizer_update: step must be ≥ 1 (1-based), got ", s.step);
  const bool uses_m = s.kind != OptimizerStep::sgd || s.beta1 != 0;
  if (uses_m) check_state("m", m, param);
  if (s.kind != OptimizerStep::sgd) check_state("v", v, param);
  const int64_t n = param.numel();
  if (n == 0) return;
  dispatch_floating(param.dtype(), "optimizer_update", [&](auto zero) {
    using T = decltype(zero);
    T* mp = uses_m ? static_cast<T*>(m.raw_data()) : nullptr;
    T* vp = s.kind != OptimizerStep::sgd ? static_cast<T*>(v.raw_data()) : nullptr;
    update<T>(s, n, static_cast<T*>(param.raw_data()), static_cast<const T*>(grad.raw_data()), mp, vp);
  });
}

}  // namespace elbo::cuda
