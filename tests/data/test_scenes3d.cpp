// Generated 3D scenes: the factor grid and index order of 3D Shapes, and what each factor may
// change in the rendered image.
#include <doctest/doctest.h>

#include <vector>

#include "elbo/data/scenes3d.hpp"
#include "gradcheck.hpp"

using namespace elbo;
using namespace elbo::data;

namespace {

constexpr int64_t kN = 64, kPlane = kN * kN;

struct Rendered {
  std::vector<float> rgb = std::vector<float>(3 * kPlane);
  std::vector<Surface> surface = std::vector<Surface>(kPlane);
};

Rendered render(const Scenes3d& scenes, const SceneFactors& f) {
  Rendered r;
  scenes.render(f, r.rgb.data(), r.surface.data());
  return r;
}

bool pixel_differs(const Rendered& a, const Rendered& b, int64_t p) {
  return a.rgb[p] != b.rgb[p] || a.rgb[kPlane + p] != b.rgb[kPlane + p] ||
         a.rgb[2 * kPlane + p] != b.rgb[2 * kPlane + p];
}

int64_t count(const Rendered& r, Surface s) {
  int64_t n = 0;
  for (Surface v : r.surface) n += v == s;
  return n;
}

}  // namespace

TEST_CASE("data: scenes3d factors, sizes and values follow 3D Shapes") {
  Scenes3d s;
  CHECK(s.name() == "scenes3d");
  CHECK(s.size() == 480000);
  REQUIRE(s.num_factors() == 6);
  const char* names[6] = {"floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation"};
  const int64_t sizes[6] = {10, 10, 10, 8, 4, 15};
  for (int k = 0; k < 6; ++k) {
    CHECK(s.factor_list()[k].name == names[k]);
    CHECK(s.factor_list()[k].size == sizes[k]);
  }
  CHECK(s.image_shape().channels == 3);
  CHECK(s.image_shape().height == 64);
  CHECK(s.image_shape().width == 64);
  CHECK(Scenes3d::factor_value(0, 9) == doctest::Approx(0.9));
  CHECK(Scenes3d::factor_value(2, 0) == 0.0);
  CHECK(Scenes3d::factor_value(3, 0) == 0.75);
  CHECK(Scenes3d::factor_value(3, 7) == 1.25);
  CHECK(Scenes3d::factor_value(4, 3) == 3.0);
  CHECK(Scenes3d::factor_value(5, 0) == -30.0);
  CHECK(Scenes3d::factor_value(5, 7) == 0.0);
  CHECK(Scenes3d::factor_value(5, 14) == 30.0);
  CHECK_THROWS_AS(Scenes3d::factor_value(6, 0), Error);
  CHECK_THROWS_AS(Scenes3d::factor_value(4, 4), Error);
}

TEST_CASE("data: scenes3d index = floor·48000 + wall·4800 + object·480 + scale·60 + shape·15 + orientation") {
  Scenes3d s;
  const int64_t last[6] = {9, 9, 9, 7, 3, 14};
  const int64_t stride[6] = {48000, 4800, 480, 60, 15, 1};
  for (int corner = 0; corner < 64; ++corner) {
    std::vector<int64_t> f(6);
    int64_t want = 0;
    for (int k = 0; k < 6; ++k) {
      f[k] = (corner >> k) & 1 ? last[k] : 0;
      want += f[k] * stride[k];
    }
    CHECK(s.index(f) == want);
    CHECK(s.factors(want) == f);
    SceneFactors g = s.scene_factors(want);
    CHECK(std::vector<int64_t>{g.floor_hue, g.wall_hue, g.object_hue, g.scale, g.shape, g.orientation} == f);
  }
  Rng rng{5, 6, 0};
  for (int k = 0; k < 1000; ++k) {
    const int64_t i = static_cast<int64_t>(rng.below(480000));
    std::vector<int64_t> f = s.factors(i);
    int64_t sum = 0;
    for (int j = 0; j < 6; ++j) sum += f[j] * stride[j];
    CHECK(sum == i);
    CHECK(s.index(f) == i);
  }
  CHECK_THROWS_AS(s.scene_factors(480000), Error);
  std::vector<float> out(3 * kPlane);
  CHECK_THROWS_AS(s.image(-1, out.data()), Error);
  CHECK_THROWS_AS(s.render({0, 0, 10, 0, 0, 0}, out.data(), nullptr), Error);
  CHECK_THROWS_AS(s.render({0, 0, 0, 0, 4, 0}, out.data(), nullptr), Error);
}

TEST_CASE("data: scenes3d image(i) renders the factors of i, with values in [0, 1]") {
  Scenes3d s;
  std::vector<float> a(3 * kPlane);
  s.image(s.index(std::vector<int64_t>{3, 6, 1, 4, 0, 11}), a.data());
  CHECK(a == render(s, {3, 6, 1, 4, 0, 11}).rgb);
  for (float v : a) CHECK((v >= 0.0f && v <= 1.0f));
}

TEST_CASE("data: scenes3d each hue changes exactly the pixels of its surface") {
  Scenes3d s;
  for (int64_t shape = 0; shape < 4; ++shape) {
    const SceneFactors base{2, 5, 8, 6, shape, 3};
    Rendered ref = render(s, base);
    CHECK(count(ref, Surface::floor) > 500);
    CHECK(count(ref, Surface::wall) > 500);
    CHECK(count(ref, Surface::object) > 100);
    for (int which = 0; which < 3; ++which) {
      SceneFactors f = base;
      (which == 0 ? f.floor_hue : which == 1 ? f.wall_hue : f.object_hue) = 7;
      Rendered other = render(s, f);
      CHECK(other.surface == ref.surface);  // hues never move anything
      const Surface target = static_cast<Surface>(which);
      int64_t wrong = 0;
      for (int64_t p = 0; p < kPlane; ++p) wrong += pixel_differs(ref, other, p) != (ref.surface[p] == target);
      CHECK_MESSAGE(wrong == 0, "shape " << shape << " hue of surface " << which);
    }
  }
}

TEST_CASE("data: scenes3d object pixel count grows with scale, and the floor and wall stay put") {
  Scenes3d s;
  Rendered reference = render(s, {0, 0, 0, 0, 2, 0});
  for (int64_t shape = 0; shape < 4; ++shape)
    for (int64_t orientation : {0, 7, 12}) {
      int64_t previous = 0;
      for (int64_t scale = 0; scale < 8; ++scale) {
        Rendered r = render(s, {0, 0, 0, scale, shape, orientation});
        const int64_t n = count(r, Surface::object);
        CHECK_MESSAGE(n > previous, "shape " << shape << " orientation " << orientation << " scale " << scale);
        previous = n;
        // The object only hides parts of the room: a pixel that is wall here is wall in any
        // other scene where the object does not cover it.
        for (int64_t p = 0; p < kPlane; ++p)
          if (r.surface[p] != Surface::object && reference.surface[p] != Surface::object)
            REQUIRE(r.surface[p] == reference.surface[p]);
      }
    }
}

TEST_CASE("data: scenes3d objects never touch the frame's edge") {
  Scenes3d s;
  std::vector<float> rgb(3 * kPlane);
  std::vector<Surface> surface(kPlane);
  for (int64_t shape = 0; shape < 4; ++shape)
    for (int64_t scale = 0; scale < 8; ++scale)
      for (int64_t orientation = 0; orientation < 15; ++orientation) {
        s.render({0, 0, 0, scale, shape, orientation}, rgb.data(), surface.data());
        int64_t on_edge = 0;
        for (int64_t k = 0; k < kN; ++k)
          on_edge += (surface[k] == Surface::object) + (surface[(kN - 1) * kN + k] == Surface::object) +
                     (surface[k * kN] == Surface::object) + (surface[k * kN + kN - 1] == Surface::object);
        CHECK_MESSAGE(on_edge == 0, "shape " << shape << " scale " << scale << " orientation " << orientation);
      }
}

TEST_CASE("data: scenes3d orientation turns the object about the vertical axis") {
  Scenes3d s;
  // The camera sits on the plane x = 0, so turning by −φ mirrors the object's outline left to
  // right; at φ = 0 every outline is mirror-symmetric.
  for (int64_t shape = 0; shape < 4; ++shape) {
    Rendered left = render(s, {0, 0, 0, 5, shape, 0}), right = render(s, {0, 0, 0, 5, shape, 14});
    Rendered front = render(s, {0, 0, 0, 5, shape, 7});
    int64_t mirrored = 0, symmetric = 0;
    for (int64_t y = 0; y < kN; ++y)
      for (int64_t x = 0; x < kN; ++x) {
        const bool a = left.surface[y * kN + x] == Surface::object;
        const bool b = right.surface[y * kN + (kN - 1 - x)] == Surface::object;
        const bool c = front.surface[y * kN + x] == Surface::object;
        const bool d = front.surface[y * kN + (kN - 1 - x)] == Surface::object;
        mirrored += a != b;
        symmetric += c != d;
      }
    CHECK_MESSAGE(mirrored == 0, "shape " << shape);
    CHECK_MESSAGE(symmetric == 0, "shape " << shape);
    // The cube and the lying capsule show their turn; the sphere and the upright cylinder do not.
    const bool turns = left.surface != front.surface;
    CHECK_MESSAGE(turns == (shape == 0 || shape == 3), "shape " << shape);
  }
}

TEST_CASE("data: scenes3d light: two floor levels, the darker one the shadow, cast away from the light") {
  Scenes3d s;
  Rendered r = render(s, {4, 0, 0, 7, 0, 7});
  // Red channel of the floor: lit (0.35 + 0.65·n·l) or shadowed (0.35) times one colour.
  float lit = 0, dark = 2;
  for (int64_t p = 0; p < kPlane; ++p)
    if (r.surface[p] == Surface::floor) lit = std::max(lit, r.rgb[p]), dark = std::min(dark, r.rgb[p]);
  REQUIRE(dark < lit);
  CHECK(dark / lit == doctest::Approx(0.35 / (0.35 + 0.65 * 0.9 / std::sqrt(0.36 + 0.81 + 0.36))).epsilon(1e-5));
  double shadow_x = 0, object_x = 0, n_shadow = 0, n_object = 0;
  for (int64_t p = 0; p < kPlane; ++p) {
    if (r.surface[p] == Surface::floor) {
      REQUIRE((r.rgb[p] == lit || r.rgb[p] == dark));
      if (r.rgb[p] == dark) shadow_x += p % kN, n_shadow += 1;
    }
    if (r.surface[p] == Surface::object) object_x += p % kN, n_object += 1;
  }
  CHECK(n_shadow > 20);
  CHECK(shadow_x / n_shadow > object_x / n_object + 3);  // the light comes from the left
}

TEST_CASE("data: scenes3d images are the same at 1 and 2 threads") {
  Scenes3d s;
  Rng rng{8, 8, 0};
  std::vector<int64_t> ids(120);
  for (int64_t& i : ids) i = static_cast<int64_t>(rng.below(static_cast<uint64_t>(s.size())));
  testing::check_thread_invariant("scenes3d images", [&] { return s.images(ids); });
}
