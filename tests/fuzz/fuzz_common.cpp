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
