// libFuzzer target: the JSON parser (io/json.hpp). Any text must parse or fail with elbo::Error;
// a parsed value must survive dump → parse unchanged (compact and pretty).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "elbo/error.hpp"
#include "elbo/io/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace elbo;
  json::Value v;
  try {
    v = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const Error&) {
    return 0;
  }
  for (int indent : {-1, 2}) {
    json::Value back = json::parse(json::dump(v, indent), "fuzz round trip");
    if (back != v) std::abort();
  }
  return 0;
}
