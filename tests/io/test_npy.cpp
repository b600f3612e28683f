#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/crc32.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/io/npz.hpp"
#include "elbo/io/zip.hpp"
#include "gradcheck.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::io;
using namespace elbo::testing;

namespace {

Tensor sample(DType dtype, const Shape& shape) {
  std::vector<double> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) {
    double x = static_cast<double>(i);
    v[i] = is_floating(dtype) ? (x - 3.25) / 7.0 : (dtype == DType::u8 ? static_cast<double>(i * 37 % 256) : x * 1000 - 5000);
  }
  return from_vector(shape, v, dtype);
}

// An .npy header in numpy's layout, written out by hand.
std::vector<uint8_t> npy_bytes(const std::string& dict, const std::vector<uint8_t>& data, int major = 1) {
  size_t prefix = major == 1 ? 10 : 12;
  std::string d = dict;
  size_t total = (prefix + d.size() + 1 + 63) / 64 * 64;
  d.append(total - prefix - d.size() - 1, ' ');
  d += '\n';
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  for (size_t k = 0; k < prefix - 8; ++k) out.push_back(static_cast<uint8_t>(d.size() >> (8 * k)));
  out.insert(out.end(), d.begin(), d.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

Tensor npy_from(const std::vector<uint8_t>& bytes) { return read_npy(InputFile::from_memory(bytes, "a.npy")); }

// Made by Python's zipfile (ZIP_DEFLATED) from two .npy members: pixels = u8 [3, 4] of 0..11,
// values = f64 [2] of 0.5, −1.
const char* kDeflatedNpzHex =
    "504b03041400000008000000210038755b5a520000008c0000000a000000706978656c732e6e70799bec17ea1b10c9c8"
    "50c650ad9e925a9c5ca46ea5a05e536aa8aea3a09e965f54529498179f5f94920a12774bcc294e058a17672416a402f9"
    "1ac63a0a269a3a0ab50a64032e06462666165636760e4e2e6e00504b030414000000080000002100bcd4baa14d000000"
    "900000000a00000076616c7565732e6e70799bec17ea1b10c9c850c650ad9e925a9c5ca46ea5a06e9366a1aea3a09e96"
    "5f54529498179f5f94920a12774bcc294e058a17672416a402f91a463a9a3a0ab50a14002e063078600fa13fec070050"
    "4b010214031400000008000000210038755b5a520000008c0000000a0000000000000000000000800100000000706978"
    "656c732e6e7079504b0102140314000000080000002100bcd4baa14d000000900000000a000000000000000000000080"
    "017a00000076616c7565732e6e7079504b0506000000000200020070000000ef0000000000";

}  // namespace

TEST_CASE("io: npy header is numpy's, byte for byte") {
  std::vector<uint8_t> h = make_npy_header(DType::f32, Shape{2, 3});
  std::string expected_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  REQUIRE(h.size() == 128);  // numpy pads magic + header to a multiple of 64
  CHECK(h[6] == 1);
  CHECK(h[7] == 0);
  CHECK(h[8] + 256 * h[9] == 118);
  CHECK(std::string(h.begin() + 10, h.begin() + 10 + static_cast<long>(expected_dict.size())) == expected_dict);
  CHECK(h.back() == '\n');
  CHECK(h[h.size() - 2] == ' ');
  std::vector<uint8_t> one = make_npy_header(DType::u8, Shape{5});
  CHECK(std::string(one.begin() + 10, one.end()).find("'shape': (5,), }") != std::string::npos);
  std::vector<uint8_t> zero_d = make_npy_header(DType::f64, Shape{});
  CHECK(std::string(zero_d.begin() + 10, zero_d.end()).find("'shape': (), }") != std::string::npos);
}

TEST_CASE("io: npy round trip of every dtype and shape") {
  TempDir dir;
  for (DType dtype : {DType::f32, DType::f64, DType::i32, DType::i64, DType::u8}) {
    for (const Shape& shape : {Shape{}, Shape{0}, Shape{7}, Shape{3, 4}, Shape{2, 0, 5}, Shape{2, 3, 4, 5}}) {
      Tensor t = sample(dtype, shape);
      std::string path = dir.file("a.npy");
      write_npy(path, t);
      Tensor back = read_npy(path);
      CHECK_MESSAGE(same_bytes(t, back), dtype_name(dtype), " ", shape.str());
      CHECK(encode_npy(t) == read_file(path));
    }
  }
  // A non-contiguous view is written in C order.
  Tensor t = sample(DType::f32, Shape{3, 4});
  Tensor view = make_view(t, Shape{4, 3}, Shape{1, 4}, 0);  // the transpose
  write_npy(dir.file("t.npy"), view);
  CHECK(same_bytes(read_npy(dir.file("t.npy")), view.contiguous()));
  // Bools: u8 0/1 written as '|b1' and read back as u8.
  Tensor flags = from_values(Shape{5}, {0, 1, 1, 0, 1}, DType::u8);
  write_npy(dir.file("b.npy"), flags, /*boolean=*/true);
  std::string text = read_text_file(dir.file("b.npy"));
  CHECK(text.find("'descr': '|b1'") != std::string::npos);
  CHECK(same_bytes(read_npy(dir.file("b.npy")), flags));
  CHECK_THROWS_WITH_AS(write_npy(dir.file("c.npy"), from_values(Shape{2}, {0, 2}, DType::u8), true),
                       doctest::Contains("element 1 holds the byte 2"), Error);
}

TEST_CASE("io: npy reads headers numpy and Python 2 wrote") {
  std::vector<uint8_t> data = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0};
  // Python 2 long integers, keys in another order, double quotes, version 2.0, '=' byte order.
  Tensor a = npy_from(npy_bytes("{'shape': (2L, 3L), 'fortran_order': False, 'descr': '<i4'}", data));
  CHECK(a.shape() == Shape{2, 3});
  CHECK(a.to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});
  Tensor b = npy_from(npy_bytes("{\"descr\": \"=i4\", \"fortran_order\": False, \"shape\": (6,)}", data, 2));
  CHECK(b.shape() == Shape{6});
  Tensor c = npy_from(npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", data, 3));
  CHECK(c.dtype() == DType::i64);
  CHECK(c.to_vector() == std::vector<double>{1 + 2.0 * 4294967296.0, 3 + 4.0 * 4294967296.0, 5 + 6.0 * 4294967296.0});
}

TEST_CASE("io: npy rejects what it cannot read, with the reason") {
  std::vector<uint8_t> four(16, 0);
  auto err = [&](const std::string& dict, const std::vector<uint8_t>& d) {
    return error_of([&] { npy_from(npy_bytes(dict, d)); });
  };
  CHECK(err("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", four).find("big-endian") != std::string::npos);
  CHECK(err("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four).find("Fortran order") != std::string::npos);
  CHECK(err("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", four).find("Python objects") != std::string::npos);
  CHECK(err("{'descr': '<f2', 'fortran_order': False, 'shape': (8,), }", four).find("unsupported descr '<f2'") !=
        std::string::npos);
  CHECK(err("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", four).find("quoted string") !=
        std::string::npos);
  CHECK(err("{'descr': '<f4', 'shape': (4,), }", four).find("needs the keys") != std::string::npos);
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", four).find("unknown key 'x'") !=
        std::string::npos);
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", four).find("truncated .npy data") !=
        std::string::npos);
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", four).find("4 unexpected bytes") !=
        std::string::npos);
  CHECK(err("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", four).find("more than 8") !=
        std::string::npos);
  CHECK(err("{'descr': '<f8', 'fortran_order': False, 'shape': (1125899906842624, 1125899906842624), }", four)
            .find("more than 2^59") != std::string::npos);
  CHECK(err("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 1125899906842624, 1125899906842624), }", {})
            .find("more than 2^59") != std::string::npos);  // empty, but its strides would overflow
  CHECK(err("{'descr': '|b1', 'fortran_order': False, 'shape': (16,), }", std::vector<uint8_t>(16, 3))
            .find("holds the byte 3") != std::string::npos);
  std::vector<uint8_t> good = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four);
  std::vector<uint8_t> bad = good;
  bad[1] = 'X';
  CHECK(error_of([&] { npy_from(bad); }).find("not a .npy array") != std::string::npos);
  bad = good;
  bad[6] = 9;
  CHECK(error_of([&] { npy_from(bad); }).find("version 9.0") != std::string::npos);
  bad = good;
  bad[9] = 0x40;  // header length 16384 + 118: past the end of the file
  CHECK(error_of([&] { npy_from(bad); }).find(".npy header needs bytes [0, 16512) but the file has 144 bytes") != std::string::npos);
  // Every truncation fails with an error; no truncation is read as an array.
  for (size_t cut = 0; cut < good.size(); ++cut) {
    std::vector<uint8_t> part(good.begin(), good.begin() + static_cast<long>(cut));
    CHECK_THROWS_AS(npy_from(part), Error);
  }
  // Bit flips in the header either fail cleanly or give a well-formed tensor.
  for (size_t bit = 0; bit < 64 * 8; ++bit) {
    std::vector<uint8_t> flipped = good;
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    try {
      Tensor t = npy_from(flipped);
      CHECK(static_cast<size_t>(t.numel()) * dtype_size(t.dtype()) <= 16);
    } catch (const Error&) {
    }
  }
  CHECK(error_of([] { read_npy("/nonexistent/a.npy"); }) == "cannot read /nonexistent/a.npy: No such file or directory");
}

TEST_CASE("io: npz round trip, members read one at a time") {
  TempDir dir;
  std::vector<std::pair<std::string, Tensor>> arrays;
  int k = 0;
  for (DType dtype : {DType::f32, DType::f64, DType::i32, DType::i64, DType::u8})
    arrays.push_back({std::string("array_") + dtype_name(dtype), sample(dtype, Shape{3, 2 + k++})});
  arrays.push_back({"empty", sample(DType::f32, Shape{0, 4})});
  for (bool zip64 : {false, true}) {
    std::string path = dir.file(zip64 ? "z64.npz" : "a.npz");
    write_npz(path, arrays, zip64);
    NpzReader npz(path);
    std::vector<std::string> names = npz.names();
    REQUIRE(names.size() == arrays.size());
    for (size_t i = 0; i < arrays.size(); ++i) {
      CHECK(names[i] == arrays[i].first);
      CHECK(npz.contains(arrays[i].first));
      CHECK_MESSAGE(same_bytes(npz.read(arrays[i].first), arrays[i].second), arrays[i].first);
    }
    CHECK(!npz.contains("array_f32.npy"));
    CHECK(error_of([&] { npz.read("nope"); }).find("no array 'nope'; the archive holds: array_f32, array_f64") !=
          std::string::npos);
    // Streaming gives the header first, then the data bytes.
    std::vector<uint8_t> got;
    NpyHeader header;
    npz.stream("array_i64", [&](const NpyHeader& h) { header = h; },
               [&](const uint8_t* d, size_t n) { got.insert(got.end(), d, d + n); });
    CHECK(header.shape == Shape{3, 5});
    CHECK(header.dtype == DType::i64);
    CHECK(got.size() == 15 * 8);
    CHECK(std::memcmp(got.data(), arrays[3].second.raw_data(), got.size()) == 0);
  }
  // The same arrays give the same file (fixed timestamps).
  write_npz(dir.file("b.npz"), arrays);
  CHECK(read_file(dir.file("a.npz")) == read_file(dir.file("b.npz")));
  // zip64 records are present only when asked for (or needed).
  std::vector<uint8_t> z64 = read_file(dir.file("z64.npz")), plain = read_file(dir.file("a.npz"));
  auto has_sig = [](const std::vector<uint8_t>& b, uint32_t sig) {
    for (size_t i = 0; i + 4 <= b.size(); ++i)
      if (load_le32(b.data() + i) == sig) return true;
    return false;
  };
  CHECK(has_sig(z64, 0x06064b50));
  CHECK(!has_sig(plain, 0x06064b50));
}

TEST_CASE("io: npz reads deflated members as Python's zipfile writes them") {
  std::vector<uint8_t> bytes = from_hex(kDeflatedNpzHex);
  NpzReader npz(InputFile::from_memory(bytes, "fixture.npz"));
  CHECK(npz.names() == std::vector<std::string>{"pixels", "values"});
  REQUIRE(npz.zip().entries()[0].method == 8);
  Tensor pixels = npz.read("pixels");
  CHECK(pixels.dtype() == DType::u8);
  CHECK(pixels.shape() == Shape{3, 4});
  CHECK(pixels.to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  Tensor values = npz.read("values");
  CHECK(values.to_vector() == std::vector<double>{0.5, -1.0});
  // A flipped bit in the 77 compressed bytes of "values" (local header at 122, data at 122 + 30 + 10)
  // is caught, by the decoder or by the CRC, except in the last 6 bits: the padding after the final
  // end-of-block code, which no decoder reads (Python's zlib accepts those flips too).
  for (size_t bit = 0; bit < 77 * 8 - 6; ++bit) {
    std::vector<uint8_t> flipped = bytes;
    flipped[162 + bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    NpzReader bad(InputFile::from_memory(flipped, "flipped.npz"));
    CHECK_THROWS_AS(bad.read("values"), Error);
    CHECK(same_bytes(bad.read("pixels"), pixels));  // the other member is untouched
  }
}

TEST_CASE("io: zip reader rejects truncated and corrupt archives") {
  TempDir dir;
  write_npz(dir.file("a.npz"), {{"x", sample(DType::f32, Shape{4, 4})}, {"y", sample(DType::u8, Shape{9})}});
  std::vector<uint8_t> good = read_file(dir.file("a.npz"));
  auto open_and_read = [](const std::vector<uint8_t>& b) {
    NpzReader npz(InputFile::from_memory(b, "bad.npz"));
    for (const std::string& n : npz.names()) npz.read(n);
  };
  open_and_read(good);
  // Every truncation fails: the end record is missing, or the directory points past the end.
  for (size_t cut = 0; cut < good.size(); ++cut) {
    std::vector<uint8_t> part(good.begin(), good.begin() + static_cast<long>(cut));
    CHECK_THROWS_AS(open_and_read(part), Error);
  }
  // Every single bit flip either fails with an error or reads the same arrays (bits the reader
  // does not use: timestamps, attributes, version fields).
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::vector<uint8_t> flipped = good;
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    try {
      open_and_read(flipped);
    } catch (const Error&) {
    }
  }
  CHECK(error_of([] { ZipReader(InputFile::from_memory(std::vector<uint8_t>(30, 0), "zeros.zip")); })
            .find("no end-of-central-directory record") != std::string::npos);
  // A flipped data byte is reported as a CRC mismatch for that member.
  std::vector<uint8_t> flipped = good;
  NpzReader probe(InputFile::from_memory(good, "good.npz"));
  uint64_t at = probe.zip().data_offset(probe.zip().entries()[0]);
  flipped[at + 128 + 5] ^= 1;
  NpzReader npz(InputFile::from_memory(flipped, "flipped.npz"));
  CHECK(error_of([&] { npz.read("x"); }).find("flipped.npz array 'x': CRC-32 mismatch") != std::string::npos);
  CHECK_NOTHROW(npz.read("y"));
}

TEST_CASE("io: npz is readable by Python's zipfile, and reads what it writes (deflated)") {
  if (std::system("python3 -c 'import zipfile, zlib' > /dev/null 2>&1") != 0) {
    MESSAGE("python3 not available: skipped");
    return;
  }
  TempDir dir;
  Tensor big = sample(DType::f64, Shape{64, 33});
  write_npz(dir.file("a.npz"), {{"big", big}, {"small", sample(DType::i32, Shape{5})}}, true);
  // Python reads elbo's zip64 archive, checks the CRCs, and rewrites it deflated.
  std::string script = "import zipfile\n"
                       "src = zipfile.ZipFile('" + dir.file("a.npz") + "')\n"
                       "assert src.testzip() is None\n"
                       "with zipfile.ZipFile('" + dir.file("d.npz") + "', 'w', zipfile.ZIP_DEFLATED) as dst:\n"
                       "    for n in src.namelist(): dst.writestr(n, src.read(n))\n";
  write_file_atomic(dir.file("s.py"), script);
  REQUIRE(std::system(("python3 " + dir.file("s.py")).c_str()) == 0);
  NpzReader npz(dir.file("d.npz"));
  CHECK(npz.zip().entries()[0].method == 8);
  CHECK(same_bytes(npz.read("big"), big));
  CHECK(same_bytes(npz.read("small"), sample(DType::i32, Shape{5})));
}
