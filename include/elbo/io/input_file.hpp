// Random-access reads from a file (or from bytes in memory), every read checked against the size.
//
// Readers of binary formats take their headers and data through InputFile::read, which fails with
// the file's name, the byte range asked for, what it was meant to hold and the file's size, rather
// than reading past the end. Reads are positional (pread), so one InputFile may serve several
// threads at once. The byte-order helpers below decode integers from byte arrays explicitly,
// independent of the machine's own order.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace elbo::io {

class InputFile {
 public:
  explicit InputFile(const std::string& path);
  // Bytes in memory read through the same checked interface (tests, fuzzing); the InputFile keeps
  // its own copy, so a temporary buffer may be passed.
  static InputFile from_memory(std::span<const uint8_t> bytes, const std::string& name);
  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  const std::string& name() const { return name_; }
  uint64_t size() const { return size_; }
  // Reads bytes [offset, offset + n) into dst; `what` names the content for the error message.
  void read(uint64_t offset, void* dst, uint64_t n, const char* what) const;
  std::vector<uint8_t> read_bytes(uint64_t offset, uint64_t n, const char* what) const;

 private:
  InputFile() = default;
  std::string name_;
  int fd_ = -1;
  std::vector<uint8_t> memory_;  // from_memory's bytes
  uint64_t size_ = 0;
};

// ---- byte order ------------------------------------------------------------------------------
inline uint16_t load_le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
inline uint64_t load_le64(const uint8_t* p) {
  return static_cast<uint64_t>(load_le32(p)) | (static_cast<uint64_t>(load_le32(p + 4)) << 32);
}
inline uint32_t load_be32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}
inline void store_le16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void store_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void store_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void store_be32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

}  // namespace elbo::io
