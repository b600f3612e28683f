// Training logs as CSV (RFC 4180): a header row naming the columns, then one row per call.
//
// Every row is flushed when written, so a crashed run keeps every row it completed. In append mode
// (a resumed run) the file's header must name the same columns; a last row cut off by a crash (no
// final newline) is removed before appending. Numbers are written in the shortest form that reads
// back to the same double (std::to_chars), integers exactly, NaN and infinities as nan, inf, -inf
// (as Python's float() and pandas read them); text containing a comma, quote or line break is
// quoted, with quotes doubled.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace elbo::io {

// One field of a row: a number or a text.
struct CsvCell {
  std::string text;
  CsvCell(double v);
  CsvCell(float v) : CsvCell(static_cast<double>(v)) {}
  CsvCell(int v) : CsvCell(static_cast<int64_t>(v)) {}
  CsvCell(int64_t v);
  CsvCell(uint64_t v);
  CsvCell(const char* s);
  CsvCell(const std::string& s);
};

class CsvLog {
 public:
  // Creates (or, with append, continues) the log at `path` with these columns.
  CsvLog(const std::string& path, const std::vector<std::string>& columns, bool append = false);
  CsvLog(const CsvLog&) = delete;
  CsvLog& operator=(const CsvLog&) = delete;
  ~CsvLog();

  // Writes one row; it must have one cell per column.
  void row(const std::vector<CsvCell>& cells);
  const std::string& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::FILE* file_ = nullptr;
};

// A field as written in a CSV row (quoted when needed).
std::string csv_field(const std::string& text);

}  // namespace elbo::io
