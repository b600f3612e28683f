// A self-contained HTML report: one file with inline CSS and PNG figures embedded as base64 data URIs
// (RFC 2397), so it opens in any browser without scripts, network or companion files.
//
//   io::HtmlReport report("elbo info: ensemble of 25 models");
//   report.section("Hotspots");
//   report.paragraph("OPTICS found 5 hotspots.");
//   report.table({"hotspot", "size"}, {{"1", "25"}, {"2", "24"}});
//   report.figure(image, "NMI, reordered by OPTICS");   // an RGB or grey image tensor [C, H, W]
//   report.write("out/report.html");                    // atomically
//
// Every text is HTML-escaped (& < > " '); nothing a caller passes can inject markup. Figures are
// shown at their pixel size (scaled down to the page width when wider) with pixelated scaling, so
// the 5×7 font and heatmap cells stay sharp.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elbo/tensor.hpp"

namespace elbo::io {

// Base64 with the standard alphabet and '=' padding (RFC 4648 §4).
std::string base64_encode(std::span<const uint8_t> bytes);
// Text with & < > " ' replaced by character references.
std::string html_escape(std::string_view text);

class HtmlReport {
 public:
  explicit HtmlReport(std::string title);

  // A new section with an <h2> heading (closes the previous one); its id is the heading in lower case
  // with runs of other characters as '-' ("Hotspots, 2024" → id "hotspots-2024").
  void section(const std::string& heading);
  void subheading(const std::string& text);  // <h3>
  void paragraph(const std::string& text);
  void preformatted(const std::string& text);  // <pre>, e.g. a command line
  // A table with a header row; every row must have as many cells as the header. Cells that read as
  // numbers are right-aligned.
  void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
             const std::string& caption = "");
  // A figure from an image tensor [C, H, W] (png.hpp's conventions) or from PNG bytes already encoded;
  // `alt` defaults to the caption.
  void figure(const Tensor& image, const std::string& caption, const std::string& alt = "");
  void figure_png(std::span<const uint8_t> png, int64_t width, int64_t height, const std::string& caption,
                  const std::string& alt = "");

  int64_t figures() const { return figures_; }
  // The whole page.
  std::string html() const;
  // Writes the page atomically (atomic_file.hpp).
  void write(const std::string& path) const;

 private:
  std::string title_, body_;
  bool in_section_ = false;
  int64_t figures_ = 0;
};

}  // namespace elbo::io
