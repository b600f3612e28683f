#include <doctest/doctest.h>
#include <stb/stb_image_write.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "elbo/data/image_folder.hpp"
#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/png.hpp"
#include "gradcheck.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::data;
using namespace elbo::testing;
namespace fs = std::filesystem;

namespace {

// An RGB image w × h with pixel (y, x, c) = (40·y + 10·x + 3·c) mod 256.
io::Image8 ramp(int w, int h) {
  io::Image8 img;
  img.width = w;
  img.height = h;
  img.channels = 3;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) img.pixels.push_back(static_cast<uint8_t>((40 * y + 10 * x + 3 * c) % 256));
  return img;
}

}  // namespace

TEST_CASE("data: area-averaging resize and centre crop, by hand") {
  // 4×4 grey to 2×2: each output is the mean of a 2×2 block.
  std::vector<uint8_t> g = {0, 2, 10, 20, 4, 6, 30, 40, 100, 100, 7, 7, 100, 101, 7, 8};
  std::vector<uint8_t> out(4);
  crop_and_resize(g.data(), 4, 4, 1, 2, out.data());
  CHECK(out == std::vector<uint8_t>{3, 25, 100, 7});  // 100.25 rounds to 100, 7.25 to 7
  // 6 wide × 4 high: the centre 4 × 4 (columns 1–4) is kept.
  std::vector<uint8_t> wide(24);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 6; ++x) wide[static_cast<size_t>(y * 6 + x)] = static_cast<uint8_t>(x == 0 || x == 5 ? 255 : 8 * x);
  crop_and_resize(wide.data(), 6, 4, 1, 2, out.data());
  CHECK(out == std::vector<uint8_t>{12, 28, 12, 28});  // columns (8, 16) and (24, 32)
  // 3×3 to 2×2: output pixels straddle the middle source pixel with weight 1/2 along each axis.
  std::vector<uint8_t> t = {0, 0, 90, 0, 0, 90, 90, 90, 90};
  crop_and_resize(t.data(), 3, 3, 1, 2, out.data());
  // Output (0,0): source weights (1, 0.5) per axis: (0·1 + 0·0.5 + 0·0.5 + 0·0.25)/2.25 = 0;
  // output (1,1): (0·0.25 + 90·0.5 + 90·0.5 + 90·1) / 2.25 = 80.
  CHECK(out[0] == 0);
  CHECK(out[3] == 80);
  // Output (0,1): rows 0, 1 weigh 1, 0.5; columns 1, 2 weigh 0.5, 1: (1·90 + 0.5·90) / 2.25 = 60.
  CHECK(out[1] == 60);
  // Upscaling 1 pixel to 3×3 repeats it; RGB channels stay separate (output is CHW).
  std::vector<uint8_t> rgb = {10, 20, 30};
  std::vector<uint8_t> up(27);
  crop_and_resize(rgb.data(), 1, 1, 3, 3, up.data());
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 9; ++p) CHECK(up[static_cast<size_t>(c * 9 + p)] == 10 * (c + 1));
}

TEST_CASE("data: image folder lists files in order and caches them") {
  TempDir dir;
  fs::create_directories(dir.path() / "b" / "deeper");
  io::write_png(dir.file("a.png"), ramp(4, 4));
  io::write_png(dir.file("b/deeper/c.PNG"), ramp(6, 4));
  io::write_png(dir.file("b/z.png"), ramp(2, 2));
  io::write_file_atomic(dir.file("notes.txt"), std::string("not an image"));
  // A JPEG, written by stb.
  io::Image8 j = ramp(8, 8);
  REQUIRE(stbi_write_jpg(dir.file("b/photo.jpg").c_str(), j.width, j.height, 3, j.pixels.data(), 95) != 0);

  ImageFolderOptions o;
  o.size = 2;
  ImageFolder folder(dir.path().string(), o);
  CHECK(folder.built_cache());
  CHECK(folder.files() == std::vector<std::string>{"a.png", "b/deeper/c.PNG", "b/photo.jpg", "b/z.png"});
  CHECK(folder.size() == 4);
  CHECK(folder.image_shape().channels == 3);
  CHECK(fs::exists(folder.cache_path()));
  CHECK(fs::path(folder.cache_path()).filename() == ".elbo-cache-2px-rgb.bin");
  // Image 0 (a.png, 4×4) resized to 2×2 by area averaging, channel by channel.
  io::Image8 a = ramp(4, 4);
  std::vector<uint8_t> want(12);
  crop_and_resize(a.pixels.data(), 4, 4, 3, 2, want.data());
  std::vector<float> got(12);
  folder.image(0, got.data());
  for (size_t k = 0; k < 12; ++k) CHECK(got[k] == static_cast<float>(want[k]) / 255.0f);
  // Pixel (0, 0) of channel 0: mean of 0, 10, 40, 50 = 25.
  CHECK(got[0] == 25.0f / 255.0f);

  // A second construction reuses the cache; the images are the same.
  ImageFolder again(dir.path().string(), o);
  CHECK(!again.built_cache());
  std::vector<int64_t> all = {0, 1, 2, 3};
  CHECK(same_bytes(folder.images(all), again.images(all)));
  check_thread_invariant("image folder", [&] { return folder.images(all); });
  // Adding a file rebuilds it.
  io::write_png(dir.file("b/y.png"), ramp(3, 5));
  ImageFolder grown(dir.path().string(), o);
  CHECK(grown.built_cache());
  CHECK(grown.size() == 5);
  // So does a damaged cache.
  std::vector<uint8_t> bytes = io::read_file(grown.cache_path());
  write_bytes(grown.cache_path(), std::vector<uint8_t>(bytes.begin(), bytes.end() - 1));
  CHECK(ImageFolder(dir.path().string(), o).built_cache());
  bytes[35] ^= 1;  // the hash
  write_bytes(grown.cache_path(), bytes);
  CHECK(ImageFolder(dir.path().string(), o).built_cache());
  // Grey, at another size, in a cache of its own.
  ImageFolderOptions grey;
  grey.size = 3;
  grey.channels = 1;
  grey.cache_path = dir.file("grey.cache");
  ImageFolder g(dir.path().string(), grey);
  CHECK(g.image_shape().channels == 1);
  CHECK(g.images(all).shape() == Shape{4, 1, 3, 3});
  CHECK(fs::exists(dir.file("grey.cache")));
}

TEST_CASE("data: image folder errors") {
  TempDir dir;
  CHECK_THROWS_WITH_AS(ImageFolder(dir.path().string()), doctest::Contains("no PNG or JPEG files"), Error);
  CHECK_THROWS_WITH_AS(ImageFolder(dir.file("missing")), doctest::Contains("is not a directory"), Error);
  io::write_file_atomic(dir.file("broken.png"), std::string("\x89PNG\r\n\x1a\n garbage"));
  CHECK_THROWS_WITH_AS(ImageFolder(dir.path().string()), doctest::Contains("broken.png"), Error);
  CHECK(!fs::exists(dir.file(".elbo-cache-64px-rgb.bin")));  // no half-built cache is left behind
  ImageFolderOptions o;
  o.channels = 2;
  CHECK_THROWS_WITH_AS(ImageFolder(dir.path().string(), o), doctest::Contains("channels must be 1 or 3"), Error);
}
