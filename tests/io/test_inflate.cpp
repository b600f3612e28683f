#include <doctest/doctest.h>
#include <stb/stb_image.h>

#include <cstring>
#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/crc32.hpp"
#include "elbo/io/gzip.hpp"
#include "elbo/io/inflate.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::io;
using elbo::testing::from_hex;

namespace {

std::vector<uint8_t> inflate_all(const std::vector<uint8_t>& in, uint64_t* used = nullptr) {
  std::vector<uint8_t> out;
  uint64_t n = inflate(in, [&](const uint8_t* d, size_t k) { out.insert(out.end(), d, d + k); }, "test stream");
  if (used) *used = n;
  return out;
}

// stb_image's zlib decoder on the same raw deflate stream: the reference the decoder is checked against.
// This version of stb fails when fewer than 16 bits follow the last code it decodes (in zlib and PNG
// data, a 4-byte checksum always follows), so the stream is given 4 more bytes.
std::vector<uint8_t> stb_inflate(std::vector<uint8_t> in, size_t size) {
  in.insert(in.end(), 4, 0);
  std::vector<uint8_t> out(size + 1);
  int n = stbi_zlib_decode_noheader_buffer(reinterpret_cast<char*>(out.data()), static_cast<int>(out.size()),
                                           reinterpret_cast<const char*>(in.data()), static_cast<int>(in.size()));
  REQUIRE_MESSAGE(n >= 0, std::string(stbi_failure_reason()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

// Fixtures made with Python's zlib.compressobj(9, DEFLATED, -15) (raw deflate).
// A fixed-Huffman block: "elbo elbo elbo! " × 5 followed by the bytes 0..39.
const char* kFixedHex =
    "4bcd49ca574885118a0826997c06462666165636760e4e2e6e1e5e3e7e01412161115131710949296919593979054525651555357500";
std::vector<uint8_t> fixed_plain() {
  std::string s;
  for (int i = 0; i < 5; ++i) s += "elbo elbo elbo! ";
  std::vector<uint8_t> v = bytes_of(s);
  for (int i = 0; i < 40; ++i) v.push_back(static_cast<uint8_t>(i));
  return v;
}
// A dynamic-Huffman block: 40 lines "line i: the quick brown fox jumps over the lazy dog i²\n".
const char* kDynamicHex =
    "95955b56c3300c44ff5985966049b663b31b1e010aa18196d2c2ea795893fff9eeb947d1e87abaecf6b3a46bf9789ae5"
    "fdb4bb7b91dbc37adecbc37a91e7d3ebdb51d6cff9f0fff372f3fd25f7eba3a4abe58f528ed2411947e5413947f54165"
    "f20bebc00a87591958e5308f69131948ecd638ac46909dc35a5c4d4945344112d612c3445214cdb1a13a7bf54854595d"
    "7a5c505961608c56d6344c24a5b1861d496ddc906a67edc67b27cdc930c7487372c644b6625aec68a439c5225523cd29"
    "53dcd148732acc31d29cba4d24cd99b61d4973a62d55b672704727cde930c749733a5c75b673129e87b3a593f0229d6d"
    "1d45097861ab15f6786549549d93faa8a35dbdd17d8e6c4981b4fcfe87fc00";
std::vector<uint8_t> dynamic_plain() {
  std::string s;
  for (int i = 0; i < 40; ++i)
    s += "line " + std::to_string(i) + ": the quick brown fox jumps over the lazy dog " + std::to_string(i * i) + "\n";
  return bytes_of(s);
}
// Three blocks: fixed ("abc" × 18), an empty stored block (a flush marker), and a final stored block
// holding the bytes 0..255.
std::vector<uint8_t> multi_block_stream() {
  std::vector<uint8_t> s = from_hex("4a4c4a4e241d01000000ffff010001fffe");
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<uint8_t>(i));
  return s;
}
std::vector<uint8_t> multi_block_plain() {
  std::string a;
  for (int i = 0; i < 18; ++i) a += "abc";
  std::vector<uint8_t> v = bytes_of(a);
  for (int i = 0; i < 256; ++i) v.push_back(static_cast<uint8_t>(i));
  return v;
}

void check_fails(const std::vector<uint8_t>& in, const std::string& fragment) {
  try {
    inflate_all(in);
    FAIL("expected an error containing: " << fragment);
  } catch (const Error& e) {
    std::string msg = e.what();
    CHECK_MESSAGE(msg.find(fragment) != std::string::npos, msg);
    CHECK_MESSAGE(msg.find("test stream") != std::string::npos, msg);
  }
}

}  // namespace

TEST_CASE("io: crc32 of the check string and split computation") {
  const char* s = "123456789";
  CHECK(crc32(s, 9) == 0xCBF43926u);
  CHECK(crc32(nullptr, 0) == 0u);
  // Continuing a CRC over a split gives the CRC of the whole, at every split point.
  std::vector<uint8_t> data = dynamic_plain();
  uint32_t whole = crc32(data.data(), data.size());
  CHECK(whole == 914363029u);  // Python: zlib.crc32(data)
  for (size_t cut : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{13}, data.size()})
    CHECK(crc32(data.data() + cut, data.size() - cut, crc32(data.data(), cut)) == whole);
}

TEST_CASE("io: inflate fixed, dynamic and stored blocks as zlib wrote them") {
  std::vector<uint8_t> fixed = from_hex(kFixedHex);
  uint64_t used = 0;
  CHECK(inflate_all(fixed, &used) == fixed_plain());
  CHECK(used == fixed.size());
  std::vector<uint8_t> dynamic = from_hex(kDynamicHex);
  CHECK(inflate_all(dynamic, &used) == dynamic_plain());
  CHECK(used == dynamic.size());
  CHECK(inflate_all(multi_block_stream()) == multi_block_plain());
  // Trailing bytes after the final block are not part of the stream.
  std::vector<uint8_t> padded = fixed;
  padded.insert(padded.end(), {1, 2, 3});
  CHECK(inflate_all(padded, &used) == fixed_plain());
  CHECK(used == fixed.size());
}

TEST_CASE("io: inflate agrees with stb_image's zlib decoder") {
  for (const std::vector<uint8_t>& s : {from_hex(kFixedHex), from_hex(kDynamicHex), multi_block_stream()}) {
    std::vector<uint8_t> ours = inflate_all(s);
    CHECK(ours == stb_inflate(s, ours.size()));
  }
}

TEST_CASE("io: inflate streams long outputs through its window") {
  // Stored blocks of 65535 bytes, 40 of them (2.6 MB, far beyond the 256 KiB buffer), then a fixed
  // block whose match reaches 32768 bytes back across the window's slide.
  std::vector<uint8_t> plain, stream;
  for (int b = 0; b < 40; ++b) {
    stream.push_back(0);  // not final, stored
    uint16_t len = 65535;
    stream.insert(stream.end(), {static_cast<uint8_t>(len), static_cast<uint8_t>(len >> 8), 0, 0});
    for (int i = 0; i < 65535; ++i) {
      uint8_t v = static_cast<uint8_t>((i * 7 + b * 13) ^ (i >> 8));
      stream.push_back(v);
      plain.push_back(v);
    }
  }
  // Final fixed block: length 258 (symbol 285, code 11000101), distance 32768 (symbol 29 + 13 extra
  // bits 8191), end of block (0000000). Bits are packed least significant first; Huffman codes
  // most significant bit first.
  std::vector<int> bits = {1, 1, 0};  // BFINAL = 1, BTYPE = 01 (written as 1, 0)
  for (int b : {1, 1, 0, 0, 0, 1, 0, 1}) bits.push_back(b);      // symbol 285
  for (int b : {1, 1, 1, 0, 1}) bits.push_back(b);                // distance symbol 29
  for (int k = 0; k < 13; ++k) bits.push_back((8191 >> k) & 1);   // extra bits, least significant first
  for (int k = 0; k < 7; ++k) bits.push_back(0);                  // end of block
  uint8_t acc = 0;
  int n = 0;
  for (int b : bits) {
    acc = static_cast<uint8_t>(acc | (b << n));
    if (++n == 8) {
      stream.push_back(acc);
      acc = 0;
      n = 0;
    }
  }
  if (n > 0) stream.push_back(acc);
  size_t before = plain.size();
  for (size_t i = 0; i < 258; ++i) plain.push_back(plain[before - 32768 + i]);
  size_t chunks = 0;
  std::vector<uint8_t> out;
  inflate(stream, [&](const uint8_t* d, size_t k) {
    out.insert(out.end(), d, d + k);
    ++chunks;
  }, "test stream");
  CHECK(out == plain);
  CHECK(chunks > 5);  // the output left in pieces, not held whole
}

TEST_CASE("io: inflate rejects corrupt streams with the reason") {
  std::vector<uint8_t> fixed = from_hex(kFixedHex);
  check_fails({}, "unexpected end of data");
  check_fails(std::vector<uint8_t>(fixed.begin(), fixed.begin() + 20), "unexpected end of data");
  check_fails({0x07}, "invalid block type 3");
  check_fails({0x01, 0x05, 0x00, 0x00, 0x00}, "does not match its complement");  // LEN 5, NLEN 0
  check_fails({0x01, 0x05, 0x00, 0xFA, 0xFF, 'a'}, "unexpected end of data in a stored block");
  // Fixed block: a match at the very start reaches before the output (symbol 257, distance 1).
  check_fails({0x03, 0x02}, "before the start of the output");
  // Dynamic block whose code-length code is over-subscribed (all 19 lengths 1).
  std::vector<uint8_t> over = {0x05, 0xE0, 0xFF};
  over.resize(12, 0x49);
  check_fails(over, "over-subscribed");
  // Every truncation of the dynamic stream fails cleanly (never reads past the end).
  std::vector<uint8_t> dynamic = from_hex(kDynamicHex);
  for (size_t cut = 0; cut < dynamic.size(); ++cut) {
    std::vector<uint8_t> part(dynamic.begin(), dynamic.begin() + static_cast<long>(cut));
    CHECK_THROWS_AS(inflate_all(part), Error);
  }
}

TEST_CASE("io: inflate never crashes on bit flips, and agrees with stb when both accept") {
  std::vector<uint8_t> dynamic = from_hex(kDynamicHex);
  int accepted = 0;
  for (size_t bit = 0; bit < dynamic.size() * 8; bit += 3) {
    std::vector<uint8_t> flipped = dynamic;
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    std::vector<uint8_t> ours;
    bool ok = true;
    try {
      ours = inflate_all(flipped);
    } catch (const Error&) {
      ok = false;
    }
    if (!ok) continue;
    ++accepted;
    std::vector<uint8_t> theirs(ours.size() + 1);
    flipped.insert(flipped.end(), 4, 0);  // as in stb_inflate
    int n = stbi_zlib_decode_noheader_buffer(reinterpret_cast<char*>(theirs.data()), static_cast<int>(theirs.size()),
                                             reinterpret_cast<const char*>(flipped.data()), static_cast<int>(flipped.size()));
    if (n >= 0) {
      theirs.resize(static_cast<size_t>(n));
      CHECK(ours == theirs);
    }
  }
  CHECK(accepted > 0);  // some flips only change literals: those streams stay valid
}

TEST_CASE("io: gzip header fields, CRC and ISIZE") {
  std::vector<uint8_t> plain = dynamic_plain();
  std::vector<uint8_t> gz = gzip_stored(plain);
  CHECK(is_gzip(gz));
  CHECK(gunzip(gz, "t.gz") == plain);
  // Header with FEXTRA, FNAME, FCOMMENT and FHCRC around the dynamic stream.
  std::vector<uint8_t> h = {0x1F, 0x8B, 8, 4 | 8 | 16 | 2, 0, 0, 0, 0, 0, 3, 3, 0, 'a', 'b', 'c', 'x', '.', 't', 0, 'c', 0};
  uint32_t hcrc = crc32(h.data(), h.size());
  h.push_back(static_cast<uint8_t>(hcrc));
  h.push_back(static_cast<uint8_t>(hcrc >> 8));
  std::vector<uint8_t> body = from_hex(kDynamicHex);
  h.insert(h.end(), body.begin(), body.end());
  uint32_t crc = crc32(plain.data(), plain.size());
  for (uint32_t v : {crc, static_cast<uint32_t>(plain.size())})
    for (int k = 0; k < 4; ++k) h.push_back(static_cast<uint8_t>(v >> (8 * k)));
  CHECK(gunzip(h, "t.gz") == plain);
  // Two members concatenated decode to both contents.
  std::vector<uint8_t> two = h;
  two.insert(two.end(), gz.begin(), gz.end());
  std::vector<uint8_t> both = plain;
  both.insert(both.end(), plain.begin(), plain.end());
  CHECK(gunzip(two, "t.gz") == both);
  // Corruptions.
  std::vector<uint8_t> bad = h;
  bad.at(bad.size() - 8) ^= 1;
  CHECK_THROWS_WITH_AS(gunzip(bad, "t.gz"), doctest::Contains("CRC-32 mismatch"), Error);
  bad = h;
  bad.at(bad.size() - 4) ^= 1;
  CHECK_THROWS_WITH_AS(gunzip(bad, "t.gz"), doctest::Contains("size mismatch"), Error);
  bad = h;
  bad[21] ^= 1;  // header CRC
  CHECK_THROWS_WITH_AS(gunzip(bad, "t.gz"), doctest::Contains("header CRC"), Error);
  bad = h;
  bad[2] = 7;
  CHECK_THROWS_WITH_AS(gunzip(bad, "t.gz"), doctest::Contains("compression method 7"), Error);
  for (size_t cut : {size_t{5}, size_t{15}, size_t{40}, h.size() - 3}) {
    std::vector<uint8_t> part(h.begin(), h.begin() + static_cast<long>(cut));
    CHECK_THROWS_AS(gunzip(part, "t.gz"), Error);
  }
  CHECK_THROWS_WITH_AS(gunzip(gz, "t.gz", 100), doctest::Contains("more than the expected 100"), Error);
}
