// Shared by every fuzz target (and by unit_tests, which replays them).

#include "fuzz/fuzz.hpp"

#include <string>

namespace trainia::fuzz {

const config& default_config() {
  static const config cfg = [] {
    std::string err;
    auto c = load_config({}, load_options{.need_database = false, .need_auth = false}, err);
    if (!c) {
      std::fprintf(stderr, "default config: %s\n", err.c_str());
      std::abort();
    }
    return *c;
  }();
  return cfg;
}

}  // namespace trainia::fuzz

#ifdef BOOST_ENABLE_ASSERT_HANDLER
// The fuzz build keeps Boost's assertions (scripts/fuzz); they land here.
// Beast 1.74's chunk-header parser asserts `n >= 5` when it resumes after
// need_more, but 3 or 4 bytes are legal there (a final chunk "0\r\n" then a
// lone "\r"): the code after it finds no end of message and asks for more.
// Beast fixed the assertion itself (boostorg/beast#2861, 2024); release
// builds (NDEBUG) never evaluate it. Every other assertion aborts.
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace boost {

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  if (std::strcmp(expr, "n >= 5") == 0 && std::strstr(file, "beast/http/impl/basic_parser.ipp") != nullptr) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed.\n", file, line, function, expr);
  std::abort();
}

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line) {
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed: %s\n", file, line, function, expr, msg);
  std::abort();
}

}  // namespace boost
#endif
