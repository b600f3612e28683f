// The safetensors format (huggingface/safetensors, docs "Format"): named tensors, no code.
//
//   bytes 0–7      N, the header's length: unsigned 64-bit little-endian
//   bytes 8–8+N    the header: a UTF-8 JSON object
//                    { "__metadata__": { "key": "value", ... },            (optional; strings only)
//                      "name": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ... }
//                  padded at the end with spaces
//   then           the data buffer; tensor "name" is bytes [begin, end) of it, little-endian, C order
//
// dtypes: F32, F64, I32, I64, U8 (elbo's five). The reader checks what the reference implementation
// checks: N fits in the file (and below 100 MB) before anything is allocated, the header is one JSON
// object, every tensor's end − begin = prod(shape) · itemsize, the tensors tile the data buffer without
// gap or overlap, and the buffer ends where the file ends.
// The writer pads the header so the data starts at a multiple of 8, and lays the data out by element
// size, largest first, so every tensor is aligned to its element size (numpy can view it in place).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "elbo/io/input_file.hpp"
#include "elbo/nn/module.hpp"

namespace elbo::io {

struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::f32;
  Shape shape;
  uint64_t begin = 0, end = 0;  // byte range within the data buffer
};

using StringMap = std::vector<std::pair<std::string, std::string>>;

class SafetensorsReader {
 public:
  explicit SafetensorsReader(const std::string& path);
  explicit SafetensorsReader(InputFile file);

  const std::vector<SafetensorsEntry>& entries() const { return entries_; }  // in header order
  const SafetensorsEntry* find(const std::string& name) const;               // null when absent
  const StringMap& metadata() const { return metadata_; }
  // Reads one tensor into a new CPU tensor.
  Tensor read(const SafetensorsEntry& e) const;
  Tensor read(const std::string& name) const;
  const InputFile& file() const { return file_; }

 private:
  void read_header();
  InputFile file_;
  uint64_t data_offset_ = 0;
  std::vector<SafetensorsEntry> entries_;
  StringMap metadata_;
};

// Writes tensors (any device or strides) and a string map, atomically. Names must be unique,
// non-empty and not "__metadata__".
void write_safetensors(const std::string& path, const std::vector<nn::NamedTensor>& tensors,
                       const StringMap& metadata = {});
// Every tensor of a file, in header order.
std::vector<nn::NamedTensor> read_safetensors(const std::string& path, StringMap* metadata = nullptr);

// "F32" for DType::f32, …
const char* safetensors_dtype_name(DType t);

}  // namespace elbo::io
