// Writes a starting corpus for each fuzz target: small valid files of every kind, so that the
// fuzzer begins inside the formats instead of searching for their magic numbers.
//   fuzz_seeds DIR   →   DIR/fuzz_npy/…, DIR/fuzz_npz/…, DIR/fuzz_idx/…, …
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "elbo/io/atomic_file.hpp"
#include "elbo/io/gzip.hpp"
#include "elbo/io/idx.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/io/npz.hpp"
#include "elbo/io/safetensors.hpp"

using namespace elbo;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// Raw deflate streams from Python's zlib (the fixtures of tests/io/test_inflate.cpp): fixed Huffman,
// then fixed + empty stored + stored blocks.
const char* kFixed = "4bcd49ca574885118a0826997c06462666165636760e4e2e6e1e5e3e7e01412161115131710949296919593979054525651555357500";
const char* kMulti = "4a4c4a4e241d01000000ffff010001fffe";

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds DIR\n");
    return 2;
  }
  fs::path root = argv[1];
  auto put = [&](const std::string& target, const std::string& name, const std::vector<uint8_t>& bytes) {
    fs::create_directories(root / target);
    io::write_file_atomic((root / target / name).string(), bytes);
  };
  Tensor f = from_values(Shape{2, 3}, {0.5, -1, 2, 3.25, 0, 1e-3});
  Tensor i = from_values(Shape{4}, {1, -2, 3, 70000}, DType::i64);
  Tensor u = from_values(Shape{2, 2, 2}, {0, 1, 2, 3, 250, 251, 252, 255}, DType::u8);

  put("fuzz_npy", "f32.npy", io::encode_npy(f));
  put("fuzz_npy", "i64.npy", io::encode_npy(i));
  put("fuzz_npy", "bool.npy", io::encode_npy(from_values(Shape{3}, {1, 0, 1}, DType::u8), true));

  fs::path tmp = root / "tmp";
  fs::create_directories(tmp);
  io::write_npz((tmp / "a.npz").string(), {{"f", f}, {"i", i}});
  put("fuzz_npz", "stored.npz", io::read_file((tmp / "a.npz").string()));
  io::write_npz((tmp / "b.npz").string(), {{"u", u}}, /*force_zip64=*/true);
  put("fuzz_npz", "zip64.npz", io::read_file((tmp / "b.npz").string()));

  put("fuzz_idx", "u8-idx", io::encode_idx(u));
  put("fuzz_idx", "f32-idx", io::encode_idx(f));
  put("fuzz_idx", "u8-idx.gz", io::gzip_stored(io::encode_idx(u)));

  io::write_safetensors((tmp / "m.safetensors").string(), {{"f", f}, {"i", i}, {"u", u}}, {{"k", "v"}});
  put("fuzz_safetensors", "m.safetensors", io::read_file((tmp / "m.safetensors").string()));

  json::Value v = json::parse(R"({"a": [1, 2.5, -3e-7, true, null], "b": {"c": "\u00e9\n"}, "d": 9007199254740993})");
  std::string compact = json::dump(v), pretty = json::dump(v, 2);
  put("fuzz_json", "compact.json", {compact.begin(), compact.end()});
  put("fuzz_json", "pretty.json", {pretty.begin(), pretty.end()});

  put("fuzz_inflate", "fixed.bin", from_hex(kFixed));
  std::vector<uint8_t> multi = from_hex(kMulti);
  for (int k = 0; k < 256; ++k) multi.push_back(static_cast<uint8_t>(k));
  put("fuzz_inflate", "multi.bin", multi);
  fs::remove_all(tmp);
  return 0;
}
