// Where Boost's assertions land in builds that keep them (no NDEBUG: the
// sanitizer and fuzz builds). trainia_core defines
// BOOST_ENABLE_ASSERT_DEBUG_HANDLER for everything built against it, so
// BOOST_ASSERT calls these functions when NDEBUG is not set and compiles to
// nothing when it is (the release and RelWithDebInfo builds).
//
// One assertion is known to be wrong and must not take the server down: Beast
// 1.74's chunk-header parser asserts `n >= 5` when it resumes after need_more,
// but 3 or 4 bytes are legal there (a final chunk "0\r\n" then a lone "\r",
// which a client sending byte by byte produces). The code after the assertion
// finds no end of message and asks for more, which is right; Beast removed the
// assertion (boostorg/beast#2861, 2024). Every other assertion aborts, as
// BOOST_ASSERT does by default.

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
