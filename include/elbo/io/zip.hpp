// The zip container (PKWARE APPNOTE.TXT 6.3), as numpy's .npz files use it.
//
// A zip file is a sequence of members, each a local header (signature PK\3\4, 30 bytes + name +
// extra field) followed by its data, then a central directory (one PK\1\2 record of 46 bytes + name
// + extra + comment per member, with the member's sizes, CRC-32 and local header offset) and an
// end-of-central-directory record (PK\5\6, 22 bytes + comment) that locates the directory. Sizes
// and offsets are 32-bit; beyond 4 GB (or 65535 members), "zip64" moves them to 64-bit fields: an
// extra field with ID 0x0001 in the headers, and a zip64 end record (PK\6\6) found through a
// locator (PK\6\7) just before the end record.
//
// The reader finds the end record, reads the directory, and reads a member through its local
// header only when asked, so reading one member never reads the others. Members are stored
// (method 0) or deflated (method 8, inflate.hpp); each is checked against the directory's size
// and CRC-32. Encrypted members, split archives and other methods are rejected.
// The writer stores members uncompressed with their CRC-32, switching to zip64 where a size or
// offset needs it, with a fixed timestamp (1980-01-01 00:00) so that equal content gives equal files.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "elbo/io/atomic_file.hpp"
#include "elbo/io/inflate.hpp"
#include "elbo/io/input_file.hpp"

namespace elbo::io {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;  // uncompressed
  uint64_t local_header_offset = 0;
};

class ZipReader {
 public:
  explicit ZipReader(const std::string& path);
  explicit ZipReader(InputFile file);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;  // null when absent
  const InputFile& file() const { return file_; }

  // Where the member's data starts in the file (after its local header).
  uint64_t data_offset(const ZipEntry& e) const;
  // Streams the member's uncompressed bytes to `sink` in order, then checks size and CRC-32.
  void read(const ZipEntry& e, const ByteSink& sink) const;
  std::vector<uint8_t> read(const ZipEntry& e) const;

 private:
  void read_directory();
  InputFile file_;
  std::vector<ZipEntry> entries_;
};

class ZipWriter {
 public:
  // `force_zip64` writes zip64 records for every member (as Python's ZipFile(force_zip64=True)).
  explicit ZipWriter(const std::string& path, bool force_zip64 = false);
  // Adds a stored member whose content is the concatenation of `parts`.
  void add(const std::string& name, std::span<const std::span<const uint8_t>> parts);
  void add(const std::string& name, std::span<const uint8_t> bytes);
  // Writes the central directory and commits the file.
  void finish();

 private:
  AtomicFile file_;
  bool force_zip64_;
  std::vector<ZipEntry> entries_;
  bool finished_ = false;
};

}  // namespace elbo::io
