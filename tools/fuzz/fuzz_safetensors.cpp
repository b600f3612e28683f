// libFuzzer target: the safetensors reader (io/safetensors.hpp): header, then every tensor.
#include <cstdint>

#include "elbo/error.hpp"
#include "elbo/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace elbo;
  try {
    io::SafetensorsReader reader(io::InputFile::from_memory({data, size}, "fuzz.safetensors"));
    for (const io::SafetensorsEntry& e : reader.entries()) reader.read(e);
  } catch (const Error&) {
  }
  return 0;
}
