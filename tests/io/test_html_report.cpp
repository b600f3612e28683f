// Self-contained HTML reports (io/html_report.hpp): base64 against RFC 4648's vectors, escaping,
// structure, figures that decode back to their pixels, atomic writing, errors.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "elbo/error.hpp"
#include "elbo/io/atomic_file.hpp"
#include "elbo/io/html_report.hpp"
#include "elbo/io/png.hpp"
#include "temp_dir.hpp"

using namespace elbo;
using namespace elbo::io;
using namespace elbo::testing;

namespace {

std::vector<uint8_t> base64_decode(const std::string& text) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uint8_t> out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    bits = (bits << 6) | static_cast<uint32_t>(alphabet.find(c));
    if ((count += 6) >= 8) {
      count -= 8;
      out.push_back(static_cast<uint8_t>(bits >> count));
    }
  }
  return out;
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace

TEST_CASE("io: html report base64 (RFC 4648 test vectors) and escaping") {
  CHECK(base64_encode(bytes("")) == "");
  CHECK(base64_encode(bytes("f")) == "Zg==");
  CHECK(base64_encode(bytes("fo")) == "Zm8=");
  CHECK(base64_encode(bytes("foo")) == "Zm9v");
  CHECK(base64_encode(bytes("foob")) == "Zm9vYg==");
  CHECK(base64_encode(bytes("fooba")) == "Zm9vYmE=");
  CHECK(base64_encode(bytes("foobar")) == "Zm9vYmFy");
  const std::vector<uint8_t> high = {0xff, 0xfe, 0x00, 0x80};
  CHECK(base64_encode(high) == "//4AgA==");
  CHECK(base64_decode(base64_encode(high)) == high);
  CHECK(html_escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  CHECK(html_escape("plain 1.5 bits") == "plain 1.5 bits");
}

TEST_CASE("io: html report structure, embedded figures, atomic write") {
  HtmlReport report("Ensemble <1>");
  report.section("Summary");
  report.paragraph("<script>alert(1)</script> & more");
  report.preformatted("elbo info --posteriors a b");
  report.section("Tables, & more!");
  report.table({"name", "bits"}, {{"m0:1", "2.5"}, {"m1:3", "-0.25"}}, "per channel");
  Tensor image = zeros(Shape{3, 4, 5});
  image.data<float>()[0] = 1.0f;  // red top-left pixel
  report.figure(image, "A tiny figure");
  CHECK(report.figures() == 1);
  const std::string html = report.html();

  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<title>Ensemble &lt;1&gt;</title>") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);  // escaped, and the page has no script of its own
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more") != std::string::npos);
  CHECK(html.find("http://") == std::string::npos);  // nothing to fetch
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<style>") != std::string::npos);
  CHECK(occurrences(html, "<section id=") == 2);
  CHECK(html.find("<section id=\"summary\">") != std::string::npos);
  CHECK(occurrences(html, "</section>") == 2);
  CHECK(html.find("<h2>Summary</h2>") < html.find("<section id=\"tables-more\">\n<h2>Tables, &amp; more!</h2>"));
  CHECK(html.find("<caption>per channel</caption>") != std::string::npos);
  CHECK(occurrences(html, "<tr>") == 3);
  CHECK(html.find("<td class=\"num\">-0.25</td>") != std::string::npos);
  CHECK(html.find("<td>m0:1</td>") != std::string::npos);
  CHECK(html.find("width=\"5\" height=\"4\"") != std::string::npos);
  CHECK(html.find("<figcaption>Figure 1. A tiny figure</figcaption>") != std::string::npos);

  // The data URI holds the PNG of the image.
  const std::string prefix = "data:image/png;base64,";
  const size_t start = html.find(prefix) + prefix.size(), end = html.find('"', start);
  const std::vector<uint8_t> png = base64_decode(html.substr(start, end - start));
  CHECK(png == encode_png(to_image8(image)));
  const Image8 back = decode_image(png, 3, "figure");
  CHECK(back.width == 5);
  CHECK(back.height == 4);
  CHECK(back.pixels[0] == 255);
  CHECK(back.pixels[1] == 0);

  TempDir dir;
  report.write(dir.file("report.html"));
  CHECK(read_text_file(dir.file("report.html")) == html);
}

TEST_CASE("io: html report errors") {
  HtmlReport report("x");
  CHECK_THROWS_WITH_AS(report.table({"a", "b"}, {{"1"}}), doctest::Contains("row 0 has 1 cells but the header has 2"), Error);
  CHECK_THROWS_AS(report.table({}, {}), Error);
  const std::vector<uint8_t> not_png = bytes("GIF89a....");
  CHECK_THROWS_WITH_AS(report.figure_png(not_png, 1, 1, "cap"), doctest::Contains("are not a PNG file"), Error);
}
