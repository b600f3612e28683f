// Files written all at once or not at all, and whole-file reads with clear errors.
//
// A writer never leaves a half-written file under the final name: it writes `path.tmp.<pid>`,
// flushes it to the disk (fsync) and renames it over `path`. rename(2) within one directory is
// atomic on POSIX file systems, so a reader (or a run that crashed mid-write and restarts) sees
// either the old file or the complete new one. If the writer is destroyed before commit() (an
// exception while writing), the temporary file is removed and `path` is left as it was.
#pragma once
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

namespace elbo::io {

class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);  // opens path.tmp.<pid> for writing
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // removes the temporary file unless committed

  void write(const void* data, size_t bytes);
  void write(std::span<const uint8_t> bytes) { write(bytes.data(), bytes.size()); }
  uint64_t bytes_written() const { return written_; }
  // Flushes, fsyncs and renames the temporary file over the final path.
  void commit();

  const std::string& path() const { return path_; }

 private:
  std::string path_, temp_path_;
  std::FILE* file_ = nullptr;
  uint64_t written_ = 0;
};

// Writes `bytes` to `path` through an AtomicFile.
void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);
void write_file_atomic(const std::string& path, const std::string& text);

// The whole content of a file. Errors name the path and the system's reason (errno text).
std::vector<uint8_t> read_file(const std::string& path);
std::string read_text_file(const std::string& path);

// The system's text for errno `err` ("No such file or directory").
std::string errno_text(int err);

}  // namespace elbo::io
