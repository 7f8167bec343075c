#include "integration/server_fixture.hpp"
#include "support/poll.hpp"
#include "support/prometheus.hpp"

#include <catch2/catch.hpp>

using namespace trainia::test;
using nlohmann::json;

namespace {

const std::string profile = "/api/users/profile";

double db_jobs(trainia_server& s) {
  auto doc = parse_prometheus(s.admin().get("/metrics").body);
  return doc.value_or_zero("trainia_db_query_duration_seconds_count", {{"pool", "request"}});
}

bool is_rfc3339_ms(const std::string& s) {
  // 2026-11-25T10:00:00.123Z
  return s.size() == 24 && s[4] == '-' && s[10] == 'T' && s[19] == '.' && s[23] == 'Z';
}

}  // namespace

TEST_CASE("a profile is created on first sight and served from the session actor", "[integration][profile]") {
  trainia_server s;
  wait_for_listener(s);
  auto c = s.client();
  auto r = c.get(profile, s.auth("user_2NNEqL2nrIRdJ194ndJqAHwEfxC"));
  REQUIRE(r.status == 200);
  auto j = r.json();
  CHECK(j["user_id"] == "user_2NNEqL2nrIRdJ194ndJqAHwEfxC");
  CHECK(j["email"].is_null());
  CHECK(j["full_name"].is_null());
  CHECK(j["preferences"] == json::object());
  CHECK(j["id"].get<std::string>().size() == 36);
  CHECK(is_rfc3339_ms(j["created_at"]));
  CHECK(is_rfc3339_ms(j["updated_at"]));
  CHECK(r.header("Content-Type") == "application/json");
  CHECK(r.header("Cache-Control") == "private, no-cache");
  CHECK_FALSE(r.header("ETag").empty());
  CHECK_FALSE(r.header("X-Request-Id").empty());
  pg db(s.database_url());
  CHECK(db.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = 'user_2NNEqL2nrIRdJ194ndJqAHwEfxC'") == 1);

  // A repeat GET is answered from the actor's cache: no database job runs.
  auto before = db_jobs(s);
  for (int i = 0; i < 5; ++i) CHECK(c.get(profile, s.auth("user_2NNEqL2nrIRdJ194ndJqAHwEfxC")).status == 200);
  CHECK(db_jobs(s) == before);
}

TEST_CASE("PUT updates the profile, the result is durable and served afterwards", "[integration][profile]") {
  trainia_server s;
  auto c = s.client();
  auto r = c.put_json(profile, {{"full_name", "  Ada Lovelace "}, {"preferences", {{"theme", "dark"}, {"n", 3}}}},
                      s.auth("user_a"));
  REQUIRE(r.status == 200);
  auto j = r.json();
  CHECK(j["full_name"] == "Ada Lovelace");
  CHECK(j["preferences"] == json{{"theme", "dark"}, {"n", 3}});
  CHECK(j["updated_at"] >= j["created_at"]);
  pg db(s.database_url());
  auto row = db.query("SELECT full_name, preferences::text FROM user_profiles WHERE clerk_user_id = 'user_a'");
  REQUIRE(row.size() == 1);
  CHECK(row.at(0, "full_name") == "Ada Lovelace");
  CHECK(json::parse(*row.at(0, "preferences")) == json{{"theme", "dark"}, {"n", 3}});
  // preferences is replaced as a whole; full_name is kept when absent.
  r = c.put_json(profile, {{"preferences", {{"lang", "fr"}}}}, s.auth("user_a"));
  REQUIRE(r.status == 200);
  CHECK(r.json()["preferences"] == json{{"lang", "fr"}});
  CHECK(r.json()["full_name"] == "Ada Lovelace");
  auto g = c.get(profile, s.auth("user_a"));
  CHECK(g.json() == r.json());
  CHECK(g.header("ETag") == r.header("ETag"));
}

TEST_CASE("ETag and If-None-Match give 304, If-Match that no longer matches gives 412", "[integration][profile]") {
  trainia_server s;
  auto c = s.client();
  auto first = c.get(profile, s.auth("user_e"));
  auto etag = first.header("ETag");
  auto h = s.auth("user_e");
  h.emplace_back("If-None-Match", etag);
  auto not_modified = c.get(profile, h);
  CHECK(not_modified.status == 304);
  CHECK(not_modified.body.empty());
  CHECK(not_modified.header("ETag") == etag);

  auto h1 = s.auth("user_e");
  h1.emplace_back("If-Match", etag);
  auto upd = c.put_json(profile, {{"full_name", "First"}}, h1);
  REQUIRE(upd.status == 200);
  CHECK(upd.header("ETag") != etag);
  // The old tag no longer matches: 412, and nothing changes.
  auto stale = c.put_json(profile, {{"full_name", "Second"}}, h1);
  CHECK(stale.status == 412);
  CHECK(stale.json()["error"]["code"] == "precondition_failed");
  pg db(s.database_url());
  CHECK(*db.scalar("SELECT full_name FROM user_profiles WHERE clerk_user_id = 'user_e'") == "First");
  // The new tag does; and a GET with the old If-None-Match sees a full 200.
  auto h2 = s.auth("user_e");
  h2.emplace_back("If-Match", upd.header("ETag"));
  CHECK(c.put_json(profile, {{"full_name", "Second"}}, h2).status == 200);
  CHECK(c.get(profile, h).status == 200);
}

TEST_CASE("an update made behind the actor's back is caught by If-Match", "[integration][profile]") {
  trainia_server s;
  auto c = s.client();
  auto etag = c.get(profile, s.auth("user_f")).header("ETag");
  pg db(s.database_url());
  db.exec("BEGIN");
  db.exec("SET LOCAL ROLE trainia_service");
  db.exec("UPDATE user_profiles SET full_name = 'elsewhere' WHERE clerk_user_id = 'user_f'");
  db.exec("COMMIT");
  auto h = s.auth("user_f");
  h.emplace_back("If-Match", etag);
  CHECK(c.put_json(profile, {{"full_name", "mine"}}, h).status == 412);
  CHECK(*db.scalar("SELECT full_name FROM user_profiles WHERE clerk_user_id = 'user_f'") == "elsewhere");
}

TEST_CASE("two users never see each other's data", "[integration][profile]") {
  trainia_server s;
  auto c = s.client();
  REQUIRE(c.put_json(profile, {{"full_name", "Alice"}, {"preferences", {{"secret", "a"}}}}, s.auth("user_alice")).status == 200);
  REQUIRE(c.put_json(profile, {{"full_name", "Bob"}}, s.auth("user_bob")).status == 200);
  auto a = c.get(profile, s.auth("user_alice")).json();
  auto b = c.get(profile, s.auth("user_bob")).json();
  CHECK(a["full_name"] == "Alice");
  CHECK(b["full_name"] == "Bob");
  CHECK(b["preferences"] == json::object());
  CHECK(a["id"] != b["id"]);
}

TEST_CASE("bad input gets the contract's error and changes nothing", "[integration][profile]") {
  trainia_server s;
  auto c = s.client();
  REQUIRE(c.put_json(profile, {{"full_name", "Kept"}}, s.auth("user_v")).status == 200);
  auto check = [&](const std::string& body, const std::string& content_type, int status, const std::string& code) {
    auto h = s.auth("user_v");
    if (!content_type.empty()) h.emplace_back("Content-Type", content_type);
    auto r = c.request("PUT", profile, body, h);
    INFO(body);
    CHECK(r.status == status);
    CHECK(r.json()["error"]["code"] == code);
    CHECK(r.json()["error"]["message"].is_string());
    return r.json();
  };
  auto v = check(R"({"full_name":"","nickname":"x"})", "application/json", 400, "validation_failed");
  CHECK(v["error"]["details"].size() == 2);
  check(R"({"full_name":"x")", "application/json", 400, "invalid_json");
  check(R"({"full_name":"x"})", "text/plain", 415, "unsupported_media_type");
  check(R"({"full_name":"x"})", "", 415, "unsupported_media_type");
  check(R"({})", "application/json", 400, "validation_failed");
  check(R"({"preferences":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}})", "application/json", 400,
        "validation_failed");
  pg db(s.database_url());
  CHECK(*db.scalar("SELECT full_name FROM user_profiles WHERE clerk_user_id = 'user_v'") == "Kept");
  // SQL-looking text is data, stored as sent.
  auto sql = c.put_json(profile, {{"full_name", "x'); DROP TABLE user_profiles; --"}}, s.auth("user_v"));
  REQUIRE(sql.status == 200);
  CHECK(*db.scalar("SELECT full_name FROM user_profiles WHERE clerk_user_id = 'user_v'") ==
        "x'); DROP TABLE user_profiles; --");
  // Over 1 MiB: 413.
  auto h = s.auth("user_v");
  h.emplace_back("Content-Type", "application/json");
  auto big = c.request("PUT", profile, std::string(1024 * 1024 + 10, ' '), h);
  CHECK(big.status == 413);
  CHECK(big.json()["error"]["code"] == "payload_too_large");
}

TEST_CASE("routing: 404 for unknown paths, 405 with Allow for known ones", "[integration][http]") {
  trainia_server s;
  auto c = s.client();
  auto nf = c.get("/api/nothing", s.auth("user_r"));
  CHECK(nf.status == 404);
  CHECK(nf.json()["error"]["code"] == "not_found");
  auto na = c.request("DELETE", profile, "", s.auth("user_r"));
  CHECK(na.status == 405);
  CHECK(na.json()["error"]["code"] == "method_not_allowed");
  CHECK(na.header("Allow") == "GET, PUT");
}

TEST_CASE("X-Request-Id: echoed when well-formed, replaced otherwise", "[integration][http]") {
  trainia_server s;
  auto c = s.client();
  auto h = s.auth("user_q");
  h.emplace_back("X-Request-Id", "trace-123.abc_X");
  CHECK(c.get(profile, h).header("X-Request-Id") == "trace-123.abc_X");
  auto h2 = s.auth("user_q");
  h2.emplace_back("X-Request-Id", std::string(200, 'a'));
  auto r = c.get(profile, h2);
  CHECK(r.header("X-Request-Id").rfind("req_", 0) == 0);
  // Errors carry one too, and the log line of the request has the same id
  // (access lines are written within ~20 ms, with others of their thread).
  auto e = c.get("/api/nothing", {{"X-Request-Id", "err-trace-1"}});
  CHECK(e.header("X-Request-Id") == "err-trace-1");
  CHECK(poll_until([&] { return s.log().find("\"request_id\":\"err-trace-1\"") != std::string::npos; }));
}

TEST_CASE("session tokens: every rule answered over HTTP", "[integration][auth]") {
  trainia_server s;
  auto c = s.client();
  auto status_with = [&](const nlohmann::json& extra) {
    return c.get(profile, {bearer(s.token("user_t", extra))}).status;
  };
  CHECK(status_with({}) == 200);
  auto now = unix_now();
  CHECK(status_with({{"exp", now - 3}}) == 200);   // within the 5 s leeway
  CHECK(status_with({{"exp", now - 60}}) == 401);
  CHECK(status_with({{"nbf", now + 60}}) == 401);
  CHECK(status_with({{"iat", now + 60}}) == 401);
  CHECK(status_with({{"iss", "https://evil.test"}}) == 401);
  CHECK(status_with({{"sub", nullptr}}) == 401);
  CHECK(status_with({{"sub", 42}}) == 401);
  CHECK(status_with({{"sts", "pending"}}) == 403);
  auto none = c.get(profile);
  CHECK(none.status == 401);
  CHECK(none.json()["error"]["code"] == "unauthorized");
  CHECK(c.get(profile, {{"Authorization", "Bearer not.a.jwt"}}).status == 401);
  CHECK(c.get(profile, {{"Authorization", "Basic dXNlcjpwYXNz"}}).status == 401);
  // The __session cookie works when there is no Authorization header.
  CHECK(c.get(profile, {{"Cookie", "theme=dark; __session=" + s.token("user_t")}}).status == 200);
  // The failure reasons are counted.
  auto m = parse_prometheus(s.admin().get("/metrics").body);
  CHECK(m.value("trainia_auth_failures_total", {{"reason", "token expired"}}) >= 1);
}

TEST_CASE("CORS for the front end, CSRF refused for cookie writes from other origins", "[integration][http]") {
  trainia_server s({.env = {{"CORS_ALLOWED_ORIGINS", "https://app.example"}}});
  auto c = s.client();
  auto pre = c.request("OPTIONS", profile, "",
                       {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "PUT"}});
  CHECK(pre.status == 204);
  CHECK(pre.header("Access-Control-Allow-Origin") == "https://app.example");
  CHECK(pre.header("Access-Control-Allow-Credentials") == "true");
  CHECK(pre.header("Access-Control-Allow-Methods").find("PUT") != std::string::npos);
  CHECK(pre.header("Access-Control-Allow-Headers").find("If-Match") != std::string::npos);
  CHECK(pre.header("Access-Control-Allow-Headers").find("Idempotency-Key") != std::string::npos);
  CHECK_FALSE(pre.header("Access-Control-Max-Age").empty());
  auto foreign = c.request("OPTIONS", profile, "", {{"Origin", "https://evil.example"}});
  CHECK(foreign.header("Access-Control-Allow-Origin").empty());

  auto h = s.auth("user_c");
  h.emplace_back("Origin", "https://app.example");
  auto ok = c.get(profile, h);
  CHECK(ok.header("Access-Control-Allow-Origin") == "https://app.example");
  CHECK(ok.header("Vary").find("Origin") != std::string::npos);
  auto h2 = s.auth("user_c");
  h2.emplace_back("Origin", "https://evil.example");
  CHECK(c.get(profile, h2).header("Access-Control-Allow-Origin").empty());

  // A write carried only by the cookie, from a foreign origin: 403, unchanged.
  header_list cookie{{"Cookie", "__session=" + s.token("user_c")}, {"Origin", "https://evil.example"}};
  auto csrf = c.put_json(profile, {{"full_name", "hijacked"}}, cookie);
  CHECK(csrf.status == 403);
  pg db(s.database_url());
  CHECK(db.count("SELECT count(*) FROM user_profiles WHERE full_name = 'hijacked'") == 0);
  // The same with the allowed origin succeeds.
  header_list good{{"Cookie", "__session=" + s.token("user_c")}, {"Origin", "https://app.example"}};
  CHECK(c.put_json(profile, {{"full_name", "mine"}}, good).status == 200);
}

TEST_CASE("the per-user rate limit answers 429 with Retry-After", "[integration][http]") {
  trainia_server s({.env = {{"TRAINIA_RATE_LIMIT_PER_SECOND", "1"}, {"TRAINIA_RATE_LIMIT_BURST", "3"}}});
  auto c = s.client();
  int ok = 0, limited = 0;
  std::string retry;
  for (int i = 0; i < 6; ++i) {
    auto r = c.get(profile, s.auth("user_rl"));
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited;
      retry = r.header("Retry-After");
      CHECK(r.json()["error"]["code"] == "rate_limited");
    }
  }
  CHECK(ok >= 3);
  CHECK(limited >= 2);
  CHECK(std::stoi(retry) >= 1);
  // Another user is not affected.
  CHECK(c.get(profile, s.auth("user_other")).status == 200);
}
