#include "elbo/io/csv.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"

namespace elbo::io {

CsvCell::CsvCell(double v) {
  if (std::isnan(v)) {
    text = "nan";
  } else if (std::isinf(v)) {
    text = v > 0 ? "inf" : "-inf";
  } else {
    char buf[64];
    auto [end, err] = std::to_chars(buf, buf + sizeof buf, v);
    text.assign(buf, end);
  }
}
CsvCell::CsvCell(int64_t v) : text(std::to_string(v)) {}
CsvCell::CsvCell(uint64_t v) : text(std::to_string(v)) {}
CsvCell::CsvCell(const char* s) : text(csv_field(s)) {}
CsvCell::CsvCell(const std::string& s) : text(csv_field(s)) {}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

namespace {
std::string header_line(const std::vector<std::string>& columns) {
  std::string line;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) line += ',';
    line += csv_field(columns[i]);
  }
  return line + "\n";
}
}  // namespace

CsvLog::CsvLog(const std::string& path, const std::vector<std::string>& columns, bool append)
    : path_(path), columns_(columns) {
  ELBO_CHECK(!columns.empty(), "CsvLog: ", path, ": needs at least one column");
  std::string header = header_line(columns);
  struct stat st;
  bool exists = ::stat(path.c_str(), &st) == 0 && st.st_size > 0;
  if (append && exists) {
    std::string content = read_text_file(path);
    std::string first = content.substr(0, content.find('\n') + 1);
    ELBO_CHECK(first == header, "CsvLog: ", path, ": cannot append: the file's columns are '",
               first.substr(0, first.find_last_not_of("\r\n") + 1), "', this log's are '", header.substr(0, header.size() - 1),
               "' (start a new log, or pass the same columns)");
    // A row cut off by a crash (no final newline) is dropped.
    size_t keep = content.rfind('\n') + 1;
    if (keep < content.size()) ELBO_CHECK(::truncate(path.c_str(), static_cast<off_t>(keep)) == 0, "CsvLog: ", path,
                                          ": cannot remove a partial last row: ", errno_text(errno));
    file_ = std::fopen(path.c_str(), "ab");
    ELBO_CHECK(file_ != nullptr, "CsvLog: cannot open ", path, " for appending: ", errno_text(errno));
    return;
  }
  file_ = std::fopen(path.c_str(), "wb");
  ELBO_CHECK(file_ != nullptr, "CsvLog: cannot create ", path, ": ", errno_text(errno));
  ELBO_CHECK(std::fputs(header.c_str(), file_) >= 0 && std::fflush(file_) == 0, "CsvLog: cannot write ", path, ": ",
             errno_text(errno));
}

CsvLog::~CsvLog() {
  if (file_ != nullptr) std::fclose(file_);
}

void CsvLog::row(const std::vector<CsvCell>& cells) {
  ELBO_CHECK(cells.size() == columns_.size(), "CsvLog: ", path_, ": a row of ", cells.size(), " cells for ",
             columns_.size(), " columns");
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ',';
    line += cells[i].text;
  }
  line += '\n';
  ELBO_CHECK(std::fputs(line.c_str(), file_) >= 0 && std::fflush(file_) == 0, "CsvLog: cannot write ", path_, ": ",
             errno_text(errno));
}

}  // namespace elbo::io
