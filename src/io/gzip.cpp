#include "elbo/io/gzip.hpp"

#include <algorithm>

#include "elbo/error.hpp"
#include "elbo/io/crc32.hpp"
#include "elbo/io/inflate.hpp"
#include "elbo/io/input_file.hpp"

namespace elbo::io {

namespace {
// FLG bits (FTEXT, bit 0, is only a hint)
constexpr uint8_t kFlagHcrc = 2, kFlagExtra = 4, kFlagName = 8, kFlagComment = 16;
}  // namespace

bool is_gzip(std::span<const uint8_t> b) { return b.size() >= 2 && b[0] == 0x1F && b[1] == 0x8B; }

std::vector<uint8_t> gunzip(std::span<const uint8_t> b, const std::string& what, uint64_t max_output) {
  std::vector<uint8_t> out;
  uint64_t pos = 0;
  do {
    uint64_t member_at = pos;
    ELBO_CHECK(b.size() - pos >= 10, what, ": truncated gzip header at byte offset ", pos, ": ", b.size() - pos,
               " bytes, a header has at least 10");
    ELBO_CHECK(b[pos] == 0x1F && b[pos + 1] == 0x8B, what, ": not gzip data at byte offset ", pos,
               ": expected the magic bytes 1F 8B");
    ELBO_CHECK(b[pos + 2] == 8, what, ": gzip compression method ", int(b[pos + 2]), " at byte offset ", pos + 2,
               " is unknown; only 8 (deflate) exists");
    uint8_t flags = b[pos + 3];
    ELBO_CHECK((flags & 0xE0) == 0, what, ": reserved gzip flag bits set at byte offset ", pos + 3);
    pos += 10;
    if (flags & kFlagExtra) {
      ELBO_CHECK(b.size() - pos >= 2, what, ": truncated gzip extra field at byte offset ", pos);
      uint64_t xlen = load_le16(b.data() + pos);
      ELBO_CHECK(b.size() - pos - 2 >= xlen, what, ": truncated gzip extra field at byte offset ", pos, ": needs ",
                 xlen, " bytes");
      pos += 2 + xlen;
    }
    for (uint8_t flag : {kFlagName, kFlagComment}) {
      if (!(flags & flag)) continue;
      auto zero = std::find(b.begin() + static_cast<ptrdiff_t>(pos), b.end(), 0);
      ELBO_CHECK(zero != b.end(), what, ": truncated gzip header: the ", flag == kFlagName ? "file name" : "comment",
                 " from byte offset ", pos, " has no terminating zero");
      pos = static_cast<uint64_t>(zero - b.begin()) + 1;
    }
    if (flags & kFlagHcrc) {
      ELBO_CHECK(b.size() - pos >= 2, what, ": truncated gzip header CRC at byte offset ", pos);
      uint16_t want = load_le16(b.data() + pos);
      uint16_t got = static_cast<uint16_t>(crc32(b.data() + member_at, pos - member_at));
      ELBO_CHECK(want == got, what, ": gzip header CRC mismatch at byte offset ", pos);
      pos += 2;
    }
    uint32_t crc = 0;
    uint64_t size = 0;
    ByteSink sink = [&](const uint8_t* data, size_t n) {
      ELBO_CHECK(out.size() + n <= max_output, what, ": decompresses to more than the expected ", max_output, " bytes");
      crc = crc32(data, n, crc);
      size += n;
      out.insert(out.end(), data, data + n);
    };
    pos += inflate(b.subspan(pos), sink, what, pos);
    ELBO_CHECK(b.size() - pos >= 8, what, ": truncated gzip file: the CRC32 and ISIZE trailer at byte offset ", pos,
               " needs 8 bytes, ", b.size() - pos, " remain");
    uint32_t want_crc = load_le32(b.data() + pos), want_size = load_le32(b.data() + pos + 4);
    ELBO_CHECK(crc == want_crc, what, ": CRC-32 mismatch in the gzip member at byte offset ", member_at,
               ": the data gives ", crc, ", the trailer records ", want_crc, " (the file is corrupt)");
    ELBO_CHECK(static_cast<uint32_t>(size) == want_size, what, ": size mismatch in the gzip member at byte offset ",
               member_at, ": ", size, " bytes decoded, the trailer records ", want_size, " (mod 2^32)");
    pos += 8;
    // Members may follow one another (RFC 1952 §2.2); zero padding after the last is tolerated, as gzip does.
    if (std::all_of(b.begin() + static_cast<ptrdiff_t>(pos), b.end(), [](uint8_t c) { return c == 0; })) break;
  } while (pos < b.size());
  return out;
}

std::vector<uint8_t> gzip_stored(std::span<const uint8_t> data) {
  std::vector<uint8_t> out = {0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF};  // no flags, no time, OS unknown
  size_t pos = 0;
  do {  // stored blocks of at most 65535 bytes: BFINAL/BTYPE byte, LEN, NLEN, bytes
    size_t n = std::min<size_t>(65535, data.size() - pos);
    bool last = pos + n == data.size();
    out.push_back(last ? 1 : 0);
    uint8_t len[4];
    store_le16(len, static_cast<uint16_t>(n));
    store_le16(len + 2, static_cast<uint16_t>(~n));
    out.insert(out.end(), len, len + 4);
    out.insert(out.end(), data.begin() + static_cast<ptrdiff_t>(pos), data.begin() + static_cast<ptrdiff_t>(pos + n));
    pos += n;
  } while (pos < data.size());
  uint8_t trailer[8];
  store_le32(trailer, crc32(data.data(), data.size()));
  store_le32(trailer + 4, static_cast<uint32_t>(data.size()));
  out.insert(out.end(), trailer, trailer + 8);
  return out;
}

}  // namespace elbo::io
