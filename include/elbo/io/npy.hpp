// NumPy's .npy format (numpy/lib/format.py, "NEP 1"): one array per file.
//
//   bytes 0–5   magic "\x93NUMPY"
//   bytes 6–7   format version: major, minor (1.0, 2.0 or 3.0)
//   next 2 (1.0) or 4 (2.0, 3.0) bytes: header length HLEN, little-endian
//   next HLEN   the header: a Python dict literal, e.g.
//               {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }
//               padded with spaces and ending in '\n' so that the data starts at a multiple of 64
//   then        the elements in C order (last axis fastest), prod(shape) · itemsize bytes
//
// dtypes (descr): '<f4' f32, '<f8' f64, '<i4' i32, '<i8' i64, '|u1' u8, '|b1' bool (read as u8 0/1).
// '<' is little-endian, '|' "not applicable" (one byte), '=' native (this machine: little-endian).
// Rejected with a message: big-endian ('>f4'), Fortran order, object arrays (pickled Python objects),
// structured dtypes and any other descr. Shapes written by Python 2 ("(737280L, 64L)") are accepted.
// The writer uses version 1.0 unless the header needs more than 65535 bytes (then 2.0).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "elbo/io/input_file.hpp"
#include "elbo/tensor.hpp"

namespace elbo::io {

struct NpyHeader {
  DType dtype = DType::f32;
  bool boolean = false;        // '|b1': elements are bytes 0 or 1, read into a u8 tensor
  Shape shape;
  uint64_t header_bytes = 0;   // magic + version + length field + header: where the data starts
  uint64_t data_bytes = 0;     // prod(shape) · itemsize
};

// How many bytes the whole header occupies, from its first bytes; 0 while fewer than 12 bytes are
// given (10 suffice for version 1.0). Fails on a bad magic string or an unknown version.
uint64_t npy_header_length(std::span<const uint8_t> first_bytes, const std::string& what);
// Parses a complete header (`bytes` holds at least npy_header_length(...) bytes).
NpyHeader parse_npy_header(std::span<const uint8_t> bytes, const std::string& what);
// The header for an array of this dtype and shape (`boolean` writes '|b1'; needs u8).
std::vector<uint8_t> make_npy_header(DType dtype, const Shape& shape, bool boolean = false);

// Reads an .npy file (or .npy bytes in memory) into a new CPU tensor.
Tensor read_npy(const std::string& path);
Tensor read_npy(const InputFile& file, uint64_t offset = 0);
// Writes a tensor (any device, any strides) as .npy, atomically. `boolean` writes a u8 tensor of
// 0s and 1s as numpy bool ('|b1').
void write_npy(const std::string& path, const Tensor& t, bool boolean = false);
std::vector<uint8_t> encode_npy(const Tensor& t, bool boolean = false);

// Checks that every byte of a bool array is 0 or 1 (`what` and the element index in the error).
void check_npy_bools(const uint8_t* data, uint64_t n, uint64_t first_index, const std::string& what);

}  // namespace elbo::io
