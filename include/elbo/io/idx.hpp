// The IDX format of MNIST and Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/):
//
//   bytes 0–1   zero
//   byte  2     element type: 08 u8, 09 i8, 0B i16, 0C i32, 0D f32, 0E f64
//   byte  3     number of dimensions d
//   then        d extents, 4-byte big-endian
//   then        the elements in C order, big-endian, prod(extents) · itemsize bytes exactly
//
// Files are raw or gzip-compressed (".gz", recognised by its magic bytes, not by the name). The
// tensor's dtype: u8 for 08, i32 for 09/0B/0C (widened, values unchanged), f32 for 0D, f64 for 0E.
// MNIST: train-images-idx3-ubyte is u8 [60000, 28, 28], train-labels-idx1-ubyte u8 [60000].
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "elbo/tensor.hpp"

namespace elbo::io {

// Reads an IDX file (raw or gzip) into a new CPU tensor.
Tensor read_idx(const std::string& path);
// The same from the file's bytes in memory (raw or gzip); `what` names them in errors.
Tensor decode_idx(std::span<const uint8_t> bytes, const std::string& what);
// Parses raw IDX bytes (not gzip).
Tensor parse_idx(std::span<const uint8_t> bytes, const std::string& what);
// Writes a u8, i32, f32 or f64 tensor as a raw IDX file (type 08, 0C, 0D or 0E), atomically;
// gzip-compressed (stored blocks) when `gzip` is set.
void write_idx(const std::string& path, const Tensor& t, bool gzip = false);
std::vector<uint8_t> encode_idx(const Tensor& t);

}  // namespace elbo::io
