#include "ai/task_input.hpp"
#include "core/error.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace trainia;

namespace {

config test_config() {
  config c;
  c.openai_model = "gpt-4o-mini";
  c.ai_models = {"gpt-4o", "llama3"};
  return c;
}

/// The validation details as path → message.
std::map<std::string, std::string> problems(const std::string& body) {
  auto r = ai::validate_submit(body, test_config());
  REQUIRE_FALSE(r);
  REQUIRE(is(r.error(), errc::validation_failed));
  std::map<std::string, std::string> out;
  for (const auto& f : info_of(r.error()).fields) out[f.path] = f.message;
  return out;
}

}  // namespace

TEST_CASE("a minimal submit gets the default model", "[ai][validation]") {
  auto r = ai::validate_submit(R"({"prompt":"Hello"})", test_config());
  REQUIRE(r);
  CHECK(r->prompt == "Hello");
  CHECK(r->model == "gpt-4o-mini");
  CHECK_FALSE(r->system);
  CHECK_FALSE(r->temperature);
  CHECK_FALSE(r->max_tokens);
  CHECK(nlohmann::json::parse(r->to_json()) == nlohmann::json{{"prompt", "Hello"}, {"model", "gpt-4o-mini"}});
}

TEST_CASE("every field is kept and round-trips through the stored input", "[ai][validation]") {
  auto r = ai::validate_submit(
      R"({"prompt":"Hi","system":"Be brief.","model":"llama3","temperature":0.5,"max_tokens":4096})", test_config());
  REQUIRE(r);
  auto back = ai::input_from_json(r->to_json());
  REQUIRE(back);
  CHECK(back->prompt == "Hi");
  CHECK(back->system == std::optional<std::string>("Be brief."));
  CHECK(back->model == "llama3");
  CHECK(back->temperature == std::optional<double>(0.5));
  CHECK(back->max_tokens == std::optional<int>(4096));
}

TEST_CASE("limits are counted in code points and at the edges", "[ai][validation]") {
  std::string max_ascii(32000, 'a');
  CHECK(ai::validate_submit(nlohmann::json{{"prompt", max_ascii}}.dump(), test_config()));
  CHECK(problems(nlohmann::json{{"prompt", max_ascii + "a"}}.dump()).count("prompt"));
  // 32000 three-byte characters are 96000 bytes but 32000 characters.
  std::string wide;
  for (int i = 0; i < 32000; ++i) wide += "\xE2\x82\xAC";  // €
  CHECK(ai::validate_submit(nlohmann::json{{"prompt", wide}}.dump(), test_config()));
  CHECK(ai::validate_submit(nlohmann::json{{"prompt", "x"}, {"system", wide}}.dump(), test_config()));
  CHECK(problems(nlohmann::json{{"prompt", "x"}, {"system", wide + "a"}}.dump()).count("system"));
  CHECK(ai::validate_submit(R"({"prompt":"x","temperature":0})", test_config()));
  CHECK(ai::validate_submit(R"({"prompt":"x","temperature":2})", test_config()));
  CHECK(ai::validate_submit(R"({"prompt":"x","max_tokens":1})", test_config()));
}

TEST_CASE("each rule is reported with the field it concerns", "[ai][validation]") {
  CHECK(problems(R"({})").at("prompt") == "is required");
  CHECK(problems(R"({"prompt":""})").at("prompt") == "must be 1 to 32000 characters");
  CHECK(problems(R"({"prompt":"   "})").at("prompt") == "must not be blank");
  CHECK(problems(R"({"prompt":5})").at("prompt") == "must be a string");
  CHECK(problems(R"({"prompt":"a\u0000b"})").at("prompt") == "must not contain NUL characters");
  CHECK(problems(R"({"prompt":"x","system":7})").at("system") == "must be a string");
  CHECK(problems(R"({"prompt":"x","model":"gpt-5"})").at("model") == "must be one of: gpt-4o-mini, gpt-4o, llama3");
  CHECK(problems(R"({"prompt":"x","temperature":2.01})").at("temperature") == "must be between 0 and 2");
  CHECK(problems(R"({"prompt":"x","temperature":-0.1})").at("temperature") == "must be between 0 and 2");
  CHECK(problems(R"({"prompt":"x","temperature":"hot"})").at("temperature") == "must be a number");
  CHECK(problems(R"({"prompt":"x","max_tokens":0})").at("max_tokens") == "must be between 1 and 4096");
  CHECK(problems(R"({"prompt":"x","max_tokens":4097})").at("max_tokens") == "must be between 1 and 4096");
  CHECK(problems(R"({"prompt":"x","max_tokens":18446744073709551615})").at("max_tokens") ==
        "must be between 1 and 4096");
  CHECK(problems(R"({"prompt":"x","max_tokens":10.5})").at("max_tokens") == "must be an integer");
}

TEST_CASE("unknown fields are named, and every problem is reported at once", "[ai][validation]") {
  auto p = problems(R"({"prompt":"","stream":true,"tools":[],"temperature":9})");
  CHECK(p.at("stream") == "unknown field");
  CHECK(p.at("tools") == "unknown field");
  CHECK(p.count("prompt"));
  CHECK(p.count("temperature"));
}

TEST_CASE("null optional fields count as absent, bodies that are not objects are refused", "[ai][validation]") {
  auto r = ai::validate_submit(R"({"prompt":"x","system":null,"model":null,"temperature":null,"max_tokens":null})",
                               test_config());
  REQUIRE(r);
  CHECK(r->model == "gpt-4o-mini");
  CHECK(problems(R"(["prompt"])").count(""));
  auto bad = ai::validate_submit("{\"prompt\":", test_config());
  REQUIRE_FALSE(bad);
  CHECK(is(bad.error(), errc::invalid_json));
}

TEST_CASE("Idempotency-Key values", "[ai][validation]") {
  CHECK(ai::check_idempotency_key("3f1c2a9e-1b7d-4a55-9c1e-0d2f3a4b5c6d").empty());
  CHECK(ai::check_idempotency_key(std::string(255, 'k')).empty());
  CHECK_FALSE(ai::check_idempotency_key("").empty());
  CHECK_FALSE(ai::check_idempotency_key(std::string(256, 'k')).empty());
  CHECK_FALSE(ai::check_idempotency_key("has space").empty());
  CHECK_FALSE(ai::check_idempotency_key("caf\xC3\xA9").empty());
}
