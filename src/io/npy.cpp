#include "elbo/io/npy.hpp"

#include <bit>
#include <cstring>

#include "elbo/io/atomic_file.hpp"

namespace elbo::io {

static_assert(std::endian::native == std::endian::little, "elbo's file readers assume a little-endian machine");

namespace {

constexpr uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr uint64_t kMaxBytes = uint64_t{1} << 62;

// A cursor over the header's dict literal. Errors name the file and the header's text position.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& what, uint64_t base) : text_(text), what_(what), base_(base) {}

  [[noreturn]] void fail(const std::string& message) const {
    elbo::detail::fail(what_, ": bad .npy header at byte offset ", base_ + pos_, ": ", message, "; header is: ",
                       std::string(text_.substr(0, 200)));
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) ++pos_;
  }
  bool take(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c, const char* where) {
    if (!take(c)) fail(std::string("expected '") + c + "' " + where);
  }
  std::string quoted() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) fail("expected a quoted string");
    char q = text_[pos_++];
    size_t end = text_.find(q, pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string s(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  bool boolean() {
    skip_space();
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("expected True or False");
  }
  // A tuple of non-negative integers: "()", "(5,)", "(3, 4)"; Python 2's "3L" suffix is allowed.
  Shape shape() {
    expect('(', "to open the shape tuple");
    Shape s;
    while (!take(')')) {
      skip_space();
      uint64_t v = 0;
      size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        v = v * 10 + static_cast<uint64_t>(text_[pos_] - '0');
        if (v > (uint64_t{1} << 50)) fail("an extent larger than 2^50");
        ++pos_;
      }
      if (pos_ == start) fail("expected a non-negative integer in the shape");
      if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;
      if (s.ndim == kMaxDims) fail("more than " + std::to_string(kMaxDims) + " dimensions (elbo's maximum)");
      s.push_back(static_cast<int64_t>(v));
      if (!take(',')) {
        expect(')', "to close the shape tuple");
        break;
      }
    }
    return s;
  }
  bool at_end() {
    skip_space();
    return pos_ >= text_.size();
  }

 private:
  std::string_view text_;
  const std::string& what_;
  uint64_t base_;
  size_t pos_ = 0;
};

void parse_descr(const std::string& descr, NpyHeader& h, HeaderParser& p) {
  if (descr.size() != 3) {
    if (descr == "|O" || descr == "O") {
      p.fail("the array holds Python objects (descr '|O', saved with pickling); elbo reads numeric arrays only");
    }
    p.fail("unsupported descr '" + descr + "'; elbo reads '<f4', '<f8', '<i4', '<i8', '|u1' and '|b1'");
  }
  char order = descr[0];
  std::string kind = descr.substr(1);
  bool one_byte = kind == "u1" || kind == "b1";
  if (order == '>' && !one_byte)
    p.fail("big-endian data (descr '" + descr + "'); convert it with numpy: a.astype(a.dtype.newbyteorder('<'))");
  if (order != '<' && order != '=' && order != '|' && !(one_byte && order == '>'))
    p.fail("unknown byte order '" + std::string(1, order) + "' in descr '" + descr + "'");
  if (kind == "f4") h.dtype = DType::f32;
  else if (kind == "f8") h.dtype = DType::f64;
  else if (kind == "i4") h.dtype = DType::i32;
  else if (kind == "i8") h.dtype = DType::i64;
  else if (kind == "u1") h.dtype = DType::u8;
  else if (kind == "b1") {
    h.dtype = DType::u8;
    h.boolean = true;
  } else {
    p.fail("unsupported descr '" + descr + "'; elbo reads '<f4', '<f8', '<i4', '<i8', '|u1' and '|b1'");
  }
}

}  // namespace

uint64_t npy_header_length(std::span<const uint8_t> b, const std::string& what) {
  if (b.size() < 10) return 0;
  ELBO_CHECK(std::memcmp(b.data(), kMagic, 6) == 0, what, ": not a .npy array: the first bytes are not \"\\x93NUMPY\"");
  uint8_t major = b[6];
  ELBO_CHECK(major >= 1 && major <= 3, what, ": .npy format version ", int(major), ".", int(b[7]),
             " at byte offset 6 is unknown; elbo reads versions 1.0, 2.0 and 3.0");
  if (major == 1) return 10 + uint64_t{load_le16(b.data() + 8)};
  if (b.size() < 12) return 0;
  return 12 + uint64_t{load_le32(b.data() + 8)};
}

NpyHeader parse_npy_header(std::span<const uint8_t> b, const std::string& what) {
  uint64_t total = npy_header_length(b, what);
  ELBO_CHECK(total != 0 && total <= b.size(), what, ": truncated .npy header: ", b.size(), " bytes, expected ",
             total == 0 ? uint64_t{12} : total);
  uint64_t text_start = b[6] == 1 ? 10 : 12;
  std::string_view text(reinterpret_cast<const char*>(b.data()) + text_start, total - text_start);
  HeaderParser p(text, what, text_start);
  NpyHeader h;
  bool have_descr = false, have_order = false, have_shape = false;
  p.expect('{', "to open the header dict");
  while (!p.take('}')) {
    std::string key = p.quoted();
    p.expect(':', "after a key");
    if (key == "descr") {
      p.skip_space();
      parse_descr(p.quoted(), h, p);
      have_descr = true;
    } else if (key == "fortran_order") {
      if (p.boolean())
        p.fail("the array is in Fortran order; save it in C order (np.ascontiguousarray) for elbo");
      have_order = true;
    } else if (key == "shape") {
      h.shape = p.shape();
      have_shape = true;
    } else {
      p.fail("unknown key '" + key + "'");
    }
    if (!p.take(',')) {
      p.expect('}', "to close the header dict");
      break;
    }
  }
  if (!p.at_end()) p.fail("unexpected text after the dict");
  if (!have_descr || !have_order || !have_shape) p.fail("the dict needs the keys 'descr', 'fortran_order' and 'shape'");
  // Element count; the product of the non-zero extents is bounded too, so that the strides of an
  // empty array with huge extents (0, 2^40, 2^40) stay representable.
  uint64_t n = 1, nonzero = 1;
  for (int i = 0; i < h.shape.ndim; ++i) {
    uint64_t d = static_cast<uint64_t>(h.shape[i]);
    if (d == 0) {
      n = 0;
      continue;
    }
    if (nonzero > kMaxBytes / 8 / d) p.fail("the array has more than 2^59 elements");
    nonzero *= d;
    n *= d;
  }
  h.header_bytes = total;
  h.data_bytes = n * dtype_size(h.dtype);
  return h;
}

std::vector<uint8_t> make_npy_header(DType dtype, const Shape& shape, bool boolean) {
  ELBO_CHECK(!boolean || dtype == DType::u8, "npy: a bool array must be u8 (0s and 1s), got ", dtype_name(dtype));
  const char* descr = "";
  switch (dtype) {
    case DType::f32: descr = "<f4"; break;
    case DType::f64: descr = "<f8"; break;
    case DType::i32: descr = "<i4"; break;
    case DType::i64: descr = "<i8"; break;
    case DType::u8: descr = boolean ? "|b1" : "|u1"; break;
  }
  std::string dims;
  for (int i = 0; i < shape.ndim; ++i) dims += (i > 0 ? ", " : "") + std::to_string(shape[i]);
  if (shape.ndim == 1) dims += ",";  // Python's one-element tuple
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Pad with spaces so that magic + version + length + dict + '\n' is a multiple of 64.
  bool v2 = dict.size() + 1 + 10 > 65535;
  size_t prefix = v2 ? 12 : 10;
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::vector<uint8_t> out(prefix);
  std::memcpy(out.data(), kMagic, 6);
  out[6] = v2 ? 2 : 1;
  out[7] = 0;
  if (v2) store_le32(out.data() + 8, static_cast<uint32_t>(dict.size()));
  else store_le16(out.data() + 8, static_cast<uint16_t>(dict.size()));
  out.insert(out.end(), dict.begin(), dict.end());
  return out;
}

void check_npy_bools(const uint8_t* data, uint64_t n, uint64_t first_index, const std::string& what) {
  for (uint64_t i = 0; i < n; ++i)
    ELBO_CHECK(data[i] <= 1, what, ": bool element ", first_index + i, " holds the byte ", int(data[i]),
               "; numpy bools are 0 or 1");
}

Tensor read_npy(const InputFile& file, uint64_t offset) {
  uint8_t first[12] = {};
  uint64_t have = std::min<uint64_t>(12, file.size() > offset ? file.size() - offset : 0);
  file.read(offset, first, have, ".npy magic and header length");
  uint64_t length = npy_header_length({first, have}, file.name());
  ELBO_CHECK(length != 0, file.name(), ": truncated .npy file: ", have, " bytes at offset ", offset,
             ", fewer than the 12 of a header");
  std::vector<uint8_t> header = file.read_bytes(offset, length, ".npy header");
  NpyHeader h = parse_npy_header(header, file.name());
  uint64_t data_at = offset + h.header_bytes;
  uint64_t available = file.size() - data_at;  // read_bytes above checked data_at ≤ size
  ELBO_CHECK(available >= h.data_bytes, file.name(), ": truncated .npy data: shape ", h.shape.str(), " of ",
             dtype_name(h.dtype), " needs ", h.data_bytes, " bytes from byte offset ", data_at, ", the file has ",
             available);
  ELBO_CHECK(available == h.data_bytes, file.name(), ": ", available - h.data_bytes,
             " unexpected bytes after the array data, which ends at byte offset ", data_at + h.data_bytes);
  Tensor t = empty(h.shape, h.dtype);
  file.read(data_at, t.raw_data(), h.data_bytes, ".npy array data");
  if (h.boolean) check_npy_bools(static_cast<const uint8_t*>(t.raw_data()), h.data_bytes, 0, file.name());
  return t;
}

Tensor read_npy(const std::string& path) {
  InputFile file(path);
  return read_npy(file, 0);
}

namespace {
Tensor host_contiguous(const Tensor& t) {
  ELBO_CHECK(t.defined(), "npy: cannot write an undefined tensor");
  Tensor c = t.device() == Device::cpu ? t : t.to(Device::cpu);
  return c.contiguous();
}
}  // namespace

std::vector<uint8_t> encode_npy(const Tensor& t, bool boolean) {
  Tensor c = host_contiguous(t);
  std::vector<uint8_t> out = make_npy_header(c.dtype(), c.shape(), boolean);
  size_t bytes = static_cast<size_t>(c.numel()) * dtype_size(c.dtype());
  if (boolean) check_npy_bools(static_cast<const uint8_t*>(c.raw_data()), bytes, 0, "npy: writing a bool array");
  const auto* data = static_cast<const uint8_t*>(c.raw_data());
  out.insert(out.end(), data, data + bytes);
  return out;
}

void write_npy(const std::string& path, const Tensor& t, bool boolean) {
  Tensor c = host_contiguous(t);
  std::vector<uint8_t> header = make_npy_header(c.dtype(), c.shape(), boolean);
  size_t bytes = static_cast<size_t>(c.numel()) * dtype_size(c.dtype());
  if (boolean) check_npy_bools(static_cast<const uint8_t*>(c.raw_data()), bytes, 0, path);
  AtomicFile file(path);
  file.write(header);
  file.write(c.raw_data(), bytes);
  file.commit();
}

}  // namespace elbo::io
