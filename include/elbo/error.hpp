// Errors: every misuse throws elbo::Error with a message that names the operation and the
// offending values (shapes, dtypes, flags), so that a user can see what to fix.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace elbo {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  throw Error(out.str());
}
}  // namespace detail

}  // namespace elbo

// ELBO_CHECK(condition, "op_name: ", what, ...) throws elbo::Error built from the parts.
#define ELBO_CHECK(cond, ...)                         \
  do {                                                \
    if (!(cond)) ::elbo::detail::fail(__VA_ARGS__);   \
  } while (0)
