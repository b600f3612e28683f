// L-BFGS: limited-memory quasi-Newton minimisation of a smooth function (Nocedal, "Updating
// quasi-Newton matrices with limited storage", Math. Comp. 1980; Nocedal & Wright, "Numerical
// Optimization", 2nd ed., Algorithm 7.4 (two-loop recursion) and 7.5).
//
//   d_t = −H_t ∇f(x_t)           H_t from the last m pairs s_i = x_{i+1} − x_i, y_i = ∇f_{i+1} − ∇f_i,
//                                 started from H⁰ = (sᵀy / yᵀy)·I (N&W eq. 7.20)
//   x_{t+1} = x_t + α d_t         α from backtracking: the first of 1, ½, ¼, … with the Armijo
//                                 condition f(x + αd) ≤ f(x) + 10⁻⁴·α·∇fᵀd
//
// Near the minimum f stops changing in double precision before ∇f is small; there a step is also
// accepted when f stays within its rounding error (4ε|f|) and ‖∇f‖_∞ shrinks. A pair with
// sᵀy ≤ 10⁻¹⁰·yᵀy is not stored (keeps H positive definite). Converged when ‖∇f‖_∞ ≤
// gradient_tolerance; stops unconverged when no step of 40 halvings is accepted or after
// max_iterations. Sequential and deterministic.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace elbo::metrics {

// Computes f(x) and writes ∇f(x) to grad (both of length n).
using ObjectiveFn = std::function<double(const double* x, double* grad)>;

struct LbfgsOptions {
  int max_iterations = 1000;
  double gradient_tolerance = 1e-8;  // on ‖∇f‖_∞
  int history = 10;                  // m, pairs kept
};

struct LbfgsResult {
  double value = 0.0;          // f at the returned x
  double gradient_norm = 0.0;  // ‖∇f‖_∞ there
  int iterations = 0;
  int evaluations = 0;
  bool converged = false;  // ‖∇f‖_∞ ≤ gradient_tolerance
};

// Minimises f from the starting point in x (overwritten with the minimiser).
LbfgsResult minimize_lbfgs(const ObjectiveFn& f, std::vector<double>& x, const LbfgsOptions& options = {});

}  // namespace elbo::metrics
