#include "elbo/data/image_folder.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>

#include "elbo/io/atomic_file.hpp"
#include "elbo/io/png.hpp"

namespace elbo::data {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'E', 'L', 'B', 'O', 'I', 'M', 'G', 'S'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kHeaderBytes = 40;
constexpr int64_t kBuildBatch = 256;  // images decoded in parallel before they are written

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

// FNV-1a, 64 bit (Fowler, Noll, Vo): h = (h ⊕ byte) · 1099511628211, from 14695981039346656037.
struct Fnv1a {
  uint64_t h = 14695981039346656037ull;
  void add(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  void add_u64(uint64_t v) {
    uint8_t b[8];
    io::store_le64(b, v);
    add(b, 8);
  }
};

// The source pixels j that output pixel o overlaps along one axis, with the overlap as weight.
// Lengths are counted in units of 1/size of a source pixel, so that every bound is an integer:
// output o spans [o·s, (o+1)·s) and source j spans [j·size, (j+1)·size). The weights sum to s.
void area_weights(int64_t o, int64_t s, int64_t size, std::vector<std::pair<int64_t, int64_t>>& out) {
  out.clear();
  int64_t a = o * s, b = (o + 1) * s;
  for (int64_t j = a / size; j < s && j * size < b; ++j) {
    int64_t overlap = std::min(b, (j + 1) * size) - std::max(a, j * size);
    if (overlap > 0) out.emplace_back(j, overlap);
  }
}

}  // namespace

void crop_and_resize(const uint8_t* pixels, int64_t width, int64_t height, int64_t channels, int64_t size, uint8_t* out) {
  const int64_t s = std::min(width, height);
  const int64_t x0 = (width - s) / 2, y0 = (height - s) / 2;
  // value = Σ_y Σ_x w_y·w_x·p(y, x) / s², the weights of each axis summing to s (area_weights).
  std::vector<std::pair<int64_t, int64_t>> wy, wx;
  for (int64_t oy = 0; oy < size; ++oy) {
    area_weights(oy, s, size, wy);
    for (int64_t ox = 0; ox < size; ++ox) {
      area_weights(ox, s, size, wx);
      for (int64_t c = 0; c < channels; ++c) {
        int64_t acc = 0;  // exact: integer weights and pixels
        for (auto [y, w_y] : wy)
          for (auto [x, w_x] : wx) acc += w_y * w_x * pixels[((y0 + y) * width + x0 + x) * channels + c];
        double v = static_cast<double>(acc) / static_cast<double>(s * s);
        out[(c * size + oy) * size + ox] = static_cast<uint8_t>(std::lround(v));
      }
    }
  }
}

ImageFolder::ImageFolder(const std::string& dir, const ImageFolderOptions& options)
    : dir_(dir), options_(options), cache_(io::InputFile::from_memory({}, "")) {
  ELBO_CHECK(options_.channels == 1 || options_.channels == 3, "ImageFolder: channels must be 1 or 3, got ",
             options_.channels);
  ELBO_CHECK(options_.size >= 1 && options_.size <= 4096, "ImageFolder: size must be in [1, 4096], got ", options_.size);
  ELBO_CHECK(fs::is_directory(dir), "ImageFolder: ", dir, " is not a directory");
  if (options_.cache_path.empty())
    options_.cache_path = (fs::path(dir) / (".elbo-cache-" + std::to_string(options_.size) + "px-" +
                                            (options_.channels == 3 ? "rgb" : "grey") + ".bin"))
                              .string();

  // The file list and its hash.
  struct Entry {
    std::string relative;
    uint64_t bytes, mtime;
  };
  std::vector<Entry> entries;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied)) {
    if (!e.is_regular_file() || !is_image_file(e.path())) continue;
    auto mtime = e.last_write_time().time_since_epoch();
    entries.push_back({fs::relative(e.path(), dir).generic_string(), static_cast<uint64_t>(e.file_size()),
                       static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(mtime).count())});
  }
  ELBO_CHECK(!entries.empty(), "ImageFolder: no PNG or JPEG files (*.png, *.jpg, *.jpeg) under ", dir);
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.relative < b.relative; });
  Fnv1a hash;
  for (const Entry& e : entries) {
    files_.push_back(e.relative);
    hash.add(e.relative.data(), e.relative.size() + 1);  // with its terminating zero
    hash.add_u64(e.bytes);
    hash.add_u64(e.mtime);
  }

  // Reuse the cache when its header matches exactly; rebuild it otherwise.
  auto cache_matches = [&]() {
    std::error_code ec;
    if (!fs::is_regular_file(options_.cache_path, ec)) return false;
    io::InputFile f(options_.cache_path);
    if (f.size() < kHeaderBytes) return false;
    uint8_t h[kHeaderBytes];
    f.read(0, h, kHeaderBytes, "image cache header");
    const uint64_t image_bytes = static_cast<uint64_t>(options_.channels * options_.size * options_.size);
    return std::memcmp(h, kMagic, 8) == 0 && io::load_le32(h + 8) == kVersion &&
           io::load_le32(h + 12) == options_.channels && io::load_le32(h + 16) == options_.size &&
           io::load_le32(h + 20) == options_.size && io::load_le64(h + 24) == files_.size() &&
           io::load_le64(h + 32) == hash.h && f.size() == kHeaderBytes + files_.size() * image_bytes;
  };
  if (!cache_matches()) {
    build_cache(hash.h);
    built_ = true;
    ELBO_CHECK(cache_matches(), "ImageFolder: the cache ", options_.cache_path, " does not match what was just written");
  }
  cache_ = io::InputFile(options_.cache_path);
}

void ImageFolder::build_cache(uint64_t hash) const {
  const int64_t n = static_cast<int64_t>(files_.size());
  const int64_t image_bytes = options_.channels * options_.size * options_.size;
  io::AtomicFile out(options_.cache_path);
  uint8_t h[kHeaderBytes] = {};
  std::memcpy(h, kMagic, 8);
  io::store_le32(h + 8, kVersion);
  io::store_le32(h + 12, static_cast<uint32_t>(options_.channels));
  io::store_le32(h + 16, static_cast<uint32_t>(options_.size));
  io::store_le32(h + 20, static_cast<uint32_t>(options_.size));
  io::store_le64(h + 24, static_cast<uint64_t>(n));
  io::store_le64(h + 32, hash);
  out.write(h, kHeaderBytes);
  // Decode a batch in parallel (each file into its own slot), then write it in order.
  std::vector<uint8_t> batch(static_cast<size_t>(std::min(n, kBuildBatch) * image_bytes));
  for (int64_t start = 0; start < n; start += kBuildBatch) {
    const int64_t count = std::min(kBuildBatch, n - start);
    int64_t first_failure = count;
    std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < count; ++i) {
      try {
        std::string path = (fs::path(dir_) / files_[static_cast<size_t>(start + i)]).string();
        io::Image8 img = io::decode_image(io::read_file(path), static_cast<int>(options_.channels), path);
        crop_and_resize(img.pixels.data(), img.width, img.height, options_.channels, options_.size,
                        batch.data() + i * image_bytes);
      } catch (...) {
#pragma omp critical(elbo_image_folder_failure)
        if (i < first_failure) {
          first_failure = i;
          failure = std::current_exception();
        }
      }
    }
    if (failure) std::rethrow_exception(failure);
    out.write(batch.data(), static_cast<size_t>(count * image_bytes));
  }
  out.commit();
}

void ImageFolder::image(int64_t index, float* out) const {
  ELBO_CHECK(index >= 0 && index < size(), name(), ": image index ", index, " is out of range [0, ", size(), ")");
  const int64_t n = options_.channels * options_.size * options_.size;
  // A small stack buffer per call keeps image() free of shared state (thread-safe) and of heap use
  // for the usual sizes.
  uint8_t local[3 * 128 * 128];
  std::vector<uint8_t> heap;
  uint8_t* bytes = local;
  if (n > static_cast<int64_t>(sizeof local)) {
    heap.resize(static_cast<size_t>(n));
    bytes = heap.data();
  }
  cache_.read(kHeaderBytes + static_cast<uint64_t>(index * n), bytes, static_cast<uint64_t>(n), "cached image");
  for (int64_t p = 0; p < n; ++p) out[p] = static_cast<float>(bytes[p]) / 255.0f;
}

}  // namespace elbo::data
