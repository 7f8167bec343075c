// Replays every seed (tests/fuzz/corpus/<name>/) and every input that once
// crashed a fuzzer (tests/fuzz/regressions/<name>/) through the same entry
// point as the libFuzzer binary (issue #7): a crash found once stays fixed in
// the normal suite. A broken invariant aborts the test binary.

#include "fuzz/fuzz.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using entry_fn = void (*)(const uint8_t*, size_t);

size_t replay(const std::string& name, entry_fn fn) {
  size_t n = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    fs::path dir = fs::path(TRAINIA_SOURCE_DIR) / "tests" / "fuzz" / kind / name;
    if (!fs::is_directory(dir)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      INFO(f.string());
      fn(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++n;
    }
  }
  return n;
}

}  // namespace

TEST_CASE("fuzz replay: http corpus and regressions", "[fuzz]") {
  CHECK(replay("http", trainia::fuzz::http_one) > 0);
}
TEST_CASE("fuzz replay: json_bodies corpus and regressions", "[fuzz]") {
  CHECK(replay("json_bodies", trainia::fuzz::json_bodies_one) > 0);
}
TEST_CASE("fuzz replay: jwt corpus and regressions", "[fuzz]") {
  CHECK(replay("jwt", trainia::fuzz::jwt_one) > 0);
}
TEST_CASE("fuzz replay: stripe_signature corpus and regressions", "[fuzz]") {
  CHECK(replay("stripe_signature", trainia::fuzz::stripe_signature_one) > 0);
}
TEST_CASE("fuzz replay: svix_signature corpus and regressions", "[fuzz]") {
  CHECK(replay("svix_signature", trainia::fuzz::svix_signature_one) > 0);
}
TEST_CASE("fuzz replay: config corpus and regressions", "[fuzz]") {
  CHECK(replay("config", trainia::fuzz::config_one) > 0);
}
