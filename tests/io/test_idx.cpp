#include <doctest/doctest.h>
#include <stb/stb_image.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/gzip.hpp"
#include "elbo/io/idx.hpp"
#include "gradcheck.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::io;
using namespace elbo::testing;

namespace {

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    parse_idx(bytes, "x-idx");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

const std::string kFashion = "/usr/share/datasets/fashion-mnist/";

}  // namespace

TEST_CASE("io: idx round trip, raw and gzip") {
  TempDir dir;
  std::vector<Tensor> tensors = {from_values(Shape{2, 3}, {0, 1, 127, 128, 254, 255}, DType::u8),
                                 from_values(Shape{4}, {-2147483648.0, -1, 0, 2147483647}, DType::i32),
                                 from_values(Shape{1, 2, 2}, {0.5, -1e30, 3.25, 1e-40}, DType::f32),
                                 from_values(Shape{3}, {0.1, -2.0, 1e300}, DType::f64)};
  for (const Tensor& t : tensors) {
    for (bool gz : {false, true}) {
      std::string path = dir.file(gz ? "a-idx.gz" : "a-idx");
      write_idx(path, t, gz);
      CHECK(is_gzip(read_file(path)) == gz);
      CHECK_MESSAGE(same_bytes(read_idx(path), t), dtype_name(t.dtype()), gz ? " gz" : "");
    }
  }
  // The header of a u8 [2, 3] file, byte by byte: 0 0 08 02, then 2 and 3 big-endian.
  std::vector<uint8_t> b = encode_idx(tensors[0]);
  CHECK(std::vector<uint8_t>(b.begin(), b.begin() + 12) == std::vector<uint8_t>{0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3});
  CHECK_THROWS_WITH_AS(encode_idx(zeros(Shape{2}, DType::i64)), doctest::Contains("u8, i32, f32 or f64"), Error);
}

TEST_CASE("io: idx signed bytes and shorts are widened to i32") {
  std::vector<uint8_t> i8 = {0, 0, 0x09, 1, 0, 0, 0, 3, 0xFF, 0x80, 0x7F};
  CHECK(parse_idx(i8, "x").to_vector() == std::vector<double>{-1, -128, 127});
  std::vector<uint8_t> i16 = {0, 0, 0x0B, 1, 0, 0, 0, 2, 0x80, 0x00, 0x01, 0x02};
  Tensor t = parse_idx(i16, "x");
  CHECK(t.dtype() == DType::i32);
  CHECK(t.to_vector() == std::vector<double>{-32768, 258});
  std::vector<uint8_t> f32 = {0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0x00, 0x00};  // 1.5, big-endian
  CHECK(parse_idx(f32, "x").item() == 1.5);
}

TEST_CASE("io: idx rejects bad headers and sizes, naming the offset") {
  CHECK(error_of({0, 0}).find("truncated IDX file: 2 bytes") != std::string::npos);
  CHECK(error_of({1, 0, 8, 1, 0, 0, 0, 0}).find("bytes 0–1 are 1 0, expected 0 0") != std::string::npos);
  CHECK(error_of({0, 0, 0x0A, 1, 0, 0, 0, 0}).find("unknown IDX element type 0xa at byte offset 2") != std::string::npos);
  CHECK(error_of({0, 0, 8, 0}).find("0 dimensions at byte offset 3") != std::string::npos);
  CHECK(error_of({0, 0, 8, 9}).find("9 dimensions") != std::string::npos);
  CHECK(error_of({0, 0, 8, 2, 0, 0, 0, 1}).find("truncated IDX header: 2 extents need 12 bytes, the file has 8") !=
        std::string::npos);
  CHECK(error_of({0, 0, 8, 1, 0, 0, 0, 3, 1, 2}).find("needs more bytes than the file's 2") != std::string::npos);
  CHECK(error_of({0, 0, 8, 1, 0, 0, 0, 1, 1, 2}).find("needs 1 bytes of data after the 8-byte header, the file has 2") !=
        std::string::npos);
  // Extents whose product overflows 64 bits.
  std::vector<uint8_t> huge = {0, 0, 0x0E, 3};
  for (int i = 0; i < 12; ++i) huge.push_back(0xFF);
  CHECK(error_of(huge).find("are too large") != std::string::npos);
  // An empty array whose other extents are huge (found by fuzzing: its strides would overflow).
  std::vector<uint8_t> empty_huge = {0, 0, 0x0D, 3, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  CHECK(error_of(empty_huge).find("are too large") != std::string::npos);
  // Truncated and corrupted gzip files.
  TempDir dir;
  write_idx(dir.file("a.gz"), from_values(Shape{2, 2}, {1, 2, 3, 4}, DType::u8), true);
  std::vector<uint8_t> gz = read_file(dir.file("a.gz"));
  for (size_t cut = 2; cut < gz.size(); ++cut) {
    write_bytes(dir.file("cut.gz"), std::vector<uint8_t>(gz.begin(), gz.begin() + static_cast<long>(cut)));
    CHECK_THROWS_AS(read_idx(dir.file("cut.gz")), Error);
  }
  std::vector<uint8_t> flipped = gz;
  flipped.at(flipped.size() - 10) ^= 4;  // a data byte: the CRC catches it
  write_bytes(dir.file("flip.gz"), flipped);
  CHECK_THROWS_WITH_AS(read_idx(dir.file("flip.gz")), doctest::Contains("CRC-32 mismatch"), Error);
}

TEST_CASE("io: idx headers of the installed Fashion-MNIST") {
  if (!std::filesystem::exists(kFashion + "t10k-labels-idx1-ubyte.gz")) {
    MESSAGE("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped");
    return;
  }
  Tensor test_images = read_idx(kFashion + "t10k-images-idx3-ubyte.gz");
  CHECK(test_images.shape() == Shape{10000, 28, 28});
  CHECK(test_images.dtype() == DType::u8);
  Tensor test_labels = read_idx(kFashion + "t10k-labels-idx1-ubyte.gz");
  CHECK(test_labels.shape() == Shape{10000});
  std::vector<int> counts(10, 0);
  const uint8_t* l = test_labels.data<uint8_t>();
  for (int i = 0; i < 10000; ++i) {
    REQUIRE(l[i] < 10);
    counts[l[i]]++;
  }
  for (int c : counts) CHECK(c == 1000);  // the test split is balanced: 1000 of each class
  Tensor train_labels = read_idx(kFashion + "train-labels-idx1-ubyte.gz");
  CHECK(train_labels.shape() == Shape{60000});
  // The images file is real gzip output (dynamic Huffman blocks): stb's decoder must agree.
  std::vector<uint8_t> gz = read_file(kFashion + "t10k-images-idx3-ubyte.gz");
  std::vector<uint8_t> ours = gunzip(gz, "t10k");
  size_t start = 10;  // no optional header fields?
  if (gz[3] & 8) start = static_cast<size_t>(std::find(gz.begin() + 10, gz.end(), 0) - gz.begin()) + 1;
  int n = 0;
  char* theirs = stbi_zlib_decode_noheader_malloc(reinterpret_cast<const char*>(gz.data() + start),
                                                  static_cast<int>(gz.size() - start), &n);
  REQUIRE(theirs != nullptr);
  CHECK(static_cast<size_t>(n) == ours.size());
  CHECK(std::memcmp(theirs, ours.data(), ours.size()) == 0);
  stbi_image_free(theirs);
}
