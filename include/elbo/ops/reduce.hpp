// Reductions over axes, differentiable. Every reduction runs in a fixed order (backend.hpp), so
// the result does not depend on the number of threads.
//   sum:        y = Σ_axes x                      dx = broadcast(g)
//   mean:       y = (1/n) Σ_axes x                dx = broadcast(g)/n
//   max:        y = max_axes x                    dx = broadcast(g)·[x = y] / #{x = y}  (ties share)
//   logsumexp:  y = m + ln Σ exp(x − m), m = max  dx = broadcast(g)·exp(x − y)
#pragma once
#include <initializer_list>
#include <vector>

#include "elbo/tensor.hpp"

namespace elbo {

// An empty axis list reduces over every axis. keepdim keeps reduced axes with extent 1.
Tensor sum(const Tensor& x, std::initializer_list<int> axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, std::initializer_list<int> axes = {}, bool keepdim = false);
Tensor max(const Tensor& x, std::initializer_list<int> axes = {}, bool keepdim = false);
Tensor logsumexp(const Tensor& x, std::initializer_list<int> axes = {}, bool keepdim = false);

// The same, with the axes as a vector (for axes computed at run time).
Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdim);
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdim);
Tensor max(const Tensor& x, const std::vector<int>& axes, bool keepdim);
Tensor logsumexp(const Tensor& x, const std::vector<int>& axes, bool keepdim);

// Sums x down to `shape`, the inverse of broadcasting `shape` up to x's shape
// (the backward of every broadcasting op). Returns x itself when the shapes are equal.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace elbo
