// Whole training runs are bit-identical across runs and across thread counts.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "elbo/context.hpp"
#include "elbo/data/toy_shapes.hpp"
#include "elbo/models/vae.hpp"
#include "elbo/ops.hpp"

using namespace elbo;

namespace {
// Trains the convolutional VAE for `steps` Adam steps and returns every parameter's bytes.
std::vector<unsigned char> train_and_dump(int threads, int steps) {
  set_num_threads(threads);
  REQUIRE(num_threads() == threads);  // the comparison means nothing unless the count took effect
  nn::Init init{.seed = 11};
  models::Vae model(init, models::Architecture::conv64, 6);
  nn::Optimizer opt = nn::adam(model.parameters(), 1e-3);
  for (int step = 0; step < steps; ++step) {
    Tensor x = toy_shapes(8, 64, 5, static_cast<uint64_t>(step) * 8);
    models::train_step(model, opt, x, 4.0, 3, static_cast<uint64_t>(step));
  }
  std::vector<unsigned char> bytes;
  for (const Tensor& p : model.parameters()) {
    const auto* b = static_cast<const unsigned char*>(p.raw_data());
    bytes.insert(bytes.end(), b, b + p.numel() * static_cast<int64_t>(dtype_size(p.dtype())));
  }
  return bytes;
}
}  // namespace

TEST_CASE("determinism: a conv VAE trained 20 steps gives identical bytes at 1 and 2 threads and in two runs") {
  int before = num_threads();
  std::vector<unsigned char> one = train_and_dump(1, 20);
  std::vector<unsigned char> two = train_and_dump(2, 20);
  std::vector<unsigned char> again = train_and_dump(2, 20);
  std::vector<unsigned char> fewer = train_and_dump(1, 19);
  set_num_threads(before);
  REQUIRE(one.size() == two.size());
  CHECK(std::memcmp(one.data(), two.data(), one.size()) == 0);
  CHECK(std::memcmp(two.data(), again.data(), two.size()) == 0);
  // The comparison can fail: one step fewer changes the parameters.
  CHECK(std::memcmp(one.data(), fewer.data(), one.size()) != 0);
}

TEST_CASE("determinism: OpenBLAS gives identical bits at 1 and 2 threads for the benchmark Linear shapes") {
  // (rows, in, out) of the Linear layers of both benchmark networks at their batch sizes, and a
  // product computed as one block outside a parallel region (an MLP's first layer on 64x64 images).
  const int64_t shapes[][3] = {{128, 784, 512}, {128, 512, 256}, {128, 512, 784}, {64, 1024, 256}, {64, 256, 1024},
                               {16, 4096, 64}};
  int before = num_threads();
  for (const auto& s : shapes) {
    Tensor x = normal(Shape{s[0], s[1]}, 1, 1), w = normal(Shape{s[2], s[1]}, 1, 2), b = normal(Shape{s[2]}, 1, 3);
    std::vector<std::vector<double>> results[2];
    for (int threads = 1; threads <= 2; ++threads) {
      set_num_threads(threads);
      REQUIRE(num_threads() == threads);
      Tensor xr = x.detach().requires_grad_(), wr = w.detach().requires_grad_(), br = b.detach().requires_grad_();
      Tensor y = linear(xr, wr, br);
      sum(mul(y, y)).backward();
      results[threads - 1] = {y.to_vector(), xr.grad().to_vector(), wr.grad().to_vector(), br.grad().to_vector()};
    }
    for (size_t k = 0; k < 4; ++k) CHECK(results[0][k] == results[1][k]);
  }
  set_num_threads(before);
}
