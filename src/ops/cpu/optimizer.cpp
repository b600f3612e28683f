// Optimiser updates: one pass over a parameter, its gradient and its state, in place.
// Each element is independent, so the loops vectorise and split across threads freely (each
// thread updates a range of elements with the functions below); the result does not depend on
// the thread count. The scalars of a step are rounded to the
// parameter's type once, before the loop (as PyTorch does). See include/elbo/nn/optim.hpp.
#include <algorithm>
#include <cmath>

#include "ops/cpu/cpu_kernels.hpp"
#include "ops/cpu/parallel.hpp"

namespace elbo::cpu {

namespace {

// SGD with momentum μ (beta1), dampening τ, L2 weight decay λ:
//     d = g + λ·p
//     b = d  (t = 1),   b = μ·b + (1 − τ)·d  (t > 1)          [when μ ≠ 0; b is the buffer m]
//     d = d + μ·b  (Nesterov)   or   d = b                      [when μ ≠ 0]
//     p ← p − lr·d
template <class T>
void sgd(const OptimizerStep& s, T* __restrict p, const T* __restrict g, T* __restrict b, int64_t n) {
  const T lr = T(s.lr), decay = T(s.weight_decay), mu = T(s.beta1);
  if (b == nullptr) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) p[i] -= lr * (g[i] + decay * p[i]);
    return;
  }
  // The cases as coefficients fixed for the whole loop (a branch-free body vectorises better):
  //     b = keep_b·b + keep_d·d      (0, 1) at t = 1, else (μ, 1 − τ)
  //     p ← p − lr·(with_d·d + with_b·b)      (1, μ) for Nesterov, else (0, 1)
  const bool first = s.step == 1;
  const T keep_b = first ? T(0) : mu, keep_d = first ? T(1) : T(1 - s.dampening);
  const T with_d = s.nesterov ? T(1) : T(0), with_b = s.nesterov ? mu : T(1);
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    T d = g[i] + decay * p[i];
    T buf = keep_b * b[i] + keep_d * d;
    b[i] = buf;
    p[i] -= lr * (with_d * d + with_b * buf);
  }
}

// Adam and AdamW (decoupled = true):
//     p ← p·(1 − lr·λ)                                   [AdamW]
//     g ← g + λ·p                                         [Adam]
//     m ← m + (1 − β1)·(g − m)         (= β1·m + (1 − β1)·g, PyTorch's lerp)
//     v ← β2·v + (1 − β2)·g²
//     p ← p − (lr/(1 − β1ᵗ)) · m / (√v/√(1 − β2ᵗ) + ε)
template <class T>
void adam(const OptimizerStep& s, bool decoupled, T* __restrict p, const T* __restrict g, T* __restrict m,
          T* __restrict v, int64_t n) {
  const double t = static_cast<double>(s.step);
  const T step_size = T(s.lr / (1 - std::pow(s.beta1, t)));
  const T sqrt_bc2 = T(std::sqrt(1 - std::pow(s.beta2, t)));
  const T shrink = T(decoupled ? 1 - s.lr * s.weight_decay : 1);
  const T decay = T(decoupled ? 0 : s.weight_decay);
  const T a1 = T(1 - s.beta1), b2 = T(s.beta2), a2 = T(1 - s.beta2), eps = T(s.eps);
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    T pi = p[i] * shrink;
    T gi = g[i] + decay * pi;
    T mi = m[i] + a1 * (gi - m[i]);
    T vi = b2 * v[i] + a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - step_size * (mi / (std::sqrt(vi) / sqrt_bc2 + eps));
  }
}

// Adamax (u is the state v):
//     g ← g + λ·p
//     m ← m + (1 − β1)·(g − m)
//     u ← max(β2·u, |g| + ε)
//     p ← p − (lr/(1 − β1ᵗ)) · m/u
template <class T>
void adamax(const OptimizerStep& s, T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict u,
            int64_t n) {
  const T step_size = T(s.lr / (1 - std::pow(s.beta1, static_cast<double>(s.step))));
  const T decay = T(s.weight_decay), a1 = T(1 - s.beta1), b2 = T(s.beta2), eps = T(s.eps);
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    T gi = g[i] + decay * p[i];
    T mi = m[i] + a1 * (gi - m[i]);
    T ui = std::max(b2 * u[i], std::abs(gi) + eps);
    m[i] = mi;
    u[i] = ui;
    p[i] -= step_size * (mi / ui);
  }
}

void check_state(const char* what, const Tensor& state, const Tensor& param) {
  ELBO_CHECK(state.defined() && state.is_contiguous() && state.shape() == param.shape() &&
                 state.dtype() == param.dtype(),
             "optimizer_update: state ", what, " ", state.defined() ? state.str() : "undefined",
             " must be contiguous and match the parameter ", param.str());
}

}  // namespace

void optimizer_update(const OptimizerStep& s, const Tensor& param, const Tensor& grad, const Tensor& m,
                      const Tensor& v) {
  ELBO_CHECK(param.is_contiguous() && grad.is_contiguous() && grad.shape() == param.shape() &&
                 grad.dtype() == param.dtype(),
             "optimizer_update: parameter ", param.str(), " and gradient ", grad.str(),
             " must be contiguous with one shape and dtype");
  ELBO_CHECK(s.step >= 1, "optimizer_update: step must be ≥ 1 (1-based), got ", s.step);
  bool uses_m = s.kind != OptimizerStep::sgd || s.beta1 != 0;
  if (uses_m) check_state("m", m, param);
  if (s.kind != OptimizerStep::sgd) check_state("v", v, param);
  int64_t n = param.numel();
  dispatch_floating(param.dtype(), "optimizer_update", [&](auto zero) {
    using T = decltype(zero);
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* mp = uses_m ? m.data<T>() : nullptr;
    T* vp = s.kind != OptimizerStep::sgd ? v.data<T>() : nullptr;
    parallel_for(n, n > kParallelGrain, [&](int64_t first, int64_t last, int) {
      const int64_t count = last - first;
      T* ms = mp ? mp + first : nullptr;
      switch (s.kind) {
        case OptimizerStep::sgd: sgd<T>(s, p + first, g + first, ms, count); break;
        case OptimizerStep::adam: adam<T>(s, false, p + first, g + first, ms, vp + first, count); break;
        case OptimizerStep::adamw: adam<T>(s, true, p + first, g + first, ms, vp + first, count); break;
        case OptimizerStep::adamax: adamax<T>(s, p + first, g + first, ms, vp + first, count); break;
      }
    });
  });
}

}  // namespace elbo::cpu
