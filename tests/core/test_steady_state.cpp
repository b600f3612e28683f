// A training step in steady state makes no heap allocation: tensor storage comes from the caching
// allocator, and tensors, nodes and shapes are recycled. The test counts every C++ allocation
// (a replaced global operator new) and every block the allocator takes from the system.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "elbo/context.hpp"
#include "elbo/ops.hpp"

namespace {
std::atomic<long> g_news{0};
}

void* operator new(std::size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace elbo;

TEST_CASE("steady state: a VAE training step allocates nothing") {
  // A small MLP VAE written with ops alone: 32 -> 16 -> (mu, logvar) of 4 -> 16 -> 32.
  const int64_t batch = 8, d = 32, h = 16, z = 4;
  Tensor w1 = mul(normal(Shape{h, d}, 1, 1), 0.2).requires_grad_();
  Tensor b1 = zeros(Shape{h}).requires_grad_();
  Tensor w2 = mul(normal(Shape{2 * z, h}, 1, 2), 0.2).requires_grad_();
  Tensor w3 = mul(normal(Shape{h, z}, 1, 3), 0.2).requires_grad_();
  Tensor w4 = mul(normal(Shape{d, h}, 1, 4), 0.2).requires_grad_();
  Tensor x = uniform(Shape{batch, d}, 1, 5);
  Tensor* params[] = {&w1, &b1, &w2, &w3, &w4};

  auto step = [&](uint64_t k) {
    Tensor hidden = relu(linear(x, w1, b1));
    Tensor stats = linear(hidden, w2, Tensor());
    Tensor mu = slice(stats, 1, 0, z), logvar = slice(stats, 1, z, 2 * z);
    Tensor sample = reparameterize(mu, logvar, 7, 0, k * batch * z);
    Tensor logits = linear(relu(linear(sample, w3, Tensor())), w4, Tensor());
    // BCE with logits, max(l,0) − l·x + log1p(exp(−|l|)), and the KL to N(0, I).
    Tensor bce = add(sub(relu(logits), mul(logits, x)), log1p(exp(neg(abs(logits)))));
    Tensor kl = mul(sub(add(square(mu), exp(logvar)), add(logvar, 1.0)), 0.5);
    Tensor loss = add(mean(sum(bce, {1})), mean(sum(kl, {1})));
    loss.backward();
    NoGradGuard no_grad;
    for (Tensor* p : params) {
      add_(*p, p->grad(), -0.01);
      p->zero_grad();
    }
    return loss.item();
  };

  double first = step(0);
  for (uint64_t k = 1; k < 5; ++k) step(k);  // reach the steady state
  long news_before = g_news.load();
  int64_t system_before = cpu_allocator().stats().system_allocations;
  PoolStats pools_before = pool_stats();
  double last = 0;
  for (uint64_t k = 5; k < 8; ++k) last = step(k);
  CHECK(g_news.load() - news_before == 0);
  CHECK(cpu_allocator().stats().system_allocations - system_before == 0);
  CHECK(pool_stats().nodes_created == pools_before.nodes_created);
  CHECK(pool_stats().tensor_impls_created == pools_before.tensor_impls_created);
  CHECK(last < first);  // and it learns
}
