#pragma once
// Entry points of the fuzz targets (issue #7). Each tests/fuzz/fuzz_<name>.cpp
// defines `<name>_one`; built with TRAINIA_LIBFUZZER it is also a libFuzzer
// binary (cmake/fuzz.cmake), and unit_tests replays tests/fuzz/corpus/<name>/
// and tests/fuzz/regressions/<name>/ through the same function
// (tests/fuzz/regressions_test.cpp).
//
// An entry point returns normally for every input. A broken invariant (a forged
// token accepted, a secret echoed in an error) aborts, which libFuzzer reports as
// a crash and which fails the unit test binary.

#include "config/config.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace trainia::fuzz {

void http_one(const uint8_t* data, size_t size);
void json_bodies_one(const uint8_t* data, size_t size);
void jwt_one(const uint8_t* data, size_t size);
void stripe_signature_one(const uint8_t* data, size_t size);
void svix_signature_one(const uint8_t* data, size_t size);
void config_one(const uint8_t* data, size_t size);

/// The server's configuration with only the built-in defaults (the limits the
/// real server runs with unless told otherwise). Aborts if it does not load.
const config& default_config();

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace trainia::fuzz

#define FUZZ_CHECK(cond)                                                                       \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

#ifdef TRAINIA_LIBFUZZER
#define TRAINIA_FUZZ_ENTRY(fn)                                                  \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {   \
    fn(data, size);                                                             \
    return 0;                                                                   \
  }
#else
#define TRAINIA_FUZZ_ENTRY(fn)
#endif
