#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "elbo/data/dsprites_file.hpp"
#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/npz.hpp"
#include "elbo/rng.hpp"
#include "gradcheck.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::data;
using namespace elbo::testing;

namespace {

// A small dSprites-like file: factor sizes shape 3, scale 2, orientation 2, posX 4, posY 3 (144
// images of 5×7), latents_classes in the official order, pixels random 0/1.
struct Synthetic {
  static constexpr int64_t kSizes[5] = {3, 2, 2, 4, 3};
  static constexpr int64_t kCount = 144, kH = 5, kW = 7;
  Tensor imgs, classes;
  Synthetic() {
    std::vector<double> px(static_cast<size_t>(kCount * kH * kW));
    Rng rng{7, 1, 0};
    for (double& p : px) p = rng.uniform() < 0.3 ? 1 : 0;
    imgs = from_vector(Shape{kCount, kH, kW}, px, DType::u8);
    std::vector<double> c;
    for (int64_t i = 0; i < kCount; ++i) {
      int64_t digits[5], rest = i;
      for (int k = 4; k >= 0; --k) {
        digits[k] = rest % kSizes[k];
        rest /= kSizes[k];
      }
      c.push_back(0);
      for (int64_t d : digits) c.push_back(static_cast<double>(d));
    }
    classes = from_vector(Shape{kCount, 6}, c, DType::i64);
  }
  void write(const std::string& path) const {
    io::write_npz(path, {{"imgs", imgs}, {"latents_classes", classes}, {"latents_values", classes.to(DType::f64)}});
  }
};

}  // namespace

TEST_CASE("data: dsprites file gives the file's images in the mixed-radix order") {
  TempDir dir;
  Synthetic s;
  s.write(dir.file("d.npz"));
  DspritesFile d(dir.file("d.npz"));
  CHECK(d.size() == Synthetic::kCount);
  REQUIRE(d.num_factors() == 5);
  std::vector<std::string> names;
  for (const Factor& f : d.factor_list()) names.push_back(f.name);
  CHECK(names == std::vector<std::string>{"shape", "scale", "orientation", "posX", "posY"});
  for (int k = 0; k < 5; ++k) CHECK(d.factor_list()[static_cast<size_t>(k)].size == Synthetic::kSizes[k]);
  CHECK(d.image_shape().height == 5);
  CHECK(d.image_shape().width == 7);
  // Every image is the file's, bit for bit.
  std::vector<int64_t> all(Synthetic::kCount);
  for (int64_t i = 0; i < Synthetic::kCount; ++i) all[static_cast<size_t>(i)] = i;
  Tensor got = d.images(all);
  CHECK(got.shape() == Shape{Synthetic::kCount, 1, 5, 7});
  CHECK(got.to_vector() == s.imgs.to_vector());
  check_thread_invariant("dsprites file", [&] { return d.images(all); });
  // factors(i) is row i of latents_classes without the color column.
  std::vector<double> c = s.classes.to_vector();
  for (int64_t i : {int64_t{0}, int64_t{1}, int64_t{37}, int64_t{143}}) {
    std::vector<int64_t> f = d.factors(i);
    for (int k = 0; k < 5; ++k) CHECK(f[static_cast<size_t>(k)] == c[static_cast<size_t>(i * 6 + k + 1)]);
    CHECK(d.index(f) == i);
  }
}

TEST_CASE("data: dsprites file reads deflated members (as np.savez_compressed writes them)") {
  if (std::system("python3 -c 'import zipfile, zlib' > /dev/null 2>&1") != 0) {
    MESSAGE("python3 not available: skipped");
    return;
  }
  TempDir dir;
  Synthetic s;
  s.write(dir.file("stored.npz"));
  std::string script = "import zipfile\n"
                       "src = zipfile.ZipFile('" + dir.file("stored.npz") + "')\n"
                       "with zipfile.ZipFile('" + dir.file("deflated.npz") + "', 'w', zipfile.ZIP_DEFLATED) as dst:\n"
                       "    for n in src.namelist(): dst.writestr(n, src.read(n))\n";
  io::write_file_atomic(dir.file("s.py"), script);
  REQUIRE(std::system(("python3 " + dir.file("s.py")).c_str()) == 0);
  DspritesFile d(dir.file("deflated.npz"));
  std::vector<int64_t> all(Synthetic::kCount);
  for (int64_t i = 0; i < Synthetic::kCount; ++i) all[static_cast<size_t>(i)] = i;
  CHECK(d.images(all).to_vector() == s.imgs.to_vector());
}

TEST_CASE("data: dsprites file rejects files that do not match the official layout") {
  TempDir dir;
  Synthetic s;
  auto err = [&](const std::vector<std::pair<std::string, Tensor>>& arrays) {
    io::write_npz(dir.file("bad.npz"), arrays);
    try {
      DspritesFile d(dir.file("bad.npz"));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(err({{"imgs", s.imgs}, {"latents_classes", s.classes}}) == "no error");
  CHECK(err({{"imgs", s.imgs}}).find("no array 'latents_classes'") != std::string::npos);
  // Rows 0 and 1 swapped: posY of row 0 is 1, the order says 0.
  Tensor swapped = s.classes.clone();
  int64_t* c = swapped.data<int64_t>();
  std::swap(c[5], c[11]);
  CHECK(err({{"imgs", s.imgs}, {"latents_classes", swapped}}).find("latents_classes row 0 has posY = 1, but row 0 of the mixed-radix order (posY fastest) has 0") !=
        std::string::npos);
  Tensor colored = s.classes.clone();
  colored.data<int64_t>()[6] = 1;
  CHECK(err({{"imgs", s.imgs}, {"latents_classes", colored}}).find("column color has 2 levels") != std::string::npos);
  Tensor grey = s.imgs.clone();
  grey.data<uint8_t>()[2 * 35 + 3] = 255;
  CHECK(err({{"imgs", grey}, {"latents_classes", s.classes}}).find("imgs pixel 3 of image 2 is 255") != std::string::npos);
  Tensor fewer = make_view(s.imgs, Shape{100, 5, 7}, contiguous_strides(Shape{100, 5, 7}), 0);
  CHECK(err({{"imgs", fewer}, {"latents_classes", s.classes}}).find("imgs must be u8 [144, H, W]") != std::string::npos);
  Tensor missing_rows = make_view(s.classes, Shape{100, 6}, contiguous_strides(Shape{100, 6}), 0);
  CHECK(err({{"imgs", s.imgs}, {"latents_classes", missing_rows}}).find("do not match the 100 rows") != std::string::npos);
}
