#include "elbo/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "elbo/error.hpp"

namespace elbo::io {

std::string errno_text(int err) { return std::strerror(err); }

AtomicFile::AtomicFile(const std::string& path)
    : path_(path), temp_path_(path + ".tmp." + std::to_string(::getpid())) {
  ELBO_CHECK(!path.empty(), "AtomicFile: empty path");
  file_ = std::fopen(temp_path_.c_str(), "wb");
  ELBO_CHECK(file_ != nullptr, "cannot write ", path, ": creating ", temp_path_, " failed: ", errno_text(errno),
             " (does the directory exist and is it writable?)");
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove(temp_path_.c_str());
  }
}

void AtomicFile::write(const void* data, size_t bytes) {
  ELBO_CHECK(file_ != nullptr, "cannot write ", path_, ": the file was already committed");
  if (bytes == 0) return;
  size_t done = std::fwrite(data, 1, bytes, file_);
  ELBO_CHECK(done == bytes, "cannot write ", path_, ": writing ", bytes, " bytes at offset ", written_, " of ",
             temp_path_, " failed: ", errno_text(errno), " (is the disk full?)");
  written_ += bytes;
}

void AtomicFile::commit() {
  ELBO_CHECK(file_ != nullptr, "cannot write ", path_, ": the file was already committed");
  std::FILE* f = file_;
  file_ = nullptr;
  bool ok = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    std::remove(temp_path_.c_str());
    elbo::detail::fail("cannot write ", path_, ": flushing ", temp_path_, " failed: ", errno_text(err));
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    err = errno;
    std::remove(temp_path_.c_str());
    elbo::detail::fail("cannot write ", path_, ": renaming ", temp_path_, " over it failed: ", errno_text(err));
  }
}

void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

void write_file_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::vector<uint8_t> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ELBO_CHECK(fd >= 0, "cannot read ", path, ": ", errno_text(errno));
  std::vector<uint8_t> bytes;
  struct stat st;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) bytes.reserve(static_cast<size_t>(st.st_size));
  uint8_t chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      elbo::detail::fail("cannot read ", path, ": reading at byte offset ", bytes.size(), " failed: ", errno_text(err));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  ::close(fd);
  return bytes;
}

std::string read_text_file(const std::string& path) {
  std::vector<uint8_t> bytes = read_file(path);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace elbo::io
