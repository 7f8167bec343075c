#include "core/error.hpp"
#include "profiles/profile_validation.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using trainia::errc;
using trainia::profiles::validate_update;

namespace {

std::vector<trainia::field_error> fields_of(std::string_view body) {
  auto r = validate_update(body);
  REQUIRE_FALSE(r);
  REQUIRE(trainia::is(r.error(), errc::validation_failed));
  return trainia::info_of(r.error()).fields;
}

bool names(const std::vector<trainia::field_error>& f, const std::string& path) {
  for (const auto& e : f)
    if (e.path == path) return true;
  return false;
}

std::string nested(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "{\"a\":";
  s += "1";
  for (int i = 0; i < depth; ++i) s += "}";
  return s;
}

}  // namespace

TEST_CASE("a full_name is trimmed and bounded in code points", "[profiles]") {
  auto r = validate_update(R"({"full_name":"  Ada Lovelace \t"})");
  REQUIRE(r);
  CHECK(r->set_full_name);
  CHECK(r->full_name == "Ada Lovelace");
  CHECK_FALSE(r->set_preferences);

  // 200 code points of a 3-byte character are fine (600 bytes); 201 are not.
  std::string two_hundred;
  for (int i = 0; i < 200; ++i) two_hundred += "\xE2\x82\xAC";  // €
  CHECK(validate_update(nlohmann::json{{"full_name", two_hundred}}.dump()));
  CHECK(names(fields_of(nlohmann::json{{"full_name", two_hundred + "x"}}.dump()), "full_name"));
  // Only white space (including U+3000) → empty after trimming.
  CHECK(names(fields_of(R"({"full_name":" \u3000 "})"), "full_name"));
  CHECK(names(fields_of(R"({"full_name":""})"), "full_name"));
  CHECK(names(fields_of(R"({"full_name":null})"), "full_name"));
  CHECK(names(fields_of(R"({"full_name":42})"), "full_name"));
  CHECK(names(fields_of(R"({"full_name":"a\u0000b"})"), "full_name"));
}

TEST_CASE("preferences must be an object of at most 16 KiB and depth 8", "[profiles]") {
  auto r = validate_update(R"({"preferences":{"theme":"dark","n":[1,2,{"x":true}]}})");
  REQUIRE(r);
  CHECK(r->set_preferences);
  CHECK(nlohmann::json::parse(r->preferences_json) == nlohmann::json::parse(R"({"theme":"dark","n":[1,2,{"x":true}]})"));
  CHECK(names(fields_of(R"({"preferences":[1]})"), "preferences"));
  CHECK(names(fields_of(R"({"preferences":"x"})"), "preferences"));
  CHECK(names(fields_of(R"({"preferences":null})"), "preferences"));
  CHECK(validate_update("{\"preferences\":" + nested(8) + "}"));
  CHECK(names(fields_of("{\"preferences\":" + nested(9) + "}"), "preferences"));
  std::string big(16 * 1024, 'x');
  CHECK(names(fields_of(nlohmann::json{{"preferences", {{"k", big}}}}.dump()), "preferences"));
  std::string fits(16 * 1024 - 10, 'x');  // {"k":"…"} is 8 bytes of overhead
  CHECK(validate_update(nlohmann::json{{"preferences", {{"k", fits}}}}.dump()));
}

TEST_CASE("unknown fields are named, at least one field is required", "[profiles]") {
  auto f = fields_of(R"({"full_name":"Ada","email":"a@b","role":"admin"})");
  CHECK(names(f, "email"));
  CHECK(names(f, "role"));
  CHECK(names(fields_of("{}"), ""));
  CHECK(names(fields_of("[]"), ""));
  CHECK(names(fields_of("42"), ""));
}

TEST_CASE("a body that is not JSON is invalid_json", "[profiles]") {
  for (const char* body : {"", "{", "full_name=Ada", "{\"full_name\":\"\xff\"}", "{\"a\":1}}"}) {
    INFO(body);
    auto r = validate_update(body);
    REQUIRE_FALSE(r);
    CHECK(trainia::is(r.error(), errc::invalid_json));
  }
}

TEST_CASE("absurd nesting is refused before a tree is built", "[profiles]") {
  std::string deep(100000, '[');
  auto r = validate_update(deep);
  REQUIRE_FALSE(r);
  CHECK(trainia::is(r.error(), errc::validation_failed));
}
