#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/csv.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::io;
using namespace elbo::testing;

TEST_CASE("io: csv log writes a header and flushed rows") {
  TempDir dir;
  std::string path = dir.file("log.csv");
  {
    CsvLog log(path, {"step", "loss", "note"});
    log.row({1, 0.1, "plain"});
    // Each row is on disk as soon as it is written.
    CHECK(read_text_file(path) == "step,loss,note\n1,0.1,plain\n");
    log.row({int64_t{2}, 1.0 / 3.0, "a,b \"q\""});
    log.row({3, NAN, std::string("line\nbreak")});
    log.row({uint64_t{4}, -INFINITY, ""});
    CHECK_THROWS_WITH_AS(log.row({1, 2}), doctest::Contains("a row of 2 cells for 3 columns"), Error);
  }
  CHECK(read_text_file(path) ==
        "step,loss,note\n1,0.1,plain\n2,0.3333333333333333,\"a,b \"\"q\"\"\"\n3,nan,\"line\nbreak\"\n4,-inf,\n");
  CHECK(std::stod(CsvCell(0.1 + 0.2).text) == 0.1 + 0.2);  // shortest text that reads back exactly
  CHECK(CsvCell(1e-7).text == "1e-07");
  CHECK(CsvCell(2.5f).text == "2.5");
}

TEST_CASE("io: csv append continues a resumed run") {
  TempDir dir;
  std::string path = dir.file("log.csv");
  {
    CsvLog log(path, {"step", "elbo"});
    log.row({1, -100.5});
  }
  {
    CsvLog log(path, {"step", "elbo"}, /*append=*/true);
    log.row({2, -90.25});
  }
  CHECK(read_text_file(path) == "step,elbo\n1,-100.5\n2,-90.25\n");
  // A row cut off by a crash is dropped before appending.
  write_file_atomic(path, std::string("step,elbo\n1,-100.5\n2,-9"));
  {
    CsvLog log(path, {"step", "elbo"}, true);
    log.row({2, -90.25});
  }
  CHECK(read_text_file(path) == "step,elbo\n1,-100.5\n2,-90.25\n");
  CHECK_THROWS_WITH_AS(CsvLog(path, {"step", "kl"}, true),
                       doctest::Contains("the file's columns are 'step,elbo', this log's are 'step,kl'"), Error);
  // Append to a file that does not exist yet starts it; without append the file starts over.
  {
    CsvLog log(dir.file("new.csv"), {"a"}, true);
    log.row({1});
  }
  CHECK(read_text_file(dir.file("new.csv")) == "a\n1\n");
  {
    CsvLog log(path, {"x"});
  }
  CHECK(read_text_file(path) == "x\n");
  CHECK_THROWS_WITH_AS(CsvLog(dir.file("no/dir/log.csv"), {"a"}), doctest::Contains("cannot create"), Error);
}
