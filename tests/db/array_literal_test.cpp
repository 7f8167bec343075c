#include "db/array_literal.hpp"

#include <catch2/catch.hpp>

using namespace trainia::db;

TEST_CASE("text array literals quote and escape every element", "[db][array]") {
  CHECK(text_array({}) == "{}");
  CHECK(text_array({"a", ""}) == R"({"a",""})");
  CHECK(text_array({R"({"k":"v\"x"})", "back\\slash", "NULL", "a,b"}) ==
        R"({"{\"k\":\"v\\\"x\"}","back\\slash","NULL","a,b"})");
}

TEST_CASE("nullable array literals write NULL unquoted, and the text NULL quoted", "[db][array]") {
  CHECK(nullable_text_array({std::string_view("NULL"), std::nullopt, std::string_view("{}")}) ==
        R"({"NULL",NULL,"{}"})");
  CHECK(nullable_int_array({1LL, std::nullopt, -7LL}) == "{1,NULL,-7}");
  CHECK(int_array(std::vector<int>{3, 0, -2}) == "{3,0,-2}");
  CHECK(bool_array({true, false}) == "{t,f}");
  CHECK(bool_array({}) == "{}");
}
