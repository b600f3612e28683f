// Dataset benchmark: images per second rendered by the generated datasets (dSprites, 3D scenes),
// through Dataset::images (parallel over images) at each thread count, and through a
// BatchIterator whose background thread renders the next batch (one thread).
//
//   bench_data [--threads LIST] [--seconds S] [--datasets LIST] [--dump DIR]
//
// Each figure is the median of --repetitions timed windows after a warm-up; a window renders
// batches of --batch random indices (fixed seed) for about --seconds / --repetitions.
// --dump DIR also writes grids of images as binary PGM (dSprites) and PPM (3D scenes) files, to
// look at the shapes: a plain fwrite, no image library.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "args.hpp"
#include "elbo/context.hpp"
#include "elbo/data/batches.hpp"
#include "elbo/data/dsprites.hpp"
#include "elbo/data/scenes3d.hpp"
#include "progress.hpp"  // cli::seconds_now

using namespace elbo;
using namespace elbo::data;

namespace {

// Median of `repetitions` windows of images/s, each window calling f (which renders `per_call`
// images) for about `seconds` / `repetitions` seconds.
double images_per_second(double seconds, int repetitions, int64_t per_call, const std::function<void()>& f) {
  f();  // warm-up
  std::vector<double> rates;
  for (int r = 0; r < repetitions; ++r) {
    const double start = cli::seconds_now();
    int64_t calls = 0;
    do {
      f();
      ++calls;
    } while (cli::seconds_now() - start < seconds / repetitions);
    rates.push_back(static_cast<double>(calls * per_call) / (cli::seconds_now() - start));
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

std::vector<int64_t> parse_list(const std::string& text) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.find(',', start), text.size());
    out.push_back(std::stoll(text.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

bool contains(const std::string& list, const std::string& item) {
  return ("," + list + ",").find("," + item + ",") != std::string::npos;
}

// Writes images [n, C, 64, 64] as a grid of `columns` tiles separated by 2 grey pixels, as a binary
// PGM (C = 1) or PPM (C = 3), values scaled to 0…255.
void write_grid(const std::string& path, const Tensor& images, int64_t columns) {
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  const int64_t rows = (n + columns - 1) / columns, gap = 2;
  const int64_t width = columns * (w + gap) + gap, height = rows * (h + gap) + gap;
  std::vector<unsigned char> pixels(static_cast<size_t>(width * height * c), 128);
  const float* src = images.data<float>();
  for (int64_t k = 0; k < n; ++k) {
    const int64_t top = gap + (k / columns) * (h + gap), left = gap + (k % columns) * (w + gap);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        for (int64_t ch = 0; ch < c; ++ch) {
          const float v = std::clamp(src[((k * c + ch) * h + y) * w + x], 0.0f, 1.0f);
          pixels[static_cast<size_t>(((top + y) * width + left + x) * c + ch)] =
              static_cast<unsigned char>(v * 255.0f + 0.5f);
        }
  }
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) {
    std::fprintf(stderr, "bench_data: cannot write %s\n", path.c_str());
    return;
  }
  std::fprintf(file, "%s\n%lld %lld\n255\n", c == 1 ? "P5" : "P6", static_cast<long long>(width),
               static_cast<long long>(height));
  std::fwrite(pixels.data(), 1, pixels.size(), file);
  std::fclose(file);
  std::printf("wrote %s (%lld images)\n", path.c_str(), static_cast<long long>(n));
}

void dump(const std::string& dir, const Dsprites& sprites, const Scenes3d& scenes) {
  std::vector<int64_t> ids;
  // dSprites: each shape at scales 0 and 5, orientations 0, 4, …, 36, centred (rows), then the
  // four extreme positions at scale 5 for each shape, then 32 random images.
  for (int64_t shape = 0; shape < 3; ++shape)
    for (int64_t scale : {0, 5})
      for (int64_t o = 0; o < 40; o += 4) ids.push_back(sprites.index(std::vector<int64_t>{shape, scale, o, 15, 15}));
  for (int64_t shape = 0; shape < 3; ++shape)
    for (int64_t o : {0, 10}) {
      for (int64_t x : {0, 31})
        for (int64_t y : {0, 31}) ids.push_back(sprites.index(std::vector<int64_t>{shape, 5, o, x, y}));
      ids.push_back(sprites.index(std::vector<int64_t>{shape, 0, o, 0, 0}));
    }
  Rng rng{7, 1, 0};
  for (int k = 0; k < 30; ++k) ids.push_back(static_cast<int64_t>(rng.below(static_cast<uint64_t>(sprites.size()))));
  write_grid(dir + "/dsprites.pgm", sprites.images(ids), 10);

  // 3D scenes: each shape at the smallest and largest scale and orientations −30°, −15°, 0°, 15°,
  // 30° (rows), then 30 random images.
  ids.clear();
  for (int64_t shape = 0; shape < 4; ++shape)
    for (int64_t scale : {0, 7})
      for (int64_t o : {0, 4, 7, 10, 14})
        ids.push_back(scenes.index(std::vector<int64_t>{shape * 2, 5, 0, scale, shape, o}));
  for (int k = 0; k < 30; ++k) ids.push_back(static_cast<int64_t>(rng.below(static_cast<uint64_t>(scenes.size()))));
  write_grid(dir + "/scenes3d.ppm", scenes.images(ids), 10);
}

}  // namespace

int main(int argc, char** argv) {
  std::string threads_list = "1,2", datasets = "dsprites,scenes3d", dump_dir;
  double seconds = 2.0;
  int64_t repetitions = 5, batch = 256;
  cli::Args args("bench_data", "images/s of the generated datasets, rendered in parallel and by a prefetch thread");
  args.flag("--threads", threads_list, "comma list of thread counts");
  args.flag("--datasets", datasets, "comma list of dsprites, scenes3d");
  args.flag("--seconds", seconds, "timed seconds per measurement");
  args.flag("--repetitions", repetitions, "timed windows, median reported");
  args.flag("--batch", batch, "images per call");
  args.flag("--dump", dump_dir, "write image grids (PGM/PPM) into this directory and exit");
  if (!args.parse(argc, argv)) return args.exit_code();

  Dsprites sprites;
  Scenes3d scenes;
  if (!dump_dir.empty()) {
    dump(dump_dir, sprites, scenes);
    return 0;
  }
  std::vector<const Dataset*> sets;
  if (contains(datasets, "dsprites")) sets.push_back(&sprites);
  if (contains(datasets, "scenes3d")) sets.push_back(&scenes);

  std::printf("%-10s %-26s %8s %14s\n", "dataset", "how", "threads", "images/s");
  for (const Dataset* set : sets) {
    Rng rng{1, 2, 0};
    std::vector<int64_t> ids(static_cast<size_t>(batch));
    for (int64_t& i : ids) i = static_cast<int64_t>(rng.below(static_cast<uint64_t>(set->size())));
    for (int64_t t : parse_list(threads_list)) {
      set_num_threads(static_cast<int>(t));
      const double rate = images_per_second(seconds, static_cast<int>(repetitions), batch, [&] { set->images(ids); });
      std::printf("%-10s %-26s %8lld %14.0f\n", set->name().c_str(), "Dataset::images", static_cast<long long>(t),
                  rate);
      std::printf("RESULT %s images %lld %.0f\n", set->name().c_str(), static_cast<long long>(t), rate);
    }
    // The iterator with its prefetch thread (one rendering thread); the caller only copies.
    BatchOptions options;
    options.batch_size = batch;
    BatchIterator it(*set, options);
    Tensor images;
    const double rate =
        images_per_second(seconds, static_cast<int>(repetitions), batch, [&] { it.next(images, nullptr); });
    std::printf("%-10s %-26s %8d %14.0f\n", set->name().c_str(), "BatchIterator (prefetch)", 1, rate);
    std::printf("RESULT %s iterator 1 %.0f\n", set->name().c_str(), rate);
  }
  return 0;
}
