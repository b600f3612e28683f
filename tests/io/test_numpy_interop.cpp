// Files exchanged with numpy, when a Python with numpy is installed (optional: skipped otherwise).
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "elbo/data/dsprites_file.hpp"
#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/io/npz.hpp"
#include "elbo/io/safetensors.hpp"
#include "gradcheck.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::io;
using namespace elbo::testing;

namespace {

// A Python interpreter that can import numpy, or "" (the first of python3 and Debian's own).
std::string python_with_numpy() {
  for (const char* python : {"python3", "/usr/bin/python3"}) {
    std::string cmd = std::string(python) + " -c 'import numpy' > /dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return python;
  }
  return "";
}

bool run_python(const std::string& python, const TempDir& dir, const std::string& script) {
  write_file_atomic(dir.file("script.py"), "import numpy as np, json, struct, os\nd = '" + dir.path().string() + "/'\n" + script);
  return std::system((python + " " + dir.file("script.py")).c_str()) == 0;
}

}  // namespace

TEST_CASE("io: numpy reads what elbo writes (npy, npz, safetensors)") {
  std::string python = python_with_numpy();
  if (python.empty()) {
    MESSAGE("no Python with numpy: skipped");
    return;
  }
  TempDir dir;
  write_npy(dir.file("a.npy"), from_values(Shape{2, 3}, {0.5, -1, 2, 3, 4, 1e-30}));
  write_npy(dir.file("b.npy"), from_values(Shape{4}, {1, 0, 0, 1}, DType::u8), /*boolean=*/true);
  write_npy(dir.file("s.npy"), scalar(7, DType::i64));
  write_npz(dir.file("c.npz"), {{"x", from_values(Shape{3}, {1, 2, 3}, DType::f64)},
                                {"y", from_values(Shape{2, 2}, {-5, 6, 7, -8}, DType::i32)}});
  write_npz(dir.file("z.npz"), {{"u", from_values(Shape{2}, {200, 3}, DType::u8)}}, /*force_zip64=*/true);
  write_safetensors(dir.file("m.safetensors"), {{"w", from_values(Shape{2, 2}, {1.5, -2, 0, 4})},
                                                {"n", from_values(Shape{3}, {1, 2, 1e15}, DType::i64)}},
                    {{"note", "hi"}});
  CHECK(run_python(python, dir, R"(
a = np.load(d + 'a.npy'); assert a.dtype == np.float32 and a.shape == (2, 3) and a[1, 2] == np.float32(1e-30)
b = np.load(d + 'b.npy'); assert b.dtype == np.bool_ and b.tolist() == [True, False, False, True]
s = np.load(d + 's.npy'); assert s.shape == () and s.dtype == np.int64 and int(s) == 7
c = np.load(d + 'c.npz'); assert sorted(c.files) == ['x', 'y']
assert c['x'].tolist() == [1.0, 2.0, 3.0] and c['y'].dtype == np.int32 and c['y'].tolist() == [[-5, 6], [7, -8]]
z = np.load(d + 'z.npz'); assert z['u'].tolist() == [200, 3]
raw = open(d + 'm.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]; h = json.loads(raw[8:8 + n]); data = raw[8 + n:]
assert h['__metadata__'] == {'note': 'hi'}
b0, b1 = h['w']['data_offsets']; w = np.frombuffer(data[b0:b1], dtype='<f4').reshape(h['w']['shape'])
assert w.tolist() == [[1.5, -2.0], [0.0, 4.0]]
b0, b1 = h['n']['data_offsets']; assert np.frombuffer(data[b0:b1], dtype='<i8').tolist() == [1, 2, 10**15]
)"));
}

TEST_CASE("io: elbo reads what numpy writes, np.savez_compressed included") {
  std::string python = python_with_numpy();
  if (python.empty()) {
    MESSAGE("no Python with numpy: skipped");
    return;
  }
  TempDir dir;
  REQUIRE(run_python(python, dir, R"(
np.save(d + 'i.npy', np.arange(12, dtype=np.int32).reshape(3, 4))
np.save(d + 'f.npy', np.linspace(0, 1, 5))
np.save(d + 'b.npy', np.array([True, False, True]))
np.save(d + 'e.npy', np.zeros((0, 3), dtype=np.float32))
np.save(d + 'big.npy', np.arange(3, dtype='>f4'))
np.save(d + 'fortran.npy', np.asfortranarray(np.ones((2, 3))))
np.save(d + 'obj.npy', np.array([{'a': 1}], dtype=object), allow_pickle=True)
# A small dSprites-style file: factor sizes color 1, shape 3, scale 2, orientation 2, posX 2, posY 3.
sizes = [1, 3, 2, 2, 2, 3]
classes = np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing='ij'), -1).reshape(-1, 6).astype(np.int64)
rng = np.random.default_rng(0)
imgs = (rng.random((len(classes), 6, 5)) < 0.4).astype(np.uint8)
np.savez_compressed(d + 'ds.npz', imgs=imgs, latents_classes=classes, latents_values=classes.astype(np.float64))
np.save(d + 'imgs.npy', imgs)
)"));
  CHECK(read_npy(dir.file("i.npy")).to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(read_npy(dir.file("f.npy")).to_vector() == std::vector<double>{0, 0.25, 0.5, 0.75, 1});
  Tensor b = read_npy(dir.file("b.npy"));
  CHECK(b.dtype() == DType::u8);
  CHECK(b.to_vector() == std::vector<double>{1, 0, 1});
  CHECK(read_npy(dir.file("e.npy")).shape() == Shape{0, 3});
  CHECK_THROWS_WITH_AS(read_npy(dir.file("big.npy")), doctest::Contains("big-endian"), Error);
  CHECK_THROWS_WITH_AS(read_npy(dir.file("fortran.npy")), doctest::Contains("Fortran order"), Error);
  CHECK_THROWS_WITH_AS(read_npy(dir.file("obj.npy")), doctest::Contains("Python objects"), Error);
  // The compressed archive: deflated members made by zlib, read as a dSprites file.
  NpzReader npz(dir.file("ds.npz"));
  CHECK(npz.zip().entries()[0].method == 8);
  data::DspritesFile ds(dir.file("ds.npz"));
  CHECK(ds.size() == 72);
  CHECK(ds.factor_list()[0].size == 3);
  CHECK(ds.factor_list()[4].size == 3);
  std::vector<int64_t> all(72);
  for (int64_t i = 0; i < 72; ++i) all[static_cast<size_t>(i)] = i;
  CHECK(ds.images(all).to_vector() == read_npy(dir.file("imgs.npy")).to_vector());
}
