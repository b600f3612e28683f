// libFuzzer target: the deflate decoder (io/inflate.hpp), checked against stb_image's decoder.
// Any input must decode or fail with elbo::Error, never crash; when both decoders accept a stream,
// their outputs must be identical.
#include <stb/stb_image.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/inflate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> ours;
  try {
    elbo::io::inflate({data, size}, [&](const uint8_t* d, size_t n) { ours.insert(ours.end(), d, d + n); }, "fuzz");
  } catch (const elbo::Error&) {
    return 0;
  }
  // stb needs 16 bits after the last code (see tests/io/test_inflate.cpp): give it 4 more bytes.
  std::vector<uint8_t> in(data, data + size);
  in.insert(in.end(), 4, 0);
  std::vector<uint8_t> theirs(ours.size() + 1);
  int n = stbi_zlib_decode_noheader_buffer(reinterpret_cast<char*>(theirs.data()), static_cast<int>(theirs.size()),
                                           reinterpret_cast<const char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return 0;  // stb rejects some streams elbo accepts (e.g. a distance code it deems incomplete)
  theirs.resize(static_cast<size_t>(n));
  if (theirs != ours) std::abort();  // the two decoders disagree on a stream both accept
  return 0;
}
