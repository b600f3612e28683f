// libFuzzer target: the .npy reader (io/npy.hpp) on arbitrary bytes.
#include <cstdint>

#include "elbo/error.hpp"
#include "elbo/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    elbo::Tensor t = elbo::io::read_npy(elbo::io::InputFile::from_memory({data, size}, "fuzz.npy"));
    (void)t;
  } catch (const elbo::Error&) {
  }
  return 0;
}
