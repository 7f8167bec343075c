#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

TEST_CASE("every setting is documented in the README's configuration table", "[config][docs]") {
  std::ifstream in(std::string(TRAINIA_SOURCE_DIR) + "/README.md");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  auto readme = ss.str();
  for (const auto& d : trainia::setting_docs()) {
    INFO(d.env);
    CHECK(readme.find("| `" + d.env + "` | `" + d.key + "` |") != std::string::npos);
  }
}
