#include "elbo/io/zip.hpp"

#include <algorithm>
#include <cstring>

#include "elbo/error.hpp"
#include "elbo/io/crc32.hpp"

namespace elbo::io {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;      // PK\3\4
constexpr uint32_t kCentralSig = 0x02014b50;    // PK\1\2
constexpr uint32_t kEndSig = 0x06054b50;        // PK\5\6
constexpr uint32_t kZip64EndSig = 0x06064b50;   // PK\6\6
constexpr uint32_t kZip64LocatorSig = 0x07064b50;  // PK\6\7
constexpr uint64_t kLocalHeaderSize = 30, kCentralHeaderSize = 46, kEndSize = 22;
constexpr uint64_t kZip64EndSize = 56, kZip64LocatorSize = 20;
constexpr uint32_t kMax32 = 0xFFFFFFFFu;
constexpr uint16_t kMax16 = 0xFFFF;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint16_t kDosDate1980 = (0 << 9) | (1 << 5) | 1;  // 1980-01-01; time 00:00:00 is 0

}  // namespace

// ---- reader -------------------------------------------------------------------------------------

ZipReader::ZipReader(const std::string& path) : file_(path) { read_directory(); }
ZipReader::ZipReader(InputFile file) : file_(std::move(file)) { read_directory(); }

void ZipReader::read_directory() {
  const std::string& name = file_.name();
  uint64_t size = file_.size();
  ELBO_CHECK(size >= kEndSize, name, ": not a zip file: ", size, " bytes, fewer than the 22 of an end record");
  // The end record is the last thing in the file, followed only by a comment of at most 65535 bytes.
  uint64_t tail_size = std::min<uint64_t>(size, kEndSize + kMax16);
  uint64_t tail_at = size - tail_size;
  std::vector<uint8_t> tail = file_.read_bytes(tail_at, tail_size, "zip end-of-central-directory search");
  int64_t end_pos = -1;
  for (int64_t i = static_cast<int64_t>(tail_size - kEndSize); i >= 0; --i) {
    const uint8_t* p = tail.data() + i;
    if (load_le32(p) == kEndSig && i + kEndSize + load_le16(p + 20) == tail_size) {
      end_pos = i;
      break;
    }
  }
  ELBO_CHECK(end_pos >= 0, name, ": not a zip file (or truncated): no end-of-central-directory record (PK\\5\\6) in the last ",
             tail_size, " bytes");
  const uint8_t* end = tail.data() + end_pos;
  uint64_t end_at = tail_at + static_cast<uint64_t>(end_pos);
  uint16_t disk = load_le16(end + 4), cd_disk = load_le16(end + 6);
  uint64_t count = load_le16(end + 10);
  uint64_t cd_size = load_le32(end + 12), cd_offset = load_le32(end + 16);
  ELBO_CHECK((disk == 0 && cd_disk == 0) || disk == kMax16, name, ": split (multi-disk) zip archives are not supported");
  // zip64: a locator just before the end record points to the zip64 end record.
  if (end_at >= kZip64LocatorSize) {
    uint8_t loc[kZip64LocatorSize];
    file_.read(end_at - kZip64LocatorSize, loc, kZip64LocatorSize, "zip64 end locator");
    if (load_le32(loc) == kZip64LocatorSig) {
      uint64_t z64_at = load_le64(loc + 8);
      uint8_t z[kZip64EndSize];
      file_.read(z64_at, z, kZip64EndSize, "zip64 end-of-central-directory record");
      ELBO_CHECK(load_le32(z) == kZip64EndSig, name, ": corrupt zip64 locator: byte offset ", z64_at,
                 " holds no zip64 end record (PK\\6\\6)");
      count = load_le64(z + 32);
      cd_size = load_le64(z + 40);
      cd_offset = load_le64(z + 48);
    }
  }
  ELBO_CHECK(cd_offset <= size && cd_size <= size - cd_offset, name, ": corrupt zip directory: it claims bytes [",
             cd_offset, ", ", cd_offset + cd_size, ") of a ", size, "-byte file");
  ELBO_CHECK(count <= cd_size / kCentralHeaderSize, name, ": corrupt zip directory: ", count, " members cannot fit in ",
             cd_size, " bytes");
  std::vector<uint8_t> cd = file_.read_bytes(cd_offset, cd_size, "zip central directory");
  uint64_t pos = 0;
  entries_.reserve(static_cast<size_t>(count));
  for (uint64_t k = 0; k < count; ++k) {
    ELBO_CHECK(cd_size - pos >= kCentralHeaderSize, name, ": corrupt zip directory: member ", k, " at byte offset ",
               cd_offset + pos, " is cut off");
    const uint8_t* h = cd.data() + pos;
    ELBO_CHECK(load_le32(h) == kCentralSig, name, ": corrupt zip directory: no member record (PK\\1\\2) at byte offset ",
               cd_offset + pos);
    uint16_t flags = load_le16(h + 8);
    ZipEntry e;
    e.method = load_le16(h + 10);
    e.crc32 = load_le32(h + 16);
    e.compressed_size = load_le32(h + 20);
    e.size = load_le32(h + 24);
    uint64_t name_len = load_le16(h + 28), extra_len = load_le16(h + 30), comment_len = load_le16(h + 32);
    e.local_header_offset = load_le32(h + 42);
    uint64_t record = kCentralHeaderSize + name_len + extra_len + comment_len;
    ELBO_CHECK(cd_size - pos >= record, name, ": corrupt zip directory: member ", k, " at byte offset ",
               cd_offset + pos, " is cut off");
    e.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_len);
    ELBO_CHECK(!(flags & 1), name, ": member '", e.name, "' is encrypted; elbo reads unencrypted zip files");
    // zip64 extra field: the 64-bit values of those fields that hold 0xFFFFFFFF, in this order.
    const uint8_t* extra = h + kCentralHeaderSize + name_len;
    for (uint64_t x = 0; x + 4 <= extra_len;) {
      uint16_t id = load_le16(extra + x), len = load_le16(extra + x + 2);
      ELBO_CHECK(x + 4 + len <= extra_len, name, ": corrupt extra field in the directory record of '", e.name, "'");
      if (id == kZip64ExtraId) {
        const uint8_t* v = extra + x + 4;
        uint64_t used = 0;
        auto take = [&](uint64_t& field) {
          if (field != kMax32) return;
          ELBO_CHECK(used + 8 <= len, name, ": corrupt zip64 extra field in the directory record of '", e.name, "'");
          field = load_le64(v + used);
          used += 8;
        };
        take(e.size);
        take(e.compressed_size);
        take(e.local_header_offset);
      }
      x += 4 + len;
    }
    ELBO_CHECK(e.method == 0 || e.method == 8, name, ": member '", e.name, "' uses compression method ", e.method,
               "; elbo reads stored (0) and deflated (8) members");
    ELBO_CHECK(e.method != 0 || e.size == e.compressed_size, name, ": corrupt zip directory: stored member '", e.name,
               "' has size ", e.size, " but compressed size ", e.compressed_size);
    // Deflate expands at most 1032:1 (a 258-byte match costs at least 2 bits), so a larger recorded
    // size is corrupt; checking it here bounds what a reader allocates from the directory's word.
    ELBO_CHECK(e.method != 8 || e.size <= e.compressed_size * 1032 + 1024, name, ": corrupt zip directory: member '",
               e.name, "' claims ", e.size, " bytes from ", e.compressed_size, " deflated bytes, beyond deflate's 1032:1");
    ELBO_CHECK(e.local_header_offset <= cd_offset && e.compressed_size <= cd_offset - e.local_header_offset, name,
               ": corrupt zip directory: member '", e.name, "' claims bytes from offset ", e.local_header_offset,
               " with ", e.compressed_size, " bytes of data, past the directory at ", cd_offset);
    entries_.push_back(std::move(e));
    pos += record;
  }
}

const ZipEntry* ZipReader::find(const std::string& name) const {
  for (const ZipEntry& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

uint64_t ZipReader::data_offset(const ZipEntry& e) const {
  uint8_t h[kLocalHeaderSize];
  file_.read(e.local_header_offset, h, kLocalHeaderSize, "zip local header");
  ELBO_CHECK(load_le32(h) == kLocalSig, file_.name(), ": corrupt zip: no local header (PK\\3\\4) for member '", e.name,
             "' at byte offset ", e.local_header_offset);
  uint64_t at = e.local_header_offset + kLocalHeaderSize + load_le16(h + 26) + load_le16(h + 28);
  ELBO_CHECK(at <= file_.size() && e.compressed_size <= file_.size() - at, file_.name(), ": truncated zip: member '",
             e.name, "' needs bytes [", at, ", ", at + e.compressed_size, ") but the file has ", file_.size());
  return at;
}

void ZipReader::read(const ZipEntry& e, const ByteSink& sink) const {
  const std::string& name = file_.name();
  uint64_t at = data_offset(e);
  uint32_t crc = 0;
  uint64_t produced = 0;
  std::string what = name + " member '" + e.name + "'";
  if (e.method == 0) {
    std::vector<uint8_t> chunk(std::min<uint64_t>(e.size, uint64_t{1} << 20));
    for (uint64_t done = 0; done < e.size;) {
      uint64_t n = std::min<uint64_t>(chunk.size(), e.size - done);
      file_.read(at + done, chunk.data(), n, "zip member data");
      crc = crc32(chunk.data(), n, crc);
      sink(chunk.data(), n);
      done += n;
    }
    produced = e.size;
  } else {
    std::vector<uint8_t> packed = file_.read_bytes(at, e.compressed_size, "deflated zip member");
    // The directory's size bounds the output: a corrupt stream cannot make it grow without limit.
    ByteSink counted = [&](const uint8_t* data, size_t n) {
      ELBO_CHECK(n <= e.size - produced, what, ": the deflate stream decodes to more than the ", e.size,
                 " bytes the zip directory records");
      crc = crc32(data, n, crc);
      produced += n;
      sink(data, n);
    };
    inflate(packed, counted, what, at);
  }
  ELBO_CHECK(produced == e.size, what, ": decoded ", produced, " bytes, the zip directory records ", e.size);
  ELBO_CHECK(crc == e.crc32, what, ": CRC-32 mismatch: the data gives ", crc, ", the zip directory records ", e.crc32,
             " (the file is corrupt)");
}

std::vector<uint8_t> ZipReader::read(const ZipEntry& e) const {
  // The recorded size is bounded by the directory checks (stored: inside the file; deflated: at most
  // 1032 times the compressed size); reserve at most 16 MiB ahead anyway and grow with the data.
  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>(std::min<uint64_t>(e.size, uint64_t{1} << 24)));
  read(e, [&](const uint8_t* data, size_t n) { out.insert(out.end(), data, data + n); });
  return out;
}

// ---- writer -------------------------------------------------------------------------------------

ZipWriter::ZipWriter(const std::string& path, bool force_zip64) : file_(path), force_zip64_(force_zip64) {}

void ZipWriter::add(const std::string& name, std::span<const uint8_t> bytes) {
  std::span<const uint8_t> parts[1] = {bytes};
  add(name, parts);
}

void ZipWriter::add(const std::string& name, std::span<const std::span<const uint8_t>> parts) {
  ELBO_CHECK(!finished_, "zip: cannot add '", name, "' to ", file_.path(), ": the archive is finished");
  ELBO_CHECK(!name.empty() && name.size() <= kMax16, "zip: member name must have 1 to 65535 bytes, got ", name.size());
  for (const ZipEntry& e : entries_) ELBO_CHECK(e.name != name, "zip: duplicate member name '", name, "'");
  ZipEntry e;
  e.name = name;
  e.method = 0;
  for (std::span<const uint8_t> p : parts) {
    e.crc32 = crc32(p.data(), p.size(), e.crc32);
    e.size += p.size();
  }
  e.compressed_size = e.size;
  e.local_header_offset = file_.bytes_written();
  bool zip64 = force_zip64_ || e.size >= kMax32;
  std::vector<uint8_t> h(kLocalHeaderSize + name.size() + (zip64 ? 20 : 0));
  store_le32(h.data(), kLocalSig);
  store_le16(h.data() + 4, zip64 ? 45 : 20);  // version needed: 4.5 for zip64, 2.0 otherwise
  bool utf8 = std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  store_le16(h.data() + 6, utf8 ? (1 << 11) : 0);  // bit 11: the name is UTF-8
  store_le16(h.data() + 8, 0);                     // stored
  store_le16(h.data() + 10, 0);
  store_le16(h.data() + 12, kDosDate1980);
  store_le32(h.data() + 14, e.crc32);
  store_le32(h.data() + 18, zip64 ? kMax32 : static_cast<uint32_t>(e.size));
  store_le32(h.data() + 22, zip64 ? kMax32 : static_cast<uint32_t>(e.size));
  store_le16(h.data() + 26, static_cast<uint16_t>(name.size()));
  store_le16(h.data() + 28, zip64 ? 20 : 0);
  std::memcpy(h.data() + kLocalHeaderSize, name.data(), name.size());
  if (zip64) {  // the local zip64 field holds both sizes
    uint8_t* x = h.data() + kLocalHeaderSize + name.size();
    store_le16(x, kZip64ExtraId);
    store_le16(x + 2, 16);
    store_le64(x + 4, e.size);
    store_le64(x + 12, e.size);
  }
  file_.write(h);
  for (std::span<const uint8_t> p : parts) file_.write(p);
  entries_.push_back(std::move(e));
}

void ZipWriter::finish() {
  ELBO_CHECK(!finished_, "zip: ", file_.path(), " is already finished");
  finished_ = true;
  uint64_t cd_offset = file_.bytes_written();
  for (const ZipEntry& e : entries_) {
    bool big_size = force_zip64_ || e.size >= kMax32;
    bool big_offset = force_zip64_ || e.local_header_offset >= kMax32;
    uint16_t extra_len = static_cast<uint16_t>((big_size || big_offset) ? 4 + (big_size ? 16 : 0) + (big_offset ? 8 : 0) : 0);
    std::vector<uint8_t> h(kCentralHeaderSize + e.name.size() + extra_len);
    bool zip64 = extra_len > 0;
    store_le32(h.data(), kCentralSig);
    store_le16(h.data() + 4, (3 << 8) | (zip64 ? 45 : 20));  // made by: Unix, version 4.5 / 2.0
    store_le16(h.data() + 6, zip64 ? 45 : 20);
    bool utf8 = std::any_of(e.name.begin(), e.name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    store_le16(h.data() + 8, utf8 ? (1 << 11) : 0);
    store_le16(h.data() + 10, 0);
    store_le16(h.data() + 12, 0);
    store_le16(h.data() + 14, kDosDate1980);
    store_le32(h.data() + 16, e.crc32);
    store_le32(h.data() + 20, big_size ? kMax32 : static_cast<uint32_t>(e.size));
    store_le32(h.data() + 24, big_size ? kMax32 : static_cast<uint32_t>(e.size));
    store_le16(h.data() + 28, static_cast<uint16_t>(e.name.size()));
    store_le16(h.data() + 30, extra_len);
    store_le16(h.data() + 32, 0);                   // comment length
    store_le16(h.data() + 34, 0);                   // disk number
    store_le16(h.data() + 36, 0);                   // internal attributes
    store_le32(h.data() + 38, 0644u << 16);         // external attributes: Unix mode rw-r--r--
    store_le32(h.data() + 42, big_offset ? kMax32 : static_cast<uint32_t>(e.local_header_offset));
    std::memcpy(h.data() + kCentralHeaderSize, e.name.data(), e.name.size());
    if (zip64) {
      uint8_t* x = h.data() + kCentralHeaderSize + e.name.size();
      store_le16(x, kZip64ExtraId);
      store_le16(x + 2, static_cast<uint16_t>(extra_len - 4));
      x += 4;
      if (big_size) {
        store_le64(x, e.size);
        store_le64(x + 8, e.size);
        x += 16;
      }
      if (big_offset) store_le64(x, e.local_header_offset);
    }
    file_.write(h);
  }
  uint64_t cd_size = file_.bytes_written() - cd_offset;
  uint64_t count = entries_.size();
  bool zip64 = force_zip64_ || count >= kMax16 || cd_offset >= kMax32 || cd_size >= kMax32;
  if (zip64) {
    uint64_t z64_at = file_.bytes_written();
    uint8_t z[kZip64EndSize + kZip64LocatorSize] = {};
    store_le32(z, kZip64EndSig);
    store_le64(z + 4, kZip64EndSize - 12);  // size of the rest of this record
    store_le16(z + 12, (3 << 8) | 45);
    store_le16(z + 14, 45);
    store_le64(z + 24, count);
    store_le64(z + 32, count);
    store_le64(z + 40, cd_size);
    store_le64(z + 48, cd_offset);
    uint8_t* loc = z + kZip64EndSize;
    store_le32(loc, kZip64LocatorSig);
    store_le64(loc + 8, z64_at);
    store_le32(loc + 16, 1);  // total number of disks
    file_.write(z, sizeof z);
  }
  uint8_t end[kEndSize] = {};
  store_le32(end, kEndSig);
  store_le16(end + 8, zip64 ? kMax16 : static_cast<uint16_t>(count));
  store_le16(end + 10, zip64 ? kMax16 : static_cast<uint16_t>(count));
  store_le32(end + 12, zip64 ? kMax32 : static_cast<uint32_t>(cd_size));
  store_le32(end + 16, zip64 ? kMax32 : static_cast<uint32_t>(cd_offset));
  file_.write(end, sizeof end);
  file_.commit();
}

}  // namespace elbo::io
