// Whole training runs are bit-identical across runs and across thread counts.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "elbo/context.hpp"
#include "elbo/data/toy_shapes.hpp"
#include "elbo/models/vae.hpp"

using namespace elbo;

namespace {
// Trains the convolutional VAE for `steps` Adam steps and returns every parameter's bytes.
std::vector<unsigned char> train_and_dump(int threads, int steps) {
  set_num_threads(threads);
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
