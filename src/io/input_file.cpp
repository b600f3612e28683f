#include "elbo/io/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"

namespace elbo::io {

InputFile::InputFile(const std::string& path) : name_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ELBO_CHECK(fd_ >= 0, "cannot read ", path, ": ", errno_text(errno));
  struct stat st;
  std::string problem;
  if (::fstat(fd_, &st) != 0) problem = errno_text(errno);
  else if (S_ISDIR(st.st_mode)) problem = "it is a directory, not a file";
  else if (!S_ISREG(st.st_mode)) problem = "it is not a regular file";
  if (!problem.empty()) {
    ::close(fd_);
    fd_ = -1;
    elbo::detail::fail("cannot read ", path, ": ", problem);
  }
  size_ = static_cast<uint64_t>(st.st_size);
}

InputFile InputFile::from_memory(std::span<const uint8_t> bytes, const std::string& name) {
  InputFile f;
  f.name_ = name;
  f.memory_.assign(bytes.begin(), bytes.end());
  f.size_ = bytes.size();
  return f;
}

InputFile::InputFile(InputFile&& other) noexcept
    : name_(std::move(other.name_)), fd_(other.fd_), memory_(std::move(other.memory_)), size_(other.size_) {
  other.fd_ = -1;
  other.memory_.clear();
  other.size_ = 0;
}

InputFile& InputFile::operator=(InputFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    name_ = std::move(other.name_);
    fd_ = other.fd_;
    memory_ = std::move(other.memory_);
    size_ = other.size_;
    other.fd_ = -1;
    other.memory_.clear();
    other.size_ = 0;
  }
  return *this;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InputFile::read(uint64_t offset, void* dst, uint64_t n, const char* what) const {
  ELBO_CHECK(offset <= size_ && n <= size_ - offset, name_, ": truncated or corrupt: ", what, " needs bytes [",
             offset, ", ", offset + n, ") but the file has ", size_, " bytes");
  if (n == 0) return;
  if (fd_ < 0) {  // from_memory (n > 0 here, so the bytes exist)
    std::memcpy(dst, memory_.data() + offset, n);
    return;
  }
  auto* out = static_cast<uint8_t*>(dst);
  uint64_t done = 0;
  while (done < n) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(n - done, uint64_t{1} << 30));
    ssize_t got = ::pread(fd_, out + done, chunk, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    ELBO_CHECK(got > 0, name_, ": reading ", what, " at byte offset ", offset + done, " failed: ",
               got == 0 ? std::string("the file shrank while being read") : errno_text(errno));
    done += static_cast<uint64_t>(got);
  }
}

std::vector<uint8_t> InputFile::read_bytes(uint64_t offset, uint64_t n, const char* what) const {
  // Check the range before allocating: a corrupt length field must not cause a huge allocation.
  ELBO_CHECK(offset <= size_ && n <= size_ - offset, name_, ": truncated or corrupt: ", what, " needs bytes [",
             offset, ", ", offset + n, ") but the file has ", size_, " bytes");
  std::vector<uint8_t> bytes(static_cast<size_t>(n));
  read(offset, bytes.data(), n, what);
  return bytes;
}

}  // namespace elbo::io
