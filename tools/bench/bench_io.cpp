// File I/O benchmark: throughput of the readers and writers of src/io (docs/FILES.md).
//
//   crc32        CRC-32 of a 64 MiB buffer
//   inflate      gunzip of Fashion-MNIST's training images (26 MB → 47 MB), elbo's decoder and
//                stb_image's (when the Debian package dataset-fashion-mnist is installed)
//   fashion      loading both Fashion-MNIST splits as datasets
//   npz          write_npz and NpzReader::read of a 256 MiB f32 array (stored member)
//   checkpoint   save_checkpoint and load_checkpoint of a 16M-parameter model with Adam state
//   dsprites     loading a dSprites .npz (--dsprites PATH only)
//
// Each figure is the best of --repetitions runs (file I/O varies with the page cache; the best run
// is the one least disturbed). Files go to --dir (default /tmp).
//
//   bench_io [--repetitions R] [--dir DIR] [--dsprites PATH]
#include <stb/stb_image.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "elbo/data/dsprites_file.hpp"
#include "elbo/data/idx_dataset.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/checkpoint.hpp"
#include "elbo/io/crc32.hpp"
#include "elbo/io/gzip.hpp"
#include "elbo/io/npz.hpp"
#include "elbo/nn.hpp"
#include "progress.hpp"  // cli::seconds_now

using namespace elbo;

namespace {

double best_seconds(int repetitions, const std::function<void()>& f) {
  double best = 1e30;
  for (int r = 0; r < repetitions; ++r) {
    double t0 = cli::seconds_now();
    f();
    best = std::min(best, cli::seconds_now() - t0);
  }
  return best;
}

void report(const char* what, double seconds, double megabytes) {
  std::printf("%-44s %9.3f s %10.1f MB/s\n", what, seconds, megabytes / seconds);
}

class Wide : public nn::Module {
 public:
  explicit Wide(nn::Init& init) {
    for (int i = 0; i < 4; ++i) layers.add<nn::Linear>(init, 2048, 2048);
    register_module("layers", layers);
  }
  nn::Sequential layers;
};

}  // namespace

int main(int argc, char** argv) {
  int repetitions = 3;
  std::string dir = "/tmp", dsprites;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--repetitions" && i + 1 < argc) repetitions = std::atoi(argv[++i]);
    else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--dsprites" && i + 1 < argc) dsprites = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_io [--repetitions R] [--dir DIR] [--dsprites PATH]\n");
      return 2;
    }
  }
  const std::string prefix = dir + "/bench_io_" + std::to_string(::getpid());

  std::vector<uint8_t> buffer(64 << 20);
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<uint8_t>(i * 2654435761u >> 13);
  uint32_t crc = 0;
  double t = best_seconds(repetitions, [&] { crc = io::crc32(buffer.data(), buffer.size()); });
  report("crc32 (64 MiB)", t, buffer.size() / 1e6);

  const std::string fashion = std::string(data::kFashionMnistDir) + "train-images-idx3-ubyte.gz";
  if (std::filesystem::exists(fashion)) {
    std::vector<uint8_t> gz = io::read_file(fashion);
    size_t out_bytes = 0;
    t = best_seconds(repetitions, [&] { out_bytes = io::gunzip(gz, fashion).size(); });
    report("inflate: elbo, Fashion-MNIST train images", t, out_bytes / 1e6);
    size_t start = 10;
    if (gz[3] & 8) start = static_cast<size_t>(std::find(gz.begin() + 10, gz.end(), 0) - gz.begin()) + 1;
    t = best_seconds(repetitions, [&] {
      int n = 0;
      char* out = stbi_zlib_decode_noheader_malloc(reinterpret_cast<const char*>(gz.data() + start),
                                                   static_cast<int>(gz.size() - start), &n);
      io::crc32(out, static_cast<size_t>(n));  // elbo's gunzip checks the CRC too
      stbi_image_free(out);
    });
    report("inflate: stb_image (+ crc32), same file", t, out_bytes / 1e6);
    t = best_seconds(repetitions, [&] {
      data::IdxDataset train = data::fashion_mnist(data::Split::train);
      data::IdxDataset test = data::fashion_mnist(data::Split::test);
    });
    report("fashion_mnist: load train + test", t, (60000 + 10000) * 785 / 1e6);
  } else {
    std::printf("inflate, fashion: skipped (apt-get install dataset-fashion-mnist)\n");
  }

  Tensor big = full(Shape{64 << 20}, 0.25);
  const std::string npz = prefix + ".npz";
  t = best_seconds(repetitions, [&] { io::write_npz(npz, {{"x", big}}); });
  report("write_npz (256 MiB, with fsync)", t, 256 * 1.048576);
  t = best_seconds(repetitions, [&] { io::NpzReader(npz).read("x"); });
  report("NpzReader::read (256 MiB, CRC checked)", t, 256 * 1.048576);
  std::filesystem::remove(npz);

  nn::Init init;
  Wide model(init);
  nn::Optimizer opt = nn::adam(model.parameters());
  const double ckpt_mb = 3.0 * static_cast<double>(model.num_parameters()) * 4 / 1e6;
  const std::string ckpt = prefix + ".safetensors";
  t = best_seconds(repetitions, [&] { io::save_checkpoint(ckpt, model, &opt, json::Value::object()); });
  report("save_checkpoint (16.8M params + Adam m, v)", t, ckpt_mb);
  t = best_seconds(repetitions, [&] { io::load_checkpoint(ckpt, model, &opt); });
  report("load_checkpoint (same)", t, ckpt_mb);
  std::filesystem::remove(ckpt);

  if (!dsprites.empty()) {
    int64_t n = 0;
    t = best_seconds(1, [&] { n = data::DspritesFile(dsprites).size(); });
    std::printf("%-44s %9.3f s %10.1f images/s\n", "DspritesFile: load (inflate + bit-pack)", t, n / t);
  }
  return crc == 0 ? 1 : 0;
}
