#include "elbo/io/idx.hpp"

#include <cstring>

#include "elbo/io/atomic_file.hpp"
#include "elbo/io/gzip.hpp"
#include "elbo/io/input_file.hpp"

namespace elbo::io {

namespace {

struct IdxType {
  uint8_t code;
  int bytes;        // size of one element in the file
  DType dtype;      // tensor dtype it is read into
  const char* name;
};

constexpr IdxType kTypes[] = {{0x08, 1, DType::u8, "unsigned byte"}, {0x09, 1, DType::i32, "signed byte"},
                              {0x0B, 2, DType::i32, "short"},         {0x0C, 4, DType::i32, "int"},
                              {0x0D, 4, DType::f32, "float"},         {0x0E, 8, DType::f64, "double"}};

// Big-endian element k of the data as the tensor's type.
template <class T, class Raw>
void convert(const uint8_t* src, T* dst, uint64_t n) {
  for (uint64_t k = 0; k < n; ++k) {
    Raw raw = 0;
    for (size_t b = 0; b < sizeof(Raw); ++b) raw = static_cast<Raw>((raw << 8) | src[k * sizeof(Raw) + b]);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      std::memcpy(&dst[k], &raw, sizeof(T));  // Raw is the float's bit pattern
    } else {
      dst[k] = static_cast<T>(static_cast<std::make_signed_t<Raw>>(raw));
    }
  }
}

}  // namespace

Tensor parse_idx(std::span<const uint8_t> b, const std::string& what) {
  ELBO_CHECK(b.size() >= 4, what, ": truncated IDX file: ", b.size(), " bytes, the magic number needs 4");
  ELBO_CHECK(b[0] == 0 && b[1] == 0, what, ": not an IDX file: bytes 0–1 are ", int(b[0]), " ", int(b[1]),
             ", expected 0 0 (a magic number 0x00000801 (labels) or 0x00000803 (images))");
  const IdxType* type = nullptr;
  for (const IdxType& t : kTypes)
    if (t.code == b[2]) type = &t;
  ELBO_CHECK(type != nullptr, what, ": unknown IDX element type 0x", std::hex, int(b[2]), std::dec,
             " at byte offset 2; expected 08, 09, 0B, 0C, 0D or 0E");
  int ndim = b[3];
  ELBO_CHECK(ndim >= 1 && ndim <= kMaxDims, what, ": IDX file with ", ndim, " dimensions at byte offset 3; elbo reads 1 to ",
             kMaxDims);
  uint64_t header = 4 + 4 * static_cast<uint64_t>(ndim);
  ELBO_CHECK(b.size() >= header, what, ": truncated IDX header: ", ndim, " extents need ", header, " bytes, the file has ",
             b.size());
  // Element count. The product of the non-zero extents is bounded too (saturated, so that it cannot
  // overflow), so that the strides of an empty array with huge extents stay representable.
  constexpr uint64_t kLimit = uint64_t{1} << 62;
  Shape shape;
  uint64_t n = 1, nonzero = 1;
  for (int i = 0; i < ndim; ++i) {
    uint64_t d = load_be32(b.data() + 4 + 4 * i);
    shape.push_back(static_cast<int64_t>(d));
    if (d == 0) {
      n = 0;
      continue;
    }
    nonzero = nonzero > kLimit / d ? kLimit : nonzero * d;
    n = n > kLimit / d ? kLimit : n * d;
  }
  ELBO_CHECK(nonzero < kLimit / 8, what, ": IDX extents ", shape.str(), " at byte offset 4 are too large");
  ELBO_CHECK(n * type->bytes <= b.size() - header, what, ": IDX ", type->name, " array of shape ",
             shape.str(), " needs more bytes than the file's ", b.size() - header, " after the ", header, "-byte header");
  uint64_t data = n * static_cast<uint64_t>(type->bytes);
  ELBO_CHECK(b.size() - header == data, what, ": IDX ", type->name, " array of shape ", shape.str(), " needs ", data,
             " bytes of data after the ", header, "-byte header, the file has ", b.size() - header);
  Tensor t = empty(shape, type->dtype);
  const uint8_t* src = b.data() + header;
  switch (type->code) {
    case 0x08: std::memcpy(t.data<uint8_t>(), src, n); break;
    case 0x09: convert<int32_t, uint8_t>(src, t.data<int32_t>(), n); break;
    case 0x0B: convert<int32_t, uint16_t>(src, t.data<int32_t>(), n); break;
    case 0x0C: convert<int32_t, uint32_t>(src, t.data<int32_t>(), n); break;
    case 0x0D: convert<float, uint32_t>(src, t.data<float>(), n); break;
    case 0x0E: convert<double, uint64_t>(src, t.data<double>(), n); break;
  }
  return t;
}

Tensor read_idx(const std::string& path) { return decode_idx(read_file(path), path); }

Tensor decode_idx(std::span<const uint8_t> bytes, const std::string& what) {
  if (!is_gzip(bytes)) return parse_idx(bytes, what);
  // A deflate stream expands at most 1032:1 (a 258-byte match per 2 bits): no more output can be real.
  std::vector<uint8_t> raw = gunzip(bytes, what, static_cast<uint64_t>(bytes.size()) * 1032 + 1024);
  return parse_idx(raw, what + " (after gunzip)");
}

std::vector<uint8_t> encode_idx(const Tensor& t) {
  ELBO_CHECK(t.defined() && t.ndim() >= 1, "write_idx: needs a tensor of at least one dimension");
  Tensor c = (t.device() == Device::cpu ? t : t.to(Device::cpu)).contiguous();
  uint8_t code = 0;
  switch (c.dtype()) {
    case DType::u8: code = 0x08; break;
    case DType::i32: code = 0x0C; break;
    case DType::f32: code = 0x0D; break;
    case DType::f64: code = 0x0E; break;
    default: elbo::detail::fail("write_idx: IDX holds u8, i32, f32 or f64 elements, got ", dtype_name(c.dtype()));
  }
  std::vector<uint8_t> out = {0, 0, code, static_cast<uint8_t>(c.ndim())};
  for (int i = 0; i < c.ndim(); ++i) {
    ELBO_CHECK(c.size(i) <= 0xFFFFFFFFll, "write_idx: extent ", c.size(i), " does not fit in 32 bits");
    uint8_t d[4];
    store_be32(d, static_cast<uint32_t>(c.size(i)));
    out.insert(out.end(), d, d + 4);
  }
  size_t item = dtype_size(c.dtype());
  const auto* src = static_cast<const uint8_t*>(c.raw_data());
  size_t header = out.size();
  out.resize(header + static_cast<size_t>(c.numel()) * item);
  for (int64_t k = 0; k < c.numel(); ++k)  // big-endian: bytes of each element reversed
    for (size_t j = 0; j < item; ++j) out[header + static_cast<size_t>(k) * item + j] = src[static_cast<size_t>(k) * item + item - 1 - j];
  return out;
}

void write_idx(const std::string& path, const Tensor& t, bool gzip) {
  std::vector<uint8_t> bytes = encode_idx(t);
  if (gzip) bytes = gzip_stored(bytes);
  write_file_atomic(path, bytes);
}

}  // namespace elbo::io
