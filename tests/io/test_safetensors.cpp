#include <doctest/doctest.h>

#include <algorithm>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/safetensors.hpp"
#include "gradcheck.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::io;
using namespace elbo::testing;

namespace {

Tensor ramp(DType dtype, const Shape& shape, double scale) {
  std::vector<double> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = dtype == DType::u8 ? static_cast<double>(i % 251) : (static_cast<double>(i) - 2.0) * scale;
  return from_vector(shape, v, dtype);
}

// A safetensors file from a header text and a data buffer.
std::vector<uint8_t> file_of(const std::string& header, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out;
  out.reserve(8 + header.size() + data.size());
  for (int k = 0; k < 8; ++k) out.push_back(static_cast<uint8_t>(header.size() >> (8 * k)));  // little-endian length
  for (char c : header) out.push_back(static_cast<uint8_t>(c));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    SafetensorsReader reader(InputFile::from_memory(bytes, "m.safetensors"));
    for (const SafetensorsEntry& e : reader.entries()) reader.read(e);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("io: safetensors round trip of every dtype, with metadata") {
  TempDir dir;
  std::vector<nn::NamedTensor> tensors = {
      {"bytes", ramp(DType::u8, Shape{3}, 1)},         {"weight", ramp(DType::f32, Shape{4, 3}, 0.1)},
      {"scalar", ramp(DType::f64, Shape{}, 1e-3)},     {"ids", ramp(DType::i64, Shape{2, 2}, 1e12)},
      {"counts", ramp(DType::i32, Shape{5}, 1000)},    {"empty", ramp(DType::f32, Shape{0, 7}, 1)},
      {"with space/and.dots", ramp(DType::f64, Shape{2}, 3.5)}};
  StringMap meta = {{"format", "pt"}, {"note", "quote \" and newline \n"}};
  std::string path = dir.file("t.safetensors");
  write_safetensors(path, tensors, meta);
  StringMap meta_back;
  std::vector<nn::NamedTensor> back = read_safetensors(path, &meta_back);
  REQUIRE(back.size() == tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    CHECK(back[i].name == tensors[i].name);
    CHECK_MESSAGE(same_bytes(back[i].tensor, tensors[i].tensor), tensors[i].name);
  }
  CHECK(meta_back == meta);

  // Layout: the header length is a multiple of 8 and each tensor is aligned to its element size.
  SafetensorsReader reader(path);
  std::vector<uint8_t> bytes = read_file(path);
  uint64_t n = load_le64(bytes.data());
  CHECK(n % 8 == 0);
  for (const SafetensorsEntry& e : reader.entries()) CHECK_MESSAGE(e.begin % dtype_size(e.dtype) == 0, e.name);
  // The header is plain JSON with the documented fields.
  json::Value h = json::parse(std::string(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(n)));
  CHECK(h.at("__metadata__").at("format").as_string() == "pt");
  CHECK(h.at("weight").at("dtype").as_string() == "F32");
  CHECK(h.at("weight").at("shape")[0].as_int() == 4);
  CHECK(h.at("scalar").at("data_offsets")[0].as_int() == 0);  // 8-byte elements first, in given order
  CHECK(h.at("ids").at("data_offsets")[0].as_int() == 8);
  CHECK(h.at("scalar").at("shape").size() == 0);
}

TEST_CASE("io: safetensors reads a file laid out by another writer") {
  // Tensors in the data buffer in an order different from the header's, header padded with spaces.
  std::vector<uint8_t> data(4 + 8);
  float f = 1.5f;
  std::memcpy(data.data() + 8, &f, 4);
  int64_t i = -7;
  std::memcpy(data.data(), &i, 8);
  std::string header = R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"I64","shape":[],"data_offsets":[0,8]}})";
  header.append(6, ' ');
  SafetensorsReader reader(InputFile::from_memory(file_of(header, data), "x.safetensors"));
  CHECK(reader.read("b").item() == 1.5);
  CHECK(reader.read("a").item() == -7);
  CHECK(reader.metadata().empty());
}

TEST_CASE("io: InputFile::from_memory keeps its own copy of the bytes") {
  std::vector<uint8_t> bytes = {1, 2, 3, 4};
  InputFile file = InputFile::from_memory(bytes, "four.bin");
  std::fill(bytes.begin(), bytes.end(), uint8_t{0});  // the caller's buffer changes, or goes
  bytes.clear();
  bytes.shrink_to_fit();
  CHECK(file.read_bytes(1, 3, "the last three bytes") == std::vector<uint8_t>{2, 3, 4});
  InputFile moved = std::move(file);
  CHECK(moved.read_bytes(0, 1, "the first byte") == std::vector<uint8_t>{1});
  CHECK_THROWS_WITH_AS(moved.read_bytes(2, 3, "five bytes"), doctest::Contains("four.bin: truncated or corrupt"), Error);
}

TEST_CASE("io: safetensors rejects corrupt files before allocating") {
  std::vector<uint8_t> data(12);
  std::string ok = R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})";
  CHECK(error_of(file_of(ok, data)) == "no error");
  auto err = [&](const std::string& header, size_t data_bytes = 12) {
    return error_of(file_of(header, std::vector<uint8_t>(data_bytes)));
  };
  CHECK(err(R"({"a":{"dtype":"F16","shape":[6],"data_offsets":[0,12]}})").find("dtype F16 is not supported") != std::string::npos);
  CHECK(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}})").find("do not hold shape [2]") != std::string::npos);
  CHECK(err(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})").find("starts at data offset 4, expected 0") != std::string::npos);
  CHECK(err(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})", 16).find("describes 12 bytes of tensor data, the file holds 16") != std::string::npos);
  CHECK(err(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})")
            .find("expected 4") != std::string::npos);
  CHECK(err(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12],"x":1}})").find("unknown field \"x\"") != std::string::npos);
  CHECK(err(R"({"a":{"dtype":"F32","shape":[-3],"data_offsets":[0,12]}})").find("non-negative") != std::string::npos);
  CHECK(err(R"({"__metadata__":{"k":1}})", 0).find("strings only") != std::string::npos);
  CHECK(err(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]})").find("safetensors header): line 1") != std::string::npos);
  CHECK(err("[1, 2]").find("expected a JSON object") != std::string::npos);
  CHECK(err(R"({"a":{"dtype":"F32","shape":[0,1099511627776,1099511627776],"data_offsets":[0,0]}})", 0)
            .find("shape too large") != std::string::npos);  // empty, but its strides would overflow
  // A header length far beyond the file: reported, and nothing of that size is allocated.
  std::vector<uint8_t> huge = file_of(ok, data);
  store_le64(huge.data(), uint64_t{1} << 60);
  CHECK(error_of(huge).find("the header length at byte offset 0 is 1152921504606846976 bytes, but only") != std::string::npos);
  CHECK(error_of({1, 2, 3}).find("needs bytes [0, 8) but the file has 3 bytes") != std::string::npos);
  // Every truncation and every bit flip of a small file fails cleanly or reads consistent tensors.
  TempDir dir;
  write_safetensors(dir.file("a.safetensors"), {{"w", ramp(DType::f32, Shape{2, 2}, 1)}, {"n", ramp(DType::i64, Shape{2}, 3)}},
                    {{"k", "v"}});
  std::vector<uint8_t> good = read_file(dir.file("a.safetensors"));
  for (size_t cut = 0; cut < good.size(); ++cut)
    CHECK(error_of(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(cut))) != "no error");
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::vector<uint8_t> flipped = good;
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    error_of(flipped);  // must not crash; the sanitizer builds check memory safety
  }
}

TEST_CASE("io: safetensors layout checked by Python's standard library") {
  if (std::system("python3 -c 'import json, struct' > /dev/null 2>&1") != 0) {
    MESSAGE("python3 not available: skipped");
    return;
  }
  TempDir dir;
  std::vector<nn::NamedTensor> tensors = {{"a", ramp(DType::f32, Shape{2, 3}, 0.25)}, {"b", ramp(DType::i64, Shape{4}, 1e10)},
                                          {"c", ramp(DType::u8, Shape{3}, 1)}};
  write_safetensors(dir.file("m.safetensors"), tensors, {{"k", "v"}});
  // The specification's reading, done independently: header length, JSON, offsets, values.
  std::string script =
      "import json, struct, sys\n"
      "b = open(sys.argv[1], 'rb').read()\n"
      "n = struct.unpack('<Q', b[:8])[0]\n"
      "h = json.loads(b[8:8 + n].decode('utf-8'))\n"
      "data = b[8 + n:]\n"
      "assert h.pop('__metadata__') == {'k': 'v'}\n"
      "fmt = {'F32': 'f', 'I64': 'q', 'U8': 'B'}\n"
      "end = 0\n"
      "for name, t in sorted(h.items(), key=lambda kv: kv[1]['data_offsets']):\n"
      "    s, e = t['data_offsets']\n"
      "    assert s == end; end = e\n"
      "    count = 1\n"
      "    for d in t['shape']: count *= d\n"
      "    vals = struct.unpack('<%d%s' % (count, fmt[t['dtype']]), data[s:e])\n"
      "    print(name, t['shape'], list(vals))\n"
      "assert end == len(data)\n";
  write_file_atomic(dir.file("check.py"), script);
  std::string cmd = "python3 " + dir.file("check.py") + " " + dir.file("m.safetensors") + " > " + dir.file("out.txt");
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::string out = read_text_file(dir.file("out.txt"));
  CHECK(out.find("a [2, 3] [-0.5, -0.25, 0.0, 0.25, 0.5, 0.75]") != std::string::npos);
  CHECK(out.find("b [4] [-20000000000, -10000000000, 0, 10000000000]") != std::string::npos);
  CHECK(out.find("c [3] [0, 1, 2]") != std::string::npos);
  // With numpy and the safetensors package installed, the reference reader must agree too.
  if (std::system("python3 -c 'import numpy, safetensors' > /dev/null 2>&1") == 0) {
    std::string ref = "python3 -c \"from safetensors.numpy import load_file; d = load_file('" + dir.file("m.safetensors") +
                      "'); assert d['a'].shape == (2, 3) and d['b'][3] == 10000000000 and list(d['c']) == [0, 1, 2]\"";
    CHECK(std::system(ref.c_str()) == 0);
  } else {
    MESSAGE("python3 numpy/safetensors not installed: reference reader not run");
  }
}
