// Self-contained HTML reports; see elbo/io/html_report.hpp.
#include "elbo/io/html_report.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/png.hpp"

namespace elbo::io {

std::string base64_encode(std::span<const uint8_t> bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {  // 3 bytes → 4 characters of 6 bits
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {  // 1 or 2 bytes left: pad with '='
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (rest == 2 ? uint32_t{bytes[i + 1]} << 8 : 0u);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

constexpr const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; border-bottom: 2px solid #ddd; padding-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #eee; }
h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: 0.3em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; image-rendering: pixelated; border: 1px solid #eee; }
figcaption { font-size: 0.92em; color: #444; max-width: 60em; }
pre { background: #f6f6f6; padding: 0.6em; white-space: pre-wrap; overflow-wrap: anywhere; }
)";

// A cell that strtod reads completely ("0.25", "-3", "1e-5", "inf") is a number.
bool looks_numeric(const std::string& text) {
  if (text.empty()) return false;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return end && *end == '\0';
}

}  // namespace

HtmlReport::HtmlReport(std::string title) : title_(std::move(title)) {}

void HtmlReport::section(const std::string& heading) {
  if (in_section_) body_ += "</section>\n";
  std::string id;  // "Latent traversals" → "latent-traversals", for links to #latent-traversals
  for (char c : heading) {
    if (std::isalnum(static_cast<unsigned char>(c))) id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!id.empty() && id.back() != '-') id += '-';
  }
  while (!id.empty() && id.back() == '-') id.pop_back();
  body_ += "<section id=\"" + id + "\">\n<h2>" + html_escape(heading) + "</h2>\n";
  in_section_ = true;
}

void HtmlReport::subheading(const std::string& text) { body_ += "<h3>" + html_escape(text) + "</h3>\n"; }

void HtmlReport::paragraph(const std::string& text) { body_ += "<p>" + html_escape(text) + "</p>\n"; }

void HtmlReport::preformatted(const std::string& text) { body_ += "<pre>" + html_escape(text) + "</pre>\n"; }

void HtmlReport::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                       const std::string& caption) {
  ELBO_CHECK(!header.empty(), "HtmlReport::table: a table needs at least one column");
  body_ += "<table>\n";
  if (!caption.empty()) body_ += "<caption>" + html_escape(caption) + "</caption>\n";
  body_ += "<thead><tr>";
  for (const std::string& h : header) body_ += "<th>" + html_escape(h) + "</th>";
  body_ += "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    ELBO_CHECK(rows[r].size() == header.size(), "HtmlReport::table: row ", r, " has ", rows[r].size(),
               " cells but the header has ", header.size());
    body_ += "<tr>";
    for (const std::string& cell : rows[r])
      body_ += (looks_numeric(cell) ? "<td class=\"num\">" : "<td>") + html_escape(cell) + "</td>";
    body_ += "</tr>\n";
  }
  body_ += "</tbody>\n</table>\n";
}

void HtmlReport::figure(const Tensor& image, const std::string& caption, const std::string& alt) {
  Image8 img = to_image8(image);
  figure_png(encode_png(img), img.width, img.height, caption, alt);
}

void HtmlReport::figure_png(std::span<const uint8_t> png, int64_t width, int64_t height, const std::string& caption,
                            const std::string& alt) {
  static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  ELBO_CHECK(png.size() > 8 && std::equal(kSignature, kSignature + 8, png.begin()),
             "HtmlReport::figure_png: the bytes of figure '", caption, "' are not a PNG file");
  ELBO_CHECK(width >= 1 && height >= 1, "HtmlReport::figure_png: size ", width, "x", height, " of figure '", caption,
             "' must be positive");
  ++figures_;
  body_ += "<figure id=\"figure-" + std::to_string(figures_) + "\">\n<img src=\"data:image/png;base64," +
           base64_encode(png) + "\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
           "\" alt=\"" + html_escape(alt.empty() ? caption : alt) + "\">\n";
  if (!caption.empty())
    body_ += "<figcaption>Figure " + std::to_string(figures_) + ". " + html_escape(caption) + "</figcaption>\n";
  body_ += "</figure>\n";
}

std::string HtmlReport::html() const {
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<title>" + html_escape(title_) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  page += "<h1>" + html_escape(title_) + "</h1>\n" + body_;
  if (in_section_) page += "</section>\n";
  page += "</body>\n</html>\n";
  return page;
}

void HtmlReport::write(const std::string& path) const { write_file_atomic(path, html()); }

}  // namespace elbo::io
