// libFuzzer target: the IDX reader (io/idx.hpp) with its gzip layer (io/gzip.hpp).
#include <cstdint>

#include "elbo/error.hpp"
#include "elbo/io/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    elbo::io::decode_idx({data, size}, "fuzz-idx");
  } catch (const elbo::Error&) {
  }
  return 0;
}
