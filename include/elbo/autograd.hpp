// Reverse-mode automatic differentiation on a define-by-run tape.
//
// Every differentiable op that sees an input with requires_grad records a Node: the inputs,
// what the backward pass needs (saved tensors, scalars, integers) and a plain function
// `backward(node, grad_output)` that computes d(loss)/d(input) for each input and hands it
// to `accumulate_grad`. The nodes form a DAG through the inputs' own `grad_fn`s.
//
// `loss.backward()` sorts the nodes reachable from `loss` topologically and calls their
// backward functions from the output towards the leaves, under a no-grad scope, summing the
// gradients each tensor receives. Leaves (parameters) accumulate into `tensor.grad()` across
// calls until `zero_grad()`. Each node's saved tensors are released as soon as its backward has
// run: the graph is freed after one backward pass (a second backward through it is an error).
//
// Chain rule for one node y = f(x1..xk) inside a scalar loss L:
//     dL/dxi += (dL/dy) · (dy/dxi)          (a vector-Jacobian product, never the Jacobian)
#pragma once
#include <cstdint>

#include "elbo/tensor.hpp"

namespace elbo {

constexpr int kMaxNodeInputs = 4;
constexpr int kMaxNodeSaved = 4;

struct Node;
using BackwardFn = void (*)(Node& node, const Tensor& grad_output);

struct Node {
  int64_t refcount = 0;
  const char* name = "";        // the op, for error messages
  BackwardFn backward = nullptr;
  Tensor inputs[kMaxNodeInputs];
  int num_inputs = 0;
  Tensor saved[kMaxNodeSaved];  // tensors the backward pass needs
  double scalars[4] = {};       // op parameters
  int64_t ints[16] = {};
  Shape shape;                  // op parameter (e.g. a target shape)
  Shape out_shape;              // shape of the output (to check grad_output)
  DType out_dtype = DType::f32;

  // Set during backward().
  Tensor grad_output;
  uint64_t visit_mark = 0;
  bool released = false;
};

// True unless inside a NoGradGuard.
bool grad_enabled();

// While alive, ops record nothing (inference, the backward pass itself, optimiser updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when an op with these inputs must record a node.
bool needs_grad(const Tensor& a);
bool needs_grad(const Tensor& a, const Tensor& b);
bool needs_grad(const Tensor& a, const Tensor& b, const Tensor& c);

// Records a node producing `output` from `inputs`; returns it so the op can fill in saved
// tensors and parameters. Sets output.requires_grad. Call only when needs_grad(...) is true.
Node& record(const char* name, BackwardFn backward, Tensor& output, std::initializer_list<Tensor> inputs);

// Adds `grad` (d loss / d input) to input `index` of `node`: into the producing node's
// grad_output, or into the leaf's grad(). Checks that the shape matches the input's.
void accumulate_grad(Node& node, int index, const Tensor& grad);
// Adds `grad` to a window of input `index`'s gradient, g_input[window] += grad, where
// window(node, t) is that window's view of a tensor t of the input's shape (a slice, say).
// When the gradient gathered so far is a buffer nobody else holds (typically made by another
// window of the same input: the pieces of a split) the sum is made in place; otherwise a zero
// tensor of the input's shape receives grad in the window and is accumulated. So the K pieces
// of one tensor cost O(its size) in the backward pass, not K full-size tensors.
void accumulate_grad_window(Node& node, int index, const Tensor& grad, Tensor (*window)(const Node&, const Tensor&));

// Runs the backward pass from a one-element tensor (see the header comment).
void backward(const Tensor& root);

namespace detail {
void retain(Node* n);
void release(Node* n);
long long node_pool_created();
}  // namespace detail

}  // namespace elbo
