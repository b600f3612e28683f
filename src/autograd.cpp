#include "elbo/autograd.hpp"

#include <utility>
#include <vector>

#include "elbo/ops/arithmetic.hpp"
#include "pool.hpp"

namespace elbo {

namespace {
bool g_grad_enabled = true;

detail::ObjectPool<Node>& node_pool() {
  static auto* p = new detail::ObjectPool<Node>();
  return *p;
}
}  // namespace

namespace detail {
void retain(Node* n) { ++n->refcount; }
void release(Node* n) {
  if (n && --n->refcount == 0) node_pool().give_back(n);
}
long long node_pool_created() { return node_pool().created; }
}  // namespace detail

bool grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

bool needs_grad(const Tensor& a) { return g_grad_enabled && a.defined() && a.requires_grad(); }
bool needs_grad(const Tensor& a, const Tensor& b) { return needs_grad(a) || needs_grad(b); }
bool needs_grad(const Tensor& a, const Tensor& b, const Tensor& c) {
  return needs_grad(a) || needs_grad(b) || needs_grad(c);
}

Node& record(const char* name, BackwardFn backward, Tensor& output, std::initializer_list<Tensor> inputs) {
  TensorImpl* out = output.impl();
  ELBO_CHECK(out && !out->grad_fn, name, ": output already has a history");
  ELBO_CHECK(static_cast<int>(inputs.size()) <= kMaxNodeInputs, name, ": too many inputs for one node");
  Node* n = node_pool().acquire();
  n->refcount = 1;  // the output's reference
  n->name = name;
  n->backward = backward;
  for (const Tensor& t : inputs) n->inputs[n->num_inputs++] = t;
  n->out_shape = output.shape();
  n->out_dtype = output.dtype();
  out->grad_fn = n;
  out->requires_grad = true;
  return *n;
}

void accumulate_grad(Node& node, int index, const Tensor& grad) {
  const Tensor& input = node.inputs[index];
  if (!input.defined() || !input.requires_grad() || !grad.defined()) return;
  ELBO_CHECK(grad.shape() == input.shape() && grad.dtype() == input.dtype() && grad.device() == input.device(),
             node.name, " backward: gradient ", grad.str(), " for input ", index, " does not match the input ",
             input.str());
  if (Node* producer = input.grad_fn()) {
    Tensor& acc = producer->grad_output;
    acc = acc.defined() ? add(acc, grad) : grad;
  } else {
    // Leaves keep a gradient nobody else holds, since optimisers and clipping modify it in place.
    // A gradient referenced only by the caller's handle (a fresh result) is taken as it is;
    // one that is shared (the same g sent to both inputs of an add, say) is copied.
    Tensor acc = input.grad();
    bool unshared = grad.impl()->refcount == 1 && grad.storage()->refcount == 1 && grad.is_contiguous();
    input.set_grad(acc.defined() ? add(acc, grad) : unshared ? grad : grad.clone());
  }
}

void accumulate_grad_window(Node& node, int index, const Tensor& grad,
                            Tensor (*window)(const Node&, const Tensor&)) {
  const Tensor& input = node.inputs[index];
  if (!input.defined() || !input.requires_grad() || !grad.defined()) return;
  if (Node* producer = input.grad_fn()) {
    Tensor& acc = producer->grad_output;
    const bool exclusive = acc.defined() && acc.impl()->refcount == 1 && acc.storage()->refcount == 1 &&
                           acc.is_contiguous() && acc.shape() == input.shape() && acc.dtype() == input.dtype();
    if (exclusive) {
      add_(window(node, acc), grad);
      return;
    }
  }
  Tensor full = zeros(input.shape(), input.dtype(), input.device());
  copy_(window(node, full), grad);
  accumulate_grad(node, index, full);
}

// Post-order depth-first search from `top`: every node appears after all the nodes that
// produced its inputs, so walking the list backwards visits consumers before producers.
static void topological_order(Node* top, std::vector<Node*>& order) {
  static uint64_t mark = 0;
  static std::vector<std::pair<Node*, int>> stack;
  ++mark;
  order.clear();
  stack.clear();
  top->visit_mark = mark;
  stack.push_back({top, 0});
  while (!stack.empty()) {
    auto& [n, next] = stack.back();
    if (next < n->num_inputs) {
      const Tensor& in = n->inputs[next++];
      Node* c = in.defined() ? in.grad_fn() : nullptr;
      if (c && c->visit_mark != mark) {
        ELBO_CHECK(!c->released, "backward: the graph through '", c->name,
                   "' was freed by an earlier backward(); recompute the forward pass");
        c->visit_mark = mark;
        stack.push_back({c, 0});
      }
    } else {
      order.push_back(n);
      stack.pop_back();
    }
  }
}

void backward(const Tensor& root) {
  ELBO_CHECK(root.defined(), "backward: the tensor is undefined");
  ELBO_CHECK(root.numel() == 1, "backward: needs a one-element (scalar) tensor, got ", root.str(),
             "; reduce it first, e.g. with sum() or mean()");
  ELBO_CHECK(root.requires_grad(), "backward: ", root.str(),
             " does not require grad (no parameter with requires_grad contributed to it)");
  NoGradGuard no_grad;
  Tensor seed = ones(root.shape(), root.dtype(), root.device());
  Node* top = root.grad_fn();
  if (!top) {  // the root is itself a leaf
    Tensor acc = root.grad();
    root.set_grad(acc.defined() ? add(acc, seed) : seed);
    return;
  }
  ELBO_CHECK(!top->released, "backward: the graph through '", top->name,
             "' was freed by an earlier backward(); recompute the forward pass");
  static std::vector<Node*> order;
  topological_order(top, order);
  for (Node* n : order) detail::retain(n);  // keep every node alive until the pass ends
  top->grad_output = seed;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* n = *it;
    if (n->grad_output.defined()) {
      ELBO_CHECK(n->grad_output.shape() == n->out_shape, n->name, " backward: gradient ", n->grad_output.str(),
                 " does not match the output shape ", n->out_shape.str());
      n->backward(*n, n->grad_output);
    }
    // Free the graph as we go: the saved tensors are the bulk of the memory.
    for (Tensor& t : n->inputs) t = Tensor();
    for (Tensor& t : n->saved) t = Tensor();
    n->grad_output = Tensor();
    n->released = true;
  }
  for (Node* n : order) detail::release(n);
}

void Tensor::backward() const { elbo::backward(*this); }

}  // namespace elbo
