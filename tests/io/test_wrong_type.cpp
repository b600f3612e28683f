// Every reader, given a file of another format, fails with elbo::Error (never crashes, never
// returns garbage).
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/idx.hpp"
#include "elbo/io/json.hpp"
#include "elbo/io/npy.hpp"
#include "elbo/io/npz.hpp"
#include "elbo/io/png.hpp"
#include "elbo/io/safetensors.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::io;
using namespace elbo::testing;

TEST_CASE("io: each reader rejects files of the other formats") {
  TempDir dir;
  Tensor t = from_values(Shape{2, 2}, {1, 2, 3, 4});
  write_npy(dir.file("a.npy"), t);
  write_npz(dir.file("a.npz"), {{"t", t}});
  write_idx(dir.file("a-idx"), t);
  write_idx(dir.file("a-idx.gz"), t, true);
  write_safetensors(dir.file("a.safetensors"), {{"t", t}});
  write_png(dir.file("a.png"), from_values(Shape{1, 2, 2}, {0, 1, 0, 1}));
  write_file_atomic(dir.file("a.json"), std::string("{\"t\": [1, 2, 3, 4]}"));
  write_file_atomic(dir.file("a.txt"), std::string("plain text, nothing else\n"));
  write_file_atomic(dir.file("empty"), std::string());

  struct Reader {
    const char* name;
    const char* own;  // the file it reads; the others must fail
    std::function<void(const std::string&)> read;
  };
  std::vector<Reader> readers = {
      {"npy", "a.npy", [](const std::string& p) { read_npy(p); }},
      {"npz", "a.npz", [](const std::string& p) { NpzReader(p).read("t"); }},
      {"idx", "a-idx", [](const std::string& p) { read_idx(p); }},
      {"safetensors", "a.safetensors", [](const std::string& p) { read_safetensors(p); }},
      {"json", "a.json", [](const std::string& p) { json::parse(read_text_file(p), p); }},
      {"image", "a.png", [](const std::string& p) { read_image(p); }},
  };
  const char* files[] = {"a.npy", "a.npz", "a-idx", "a-idx.gz", "a.safetensors", "a.png", "a.json", "a.txt", "empty"};
  for (const Reader& r : readers) {
    CHECK_NOTHROW(r.read(dir.file(r.own)));
    for (const char* f : files) {
      if (std::string(f) == r.own || (std::string(r.name) == "idx" && std::string(f) == "a-idx.gz")) continue;
      bool failed = false;
      std::string message;
      try {
        r.read(dir.file(f));
      } catch (const Error& e) {
        failed = true;
        message = e.what();
      }
      CHECK_MESSAGE(failed, r.name, " reader accepted ", f);
      CHECK_MESSAGE(message.find(dir.file(f)) != std::string::npos, r.name, " on ", f, ": the error does not name the file: ",
                    message);
    }
  }
}
