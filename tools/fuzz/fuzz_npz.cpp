// libFuzzer target: the zip container and .npz reader (io/zip.hpp, io/npz.hpp): list the members,
// read every array (as a tensor and as a stream).
#include <cstdint>

#include "elbo/error.hpp"
#include "elbo/io/npz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace elbo;
  try {
    io::NpzReader npz(io::InputFile::from_memory({data, size}, "fuzz.npz"));
    for (const std::string& name : npz.names()) {
      try {
        npz.read(name);
      } catch (const Error&) {
      }
      try {
        uint64_t total = 0;
        npz.stream(name, [](const io::NpyHeader&) {}, [&](const uint8_t*, size_t n) { total += n; });
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
