#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "elbo/autograd.hpp"
#include "elbo/models/noise.hpp"
#include "elbo/models/visualize.hpp"
#include "elbo/ops.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::models;

namespace {
VaeConfig small_mlp() {
  VaeConfig c{.architecture = "mlp", .latents = 3, .channels = 1, .image_size = 6};
  c.hidden = {10};
  return c;
}
}  // namespace

TEST_CASE("models: latents_by_kl puts the largest KL first and keeps ties in index order") {
  CHECK(latents_by_kl({0.1, 3.0, 0.0, 3.0, 1.2}) == std::vector<int64_t>{1, 3, 4, 0, 2});
  CHECK(latents_by_kl({}).empty());
  CHECK(linspace(-2, 2, 9) == std::vector<double>{-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2});
  CHECK(linspace(0.5, 7, 1) == std::vector<double>{0.5});
  CHECK_THROWS_AS(linspace(0, 1, 0), Error);
}

TEST_CASE("models: traversal codes change one latent per row and keep the others at the base") {
  Tensor base = from_values(Shape{3}, {0.5, -1.0, 2.0});
  Tensor codes = traversal_codes(base, {2, 0}, {-1.0, 1.0});
  CHECK(codes.shape() == Shape{4, 3});
  CHECK(codes.to_vector() == std::vector<double>{0.5, -1, -1, /**/ 0.5, -1, 1, /**/ -1, -1, 2, /**/ 1, -1, 2});
  Tensor relative = traversal_codes(reshape(base, Shape{1, 3}), {1}, {-1.0, 0.0, 1.0}, true);
  CHECK(relative.to_vector() == std::vector<double>{0.5, -2, 2, /**/ 0.5, -1, 2, /**/ 0.5, 0, 2});
  CHECK_THROWS_WITH_AS(traversal_codes(base, {3}, {0.0}), doctest::Contains("latent 3 is outside [0, 3)"), Error);
  CHECK_THROWS_WITH_AS(traversal_codes(zeros(Shape{2, 3}), {0}, {0.0}), doctest::Contains("[L] or [1, L]"), Error);
}

TEST_CASE("models: pictures are the sigmoid of the decoder's logits, at the posterior mean or a prior draw") {
  nn::Init init{.seed = 3};
  Vae vae(init, small_mlp());
  Tensor x = uniform(Shape{4, 1, 6, 6}, 9, 1);
  Tensor z = normal(Shape{5, 3}, 9, 2);
  Tensor logits, mu;
  {
    NoGradGuard no_grad;
    logits = vae.decode(z);
    mu = vae.encode(x).mu;
  }
  Tensor mean = decoder_mean(vae, z);
  CHECK(mean.shape() == Shape{5, 1, 6, 6});
  CHECK_FALSE(mean.requires_grad());
  std::vector<double> l = logits.to_vector(), m = mean.to_vector();
  for (size_t i = 0; i < l.size(); ++i) CHECK(m[i] == doctest::Approx(1.0 / (1.0 + std::exp(-l[i]))).epsilon(1e-6));
  CHECK(testing::same_bytes(reconstruct(vae, x), decoder_mean(vae, mu)));
  // Prior samples: code k is draws k·L … of the stream (seed, prior, 0), so fewer samples are a prefix.
  Tensor codes = normal(Shape{6, 3}, 17, noise_stream(NoisePurpose::prior, 0));
  Tensor six = prior_samples(vae, 6, 17);
  CHECK(testing::same_bytes(six, decoder_mean(vae, codes)));
  // (Equal up to rounding: a matrix product of 2 rows may round otherwise than one of 6.)
  std::vector<double> two = prior_samples(vae, 2, 17).to_vector(), prefix = slice(six, 0, 0, 2).to_vector();
  REQUIRE(two.size() == prefix.size());
  for (size_t i = 0; i < two.size(); ++i) CHECK(two[i] == doctest::Approx(prefix[i]).epsilon(1e-6));
  CHECK(prior_samples(vae, 2, 18).to_vector() != two);
}
