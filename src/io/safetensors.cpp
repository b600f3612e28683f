#include "elbo/io/safetensors.hpp"

#include <algorithm>
#include <cstring>

#include "elbo/io/atomic_file.hpp"
#include "elbo/io/json.hpp"

namespace elbo::io {

namespace {

constexpr uint64_t kMaxHeader = 100'000'000;  // the reference implementation's limit (MAX_HEADER_SIZE)

struct DTypeName {
  DType dtype;
  const char* name;
};
constexpr DTypeName kDTypes[] = {
    {DType::f32, "F32"}, {DType::f64, "F64"}, {DType::i32, "I32"}, {DType::i64, "I64"}, {DType::u8, "U8"}};

}  // namespace

const char* safetensors_dtype_name(DType t) {
  for (const DTypeName& d : kDTypes)
    if (d.dtype == t) return d.name;
  return "?";
}

SafetensorsReader::SafetensorsReader(const std::string& path) : file_(path) { read_header(); }
SafetensorsReader::SafetensorsReader(InputFile file) : file_(std::move(file)) { read_header(); }

void SafetensorsReader::read_header() {
  const std::string& name = file_.name();
  uint8_t len_bytes[8];
  file_.read(0, len_bytes, 8, "the safetensors header length");
  uint64_t n = load_le64(len_bytes);
  ELBO_CHECK(n <= file_.size() - 8, name, ": corrupt or truncated safetensors file: the header length at byte offset 0 is ",
             n, " bytes, but only ", file_.size() - 8, " bytes follow it");
  ELBO_CHECK(n <= kMaxHeader, name, ": safetensors header of ", n, " bytes exceeds the limit of ", kMaxHeader);
  std::vector<uint8_t> header = file_.read_bytes(8, n, "the safetensors header");
  ELBO_CHECK(n >= 2 && header[0] == '{', name, ": corrupt safetensors header at byte offset 8: expected a JSON object");
  json::Value h = json::parse({reinterpret_cast<const char*>(header.data()), header.size()}, name + " (safetensors header)");
  ELBO_CHECK(h.is_object(), name, ": the safetensors header is not a JSON object");
  data_offset_ = 8 + n;
  uint64_t data_size = file_.size() - data_offset_;
  for (const auto& [key, value] : h.members()) {
    if (key == "__metadata__") {
      ELBO_CHECK(value.is_object(), name, ": __metadata__ must be an object of strings");
      for (const auto& [k, v] : value.members()) {
        ELBO_CHECK(v.is_string(), name, ": __metadata__ value \"", k, "\" is a ", json::type_name(v.type()),
                   "; safetensors metadata holds strings only");
        metadata_.emplace_back(k, v.as_string());
      }
      continue;
    }
    std::string where = name + ": tensor '" + key + "'";
    ELBO_CHECK(value.is_object(), where, ": expected an object with dtype, shape and data_offsets");
    for (const auto& member : value.members())
      ELBO_CHECK(member.first == "dtype" || member.first == "shape" || member.first == "data_offsets", where,
                 ": unknown field \"", member.first, "\"");
    SafetensorsEntry e;
    e.name = key;
    const json::Value* dtype = value.find("dtype");
    ELBO_CHECK(dtype != nullptr && dtype->is_string(), where, ": missing dtype");
    bool known = false;
    for (const DTypeName& d : kDTypes)
      if (dtype->as_string() == d.name) {
        e.dtype = d.dtype;
        known = true;
      }
    ELBO_CHECK(known, where, ": dtype ", dtype->as_string(), " is not supported; elbo reads F32, F64, I32, I64 and U8");
    const json::Value* shape = value.find("shape");
    ELBO_CHECK(shape != nullptr && shape->is_array(), where, ": missing shape");
    ELBO_CHECK(shape->size() <= static_cast<size_t>(kMaxDims), where, ": ", shape->size(),
               " dimensions exceed elbo's maximum of ", kMaxDims);
    uint64_t numel = 1, nonzero = 1;  // the product of non-zero extents bounds the strides of empty tensors
    for (const json::Value& d : shape->items()) {
      ELBO_CHECK(d.is_integer() && d.as_int() >= 0, where, ": shape entries must be non-negative integers");
      uint64_t extent = static_cast<uint64_t>(d.as_int());
      if (extent != 0) {
        ELBO_CHECK(nonzero <= (uint64_t{1} << 60) / extent, where, ": shape too large");
        nonzero *= extent;
      }
      numel *= extent;
      e.shape.push_back(d.as_int());
    }
    const json::Value* offsets = value.find("data_offsets");
    ELBO_CHECK(offsets != nullptr && offsets->is_array() && offsets->size() == 2 && (*offsets)[0].is_integer() &&
                   (*offsets)[1].is_integer() && (*offsets)[0].as_int() >= 0 && (*offsets)[1].as_int() >= 0,
               where, ": data_offsets must be [begin, end], two non-negative integers");
    e.begin = static_cast<uint64_t>((*offsets)[0].as_int());
    e.end = static_cast<uint64_t>((*offsets)[1].as_int());
    uint64_t bytes = numel * dtype_size(e.dtype);
    ELBO_CHECK(e.begin <= e.end && e.end - e.begin == bytes, where, ": data_offsets [", e.begin, ", ", e.end,
               ") do not hold shape ", e.shape.str(), " of ", dtype->as_string(), " (", bytes, " bytes)");
    entries_.push_back(std::move(e));
  }
  // The tensors must tile [0, data_size) exactly.
  std::vector<const SafetensorsEntry*> by_offset;
  for (const SafetensorsEntry& e : entries_) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const SafetensorsEntry* a, const SafetensorsEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t expected = 0;
  for (const SafetensorsEntry* e : by_offset) {
    ELBO_CHECK(e->begin == expected, name, ": tensor '", e->name, "' starts at data offset ", e->begin,
               ", expected ", expected, " (the tensors must follow one another without gap or overlap)");
    expected = e->end;
  }
  ELBO_CHECK(expected == data_size, name, ": truncated or corrupt safetensors file: the header describes ", expected,
             " bytes of tensor data, the file holds ", data_size, " after the header (at byte offset ", data_offset_, ")");
}

const SafetensorsEntry* SafetensorsReader::find(const std::string& name) const {
  for (const SafetensorsEntry& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

Tensor SafetensorsReader::read(const SafetensorsEntry& e) const {
  Tensor t = empty(e.shape, e.dtype);
  file_.read(data_offset_ + e.begin, t.raw_data(), e.end - e.begin, "safetensors tensor data");
  return t;
}

Tensor SafetensorsReader::read(const std::string& name) const {
  const SafetensorsEntry* e = find(name);
  ELBO_CHECK(e != nullptr, file_.name(), ": no tensor '", name, "'");
  return read(*e);
}

void write_safetensors(const std::string& path, const std::vector<nn::NamedTensor>& tensors, const StringMap& metadata) {
  std::vector<Tensor> host;
  for (const nn::NamedTensor& nt : tensors) {
    ELBO_CHECK(!nt.name.empty() && nt.name != "__metadata__", "write_safetensors: ", path, ": invalid tensor name '",
               nt.name, "'");
    ELBO_CHECK(nt.tensor.defined(), "write_safetensors: ", path, ": tensor '", nt.name, "' is undefined");
    host.push_back((nt.tensor.device() == Device::cpu ? nt.tensor : nt.tensor.to(Device::cpu)).contiguous());
  }
  // Data order: element size descending (stable), so each tensor is aligned to its element size.
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return dtype_size(host[a].dtype()) > dtype_size(host[b].dtype());
  });
  std::vector<uint64_t> begin(tensors.size());
  uint64_t offset = 0;
  for (size_t i : order) {
    begin[i] = offset;
    offset += static_cast<uint64_t>(host[i].numel()) * dtype_size(host[i].dtype());
  }
  json::Value header = json::Value::object();
  if (!metadata.empty()) {
    json::Value meta = json::Value::object();
    for (const auto& [k, v] : metadata) {
      ELBO_CHECK(!meta.contains(k), "write_safetensors: ", path, ": duplicate metadata key '", k, "'");
      meta.set(k, v);
    }
    header.set("__metadata__", std::move(meta));
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    ELBO_CHECK(!header.contains(tensors[i].name), "write_safetensors: ", path, ": duplicate tensor name '",
               tensors[i].name, "'");
    json::Value entry = json::Value::object();
    entry.set("dtype", safetensors_dtype_name(host[i].dtype()));
    json::Value shape = json::Value::array();
    for (int d = 0; d < host[i].ndim(); ++d) shape.push_back(host[i].size(d));
    entry.set("shape", std::move(shape));
    json::Value offsets = json::Value::array();
    uint64_t bytes = static_cast<uint64_t>(host[i].numel()) * dtype_size(host[i].dtype());
    offsets.push_back(begin[i]);
    offsets.push_back(begin[i] + bytes);
    entry.set("data_offsets", std::move(offsets));
    header.set(tensors[i].name, std::move(entry));
  }
  std::string text = json::dump(header);
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts at a multiple of 8
  uint8_t len[8];
  store_le64(len, text.size());
  AtomicFile file(path);
  file.write(len, 8);
  file.write(text.data(), text.size());
  for (size_t i : order)
    file.write(host[i].raw_data(), static_cast<size_t>(host[i].numel()) * dtype_size(host[i].dtype()));
  file.commit();
}

std::vector<nn::NamedTensor> read_safetensors(const std::string& path, StringMap* metadata) {
  SafetensorsReader reader(path);
  std::vector<nn::NamedTensor> out;
  for (const SafetensorsEntry& e : reader.entries()) out.push_back({e.name, reader.read(e)});
  if (metadata != nullptr) *metadata = reader.metadata();
  return out;
}

}  // namespace elbo::io
