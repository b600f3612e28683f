// Elementwise arithmetic with numpy broadcasting, differentiable.
//
// Backward of a broadcast op sums the gradient over the broadcast axes (sum_to, reduce.hpp):
//   c = a + b:  da = sum_to(g, a),           db = sum_to(g, b)
//   c = a − b:  da = sum_to(g, a),           db = −sum_to(g, b)
//   c = a · b:  da = sum_to(g·b, a),         db = sum_to(g·a, b)
//   c = a / b:  da = sum_to(g/b, a),         db = −sum_to(g·a/b², b)
//   c = a^b:    da = sum_to(g·b·a^(b−1), a), db = sum_to(g·c·ln a, b)
//   max/min:    the gradient goes to the operand that was selected (to a on ties)
#pragma once
#include "elbo/tensor.hpp"

namespace elbo {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

// With a scalar (no broadcasting, one pass).
Tensor add(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);
Tensor neg(const Tensor& a);

// Comparisons give 0/1 in a's dtype and are not differentiable.
Tensor equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double b) { return add(a, b); }
inline Tensor operator+(double a, const Tensor& b) { return add(b, a); }
inline Tensor operator-(const Tensor& a, double b) { return add(a, -b); }
inline Tensor operator-(double a, const Tensor& b) { return add(neg(b), a); }
inline Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
inline Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
inline Tensor operator/(const Tensor& a, double b) { return mul(a, 1.0 / b); }

// In place, without history: a ← a + alpha·b (b broadcast to a). For optimisers and buffers.
void add_(const Tensor& a, const Tensor& b, double alpha = 1.0);
void mul_(const Tensor& a, double b);
void fill_(const Tensor& a, double value);
void copy_(const Tensor& dst, const Tensor& src);  // src broadcast to dst; dtypes may differ

}  // namespace elbo
