#include "elbo/io/npz.hpp"

#include <algorithm>
#include <cstring>

#include "elbo/error.hpp"
#include "elbo/io/crc32.hpp"

namespace elbo::io {

NpzReader::NpzReader(const std::string& path) : zip_(path) {}
NpzReader::NpzReader(InputFile file) : zip_(std::move(file)) {}

namespace {
bool has_npy_suffix(const std::string& s) { return s.size() > 4 && s.compare(s.size() - 4, 4, ".npy") == 0; }
}  // namespace

std::vector<std::string> NpzReader::names() const {
  std::vector<std::string> out;
  for (const ZipEntry& e : zip_.entries())
    if (has_npy_suffix(e.name)) out.push_back(e.name.substr(0, e.name.size() - 4));
  return out;
}

bool NpzReader::contains(const std::string& name) const { return zip_.find(name + ".npy") != nullptr; }

const ZipEntry& NpzReader::entry(const std::string& name) const {
  const ZipEntry* e = zip_.find(name + ".npy");
  if (e == nullptr) {
    std::string list;
    for (const std::string& n : names()) list += (list.empty() ? "" : ", ") + n;
    elbo::detail::fail(zip_.file().name(), ": no array '", name, "'; the archive holds: ",
                       list.empty() ? std::string("no arrays") : list);
  }
  return *e;
}

void NpzReader::stream(const std::string& name, const std::function<void(const NpyHeader&)>& on_header,
                       const ByteSink& on_data) const {
  const ZipEntry& e = entry(name);
  std::string what = zip_.file().name() + " array '" + name + "'";
  std::vector<uint8_t> header;  // the header's bytes until it is complete
  uint64_t header_length = 0;
  bool in_data = false;
  NpyHeader h;
  uint64_t data_seen = 0;
  zip_.read(e, [&](const uint8_t* data, size_t n) {
    while (!in_data && n > 0) {
      // Collect the first 12 bytes (they give the header's length), then the rest of the header.
      uint64_t target = header_length != 0 ? header_length : 12;
      size_t take = static_cast<size_t>(std::min<uint64_t>(n, target - std::min<uint64_t>(target, header.size())));
      header.insert(header.end(), data, data + take);
      data += take;
      n -= take;
      if (header_length == 0) {
        header_length = npy_header_length(header, what);
        if (header_length == 0) continue;
        ELBO_CHECK(header_length <= e.size, what, ": the .npy header claims ", header_length,
                   " bytes, the member has ", e.size);
      }
      if (header.size() < header_length) continue;
      h = parse_npy_header({header.data(), static_cast<size_t>(header_length)}, what);
      ELBO_CHECK(h.header_bytes + h.data_bytes == e.size, what, ": shape ", h.shape.str(), " of ",
                 dtype_name(h.dtype), " needs ", h.header_bytes + h.data_bytes,
                 " bytes with its header, the member has ", e.size);
      on_header(h);
      in_data = true;
      if (header.size() > header_length) {  // data bytes collected with the header's first 12
        const uint8_t* extra = header.data() + header_length;
        size_t extra_n = header.size() - static_cast<size_t>(header_length);
        if (h.boolean) check_npy_bools(extra, extra_n, data_seen, what);
        on_data(extra, extra_n);
        data_seen += extra_n;
      }
    }
    if (n > 0) {
      if (h.boolean) check_npy_bools(data, n, data_seen, what);
      on_data(data, n);
      data_seen += n;
    }
  });
  ELBO_CHECK(in_data, what, ": truncated .npy member of ", e.size, " bytes: the header is incomplete");
}

Tensor NpzReader::read(const std::string& name) const {
  const ZipEntry& e = entry(name);
  if (e.method == 0) {
    // Stored: the .npy bytes lie in the file as they are. Read them in place, then check the CRC.
    uint64_t at = zip_.data_offset(e);
    std::string what = zip_.file().name() + " array '" + name + "'";
    uint8_t first[12] = {};
    uint64_t have = std::min<uint64_t>(12, e.size);
    zip_.file().read(at, first, have, ".npy header");
    uint64_t length = npy_header_length({first, have}, what);
    ELBO_CHECK(length != 0 && length <= e.size, what, ": truncated .npy member of ", e.size, " bytes");
    std::vector<uint8_t> header = zip_.file().read_bytes(at, length, ".npy header");
    NpyHeader h = parse_npy_header(header, what);
    ELBO_CHECK(h.header_bytes + h.data_bytes == e.size, what, ": shape ", h.shape.str(), " of ", dtype_name(h.dtype),
               " needs ", h.header_bytes + h.data_bytes, " bytes with its header, the member has ", e.size);
    Tensor t = empty(h.shape, h.dtype);
    zip_.file().read(at + h.header_bytes, t.raw_data(), h.data_bytes, ".npy array data");
    uint32_t crc = crc32(header.data(), header.size());
    crc = crc32(t.raw_data(), static_cast<size_t>(h.data_bytes), crc);
    ELBO_CHECK(crc == e.crc32, what, ": CRC-32 mismatch: the data gives ", crc, ", the zip directory records ", e.crc32,
               " (the file is corrupt)");
    if (h.boolean) check_npy_bools(static_cast<const uint8_t*>(t.raw_data()), h.data_bytes, 0, what);
    return t;
  }
  Tensor t;
  uint8_t* out = nullptr;
  stream(
      name,
      [&](const NpyHeader& h) {
        t = empty(h.shape, h.dtype);
        out = static_cast<uint8_t*>(t.raw_data());
      },
      [&](const uint8_t* data, size_t n) {
        std::memcpy(out, data, n);
        out += n;
      });
  return t;
}

void write_npz(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& arrays, bool force_zip64) {
  ZipWriter zip(path, force_zip64);
  for (const auto& [name, tensor] : arrays) {
    ELBO_CHECK(!name.empty(), "write_npz: ", path, ": an array has an empty name");
    ELBO_CHECK(tensor.defined(), "write_npz: ", path, ": array '", name, "' is undefined");
    Tensor c = (tensor.device() == Device::cpu ? tensor : tensor.to(Device::cpu)).contiguous();
    std::vector<uint8_t> header = make_npy_header(c.dtype(), c.shape());
    std::span<const uint8_t> parts[2] = {
        header, {static_cast<const uint8_t*>(c.raw_data()), static_cast<size_t>(c.numel()) * dtype_size(c.dtype())}};
    zip.add(name + ".npy", parts);
  }
  zip.finish();
}

}  // namespace elbo::io
