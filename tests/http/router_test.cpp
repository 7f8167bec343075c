#include "http/api_pipeline.hpp"
#include "http/etag.hpp"
#include "http/error_response.hpp"
#include "http/request_id.hpp"
#include "http/router.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace trainia;
using namespace trainia::http;

TEST_CASE("routes match by segments with parameters, 405 knows the allowed methods", "[http]") {
  obs::registry m;
  router r(m);
  r.add(verb::get, "/api/ai/tasks/{id}", [](const context_ptr&) {});
  r.add(verb::post, "/api/ai/tasks/{id}/cancel", [](const context_ptr&) {});
  r.add(verb::get, "/api/users/profile", [](const context_ptr&) {});
  r.add(verb::put, "/api/users/profile", [](const context_ptr&) {});

  auto hit = r.match(verb::get, "/api/ai/tasks/abc-123");
  REQUIRE(hit.found);
  CHECK(hit.found->pattern == "/api/ai/tasks/{id}");
  CHECK(hit.params == std::vector<std::string>{"abc-123"});

  auto cancel = r.match(verb::post, "/api/ai/tasks/x/cancel");
  REQUIRE(cancel.found);
  CHECK(cancel.params == std::vector<std::string>{"x"});

  auto wrong = r.match(verb::delete_, "/api/users/profile");
  CHECK_FALSE(wrong.found);
  CHECK(wrong.path_known);
  CHECK(wrong.allow == "GET, PUT");

  auto none = r.match(verb::get, "/api/users/profile/extra");
  CHECK_FALSE(none.found);
  CHECK_FALSE(none.path_known);
  CHECK_FALSE(r.match(verb::get, "/api/ai/tasks/").found);  // empty parameter
  CHECK_FALSE(r.match(verb::get, "api/users/profile").found);
  CHECK_FALSE(r.match(verb::get, "/API/users/profile").found);
}

TEST_CASE("If-None-Match uses weak comparison over a list", "[http]") {
  CHECK(none_match_hits("\"1-abc\"", "\"1-abc\""));
  CHECK(none_match_hits("W/\"1-abc\"", "\"1-abc\""));
  CHECK(none_match_hits("\"0-x\", \"1-abc\"", "\"1-abc\""));
  CHECK(none_match_hits("*", "\"1-abc\""));
  CHECK_FALSE(none_match_hits("\"2-abc\"", "\"1-abc\""));
  CHECK_FALSE(none_match_hits("1-abc", "\"1-abc\""));
  CHECK_FALSE(none_match_hits("", "\"1-abc\""));
}

TEST_CASE("X-Request-Id: the caller's when well-formed, else a new one", "[http]") {
  CHECK(request_id_for("abc-123_x.y") == "abc-123_x.y");
  std::string max(128, 'a');
  CHECK(request_id_for(max) == max);
  for (std::string bad : {std::string(), std::string(129, 'a'), std::string("a b"), std::string("a\r\nSet-Cookie: x"),
                          std::string("é")}) {
    auto id = request_id_for(bad);
    CHECK(id != bad);
    CHECK(id.rfind("req_", 0) == 0);
    CHECK(id.size() == 28);
  }
  CHECK(request_id_for("") != request_id_for(""));
}

TEST_CASE("error values map to the contract's statuses and shape", "[http]") {
  auto check = [](const caf::error& e, status s, const char* code) {
    auto m = map_error(e);
    CHECK(m.code == s);
    auto j = nlohmann::json::parse(m.body);
    CHECK(j["error"]["code"] == code);
    CHECK(j["error"]["message"].is_string());
    return j;
  };
  check(fail(errc::unauthorized, "x"), status::unauthorized, "unauthorized");
  check(fail(errc::not_found, "x"), status::not_found, "not_found");
  check(fail(errc::precondition_failed, "x"), status::precondition_failed, "precondition_failed");
  check(fail(errc::unsupported_media_type, "x"), status::unsupported_media_type, "unsupported_media_type");
  check(fail(errc::quota_exceeded, "x"), status::payment_required, "quota_exceeded");
  check(fail(errc::upstream_error, "x"), status::bad_gateway, "upstream_error");
  auto v = check(fail_validation({{"full_name", "too long"}}), status::bad_request, "validation_failed");
  CHECK(v["error"]["details"] == nlohmann::json::parse(R"([{"path":"full_name","message":"too long"}])"));
  // Internal notes (SQL, SQLSTATE) never reach the body.
  auto internal = map_error(fail(errc::internal, "internal error", "sql profiles/x failed [42P01]: relation missing"));
  CHECK(internal.body.find("42P01") == std::string::npos);
  CHECK(internal.body.find("sql") == std::string::npos);
  CHECK(internal.internal.find("42P01") != std::string::npos);
  auto busy = map_error(fail_unavailable("db down", 2));
  CHECK(busy.code == status::service_unavailable);
  CHECK(busy.retry_after == 2);
  auto limited = map_error(fail(errc::rate_limited, "slow down"));
  CHECK(limited.retry_after >= 1);
  // An actor that died mid-request: 500, nothing about the inside.
  auto crashed = map_error(caf::make_error(caf::sec::runtime_error, std::string("boom at line 12")));
  CHECK(crashed.code == status::internal_server_error);
  CHECK(crashed.body.find("boom") == std::string::npos);
  CHECK(map_error(caf::make_error(caf::sec::request_receiver_down)).code == status::service_unavailable);
}

TEST_CASE("JSON media types", "[http]") {
  CHECK(is_json_media_type("application/json"));
  CHECK(is_json_media_type("application/json; charset=utf-8"));
  CHECK(is_json_media_type("Application/JSON"));
  CHECK_FALSE(is_json_media_type("text/plain"));
  CHECK_FALSE(is_json_media_type("application/jsonx"));
  CHECK_FALSE(is_json_media_type(""));
}
