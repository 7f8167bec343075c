// Issue #5: the server's log is JSON, one object per line, with the fields an
// operator relies on, and never a token, a secret, a signature or a payload.
#include "ai/ai_fixture.hpp"
#include "billing/stripe_fixtures.hpp"
#include "identity/svix_sign.hpp"
#include "integration/server_fixture.hpp"
#include "support/fake_http_server.hpp"
#include "support/pg.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <sstream>
#include <thread>

using namespace trainia::test;
using nlohmann::json;
namespace stripe = trainia::test::stripe;

namespace {

const std::string profile = "/api/users/profile";
const std::string clerk_secret = "whsec_T3BzTG9nQ2xlcmtTZWNyZXRGb3JUZXN0cw==";
const std::string stripe_key = "sk_test_OpsLogStripeKey9f8e7d6c5b4a";
const std::string openai_key = "sk-proj-OpsLogOpenAIKey1a2b3c4d5e6f";

/// Every line of `log` parsed as a JSON object (a line that is not one fails the test).
std::vector<json> json_lines(const std::string& log) {
  std::vector<json> out;
  std::istringstream in(log);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    INFO("log line " << n << ": " << line);
    auto j = json::parse(line, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    REQUIRE(j.is_object());
    out.push_back(std::move(j));
  }
  return out;
}

/// Every 20-character piece of `secret` (all of it when shorter).
std::vector<std::string> pieces(const std::string& secret) {
  if (secret.size() <= 20) return {secret};
  std::vector<std::string> out;
  for (size_t i = 0; i + 20 <= secret.size(); ++i) out.push_back(secret.substr(i, 20));
  return out;
}

bool rfc3339_ms_utc(const std::string& t) {
  static const std::regex re(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  return std::regex_match(t, re);
}

void wait_a_little_for(const std::function<bool()>& ok) {
  for (int i = 0; i < 100 && !ok(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

TEST_CASE("ops logs: JSON lines with time, level, msg, access fields, and no token, secret or payload",
          "[integration][ops]") {
  fake_http_server stripe_api;  // answers the tie-break fetch badly, so an error path runs
  stripe_api.on("GET", "/v1/subscriptions/", [](const recorded_request&) {
    return json_reply(500, R"({"error":{"type":"api_error","message":"boom"}})");
  });
  fake_http_server provider;  // refuses the key: the task fails and the provider's message is kept
  provider.on("POST", ai::chat_path, [](const recorded_request&) {
    return ai::provider_error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
  });
  auto env = ai::provider_env(provider, {{"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret},
                                         {"STRIPE_SECRET_KEY", stripe_key},
                                         {"STRIPE_API_BASE", stripe_api.base_url()},
                                         {"CLERK_WEBHOOK_SECRET", clerk_secret},
                                         {"OPENAI_API_KEY", openai_key},
                                         {"TRAINIA_PLANS_FILE", ""}});  // built-in plans: price_pro_monthly
  trainia_server s({.env = env});
  auto c = s.client();
  const std::string user = "user_ops_logs";
  const std::string token = s.token(user);
  const std::string cookie_token = s.token("user_ops_cookie", {{"sid", "sess_cookie_ops"}});

  // 1. Bearer token, with the caller's request id.
  const std::string rid = "ops-log-req-" + random_hex(6);
  auto r1 = c.get(profile, {bearer(token), {"X-Request-Id", rid}});
  REQUIRE(r1.status == 200);
  CHECK(r1.header("X-Request-Id") == rid);
  // 2. The __session cookie.
  REQUIRE(c.get(profile, {{"Cookie", "theme=dark; __session=" + cookie_token}}).status == 200);
  // 3. A bad token is refused (and counted), but never written down either.
  const std::string forged = token.substr(0, token.size() - 8) + "AAAAAAAA";
  CHECK(c.get(profile, {bearer(forged)}).status == 401);
  // 4. A PUT with a distinctive name and preferences.
  const std::string full_name = "Quillon Zarbiewicz-Opslog";
  const std::string pref_value = "kumquat-marmalade-7731";
  auto put = c.put_json(profile, {{"full_name", full_name}, {"preferences", {{"ops_marker", pref_value}}}},
                        {bearer(token)});
  REQUIRE(put.status == 200);
  // 5. Stripe webhooks: a linked customer's subscription, then a same-second tie
  //    that makes the server call Stripe with its secret key.
  pg db(s.database_url());
  db.exec("UPDATE user_profiles SET stripe_customer_id = 'cus_ops_logs' WHERE clerk_user_id = $1", {user});
  auto t = unix_now() - 3;
  auto e1 = stripe::subscription_event("customer.subscription.created", "evt_ops_log_1", t, "sub_ops_logs",
                                       "cus_ops_logs", "active");
  auto e1_body = e1.dump();
  auto e1_sig = stripe::signature_header(stripe::webhook_secret, unix_now(), e1_body);
  REQUIRE(stripe::deliver_signed(c, e1_body, e1_sig).status == 200);
  auto e2 = stripe::subscription_event("customer.subscription.updated", "evt_ops_log_2", t, "sub_ops_logs",
                                       "cus_ops_logs", "past_due");
  REQUIRE(stripe::deliver(c, e2).status == 200);
  stripe_api.wait_for("GET", "/v1/subscriptions/", 1, std::chrono::seconds(10));
  CHECK(stripe_api.count("GET", "/v1/subscriptions/") >= 1);
  // A forged one is refused.
  CHECK(stripe::deliver_signed(c, e1_body, stripe::signature_header("whsec_forged", unix_now(), e1_body)).status == 400);
  // 6. A Clerk webhook (Svix signature).
  json clerk_event = {{"object", "event"},
                      {"type", "user.updated"},
                      {"timestamp", unix_now() * 1000},
                      {"data",
                       {{"object", "user"},
                        {"id", user},
                        {"first_name", "Quillon"},
                        {"last_name", "Zarbiewicz-Opslog"},
                        {"updated_at", unix_now() * 1000},
                        {"primary_email_address_id", "idn_ops"},
                        {"email_addresses", json::array({{{"id", "idn_ops"}, {"email_address", "quillon.ops@example.org"}}})}}}};
  auto svix_id = "msg_" + random_hex(10);
  auto svix_ts = std::to_string(unix_now());
  auto clerk_body = clerk_event.dump();
  auto svix_sig = svix_sign(clerk_secret, svix_id, svix_ts, clerk_body);
  auto cr = c.request("POST", "/api/webhooks/clerk", clerk_body,
                      {{"Content-Type", "application/json"},
                       {"svix-id", svix_id},
                       {"svix-timestamp", svix_ts},
                       {"svix-signature", svix_sig}});
  CHECK(cr.status == 200);
  // 7. An AI run whose provider refuses the key.
  auto run = ai::submit(c, {bearer(token)}, {{"prompt", "say the secret word"}}, "?wait=20");
  CHECK(run.status == 200);
  CHECK(run.json()["status"] == "failed");

  wait_a_little_for([&] { return s.log().find(rid) != std::string::npos; });
  s.stop();  // everything flushed: the process is gone
  auto log = s.log();
  auto lines = json_lines(log);
  REQUIRE(lines.size() > 10);

  // Every line: time (RFC 3339 UTC with ms), level, msg.
  std::set<std::string> levels;
  for (const auto& j : lines) {
    INFO(j.dump());
    REQUIRE(j.contains("time"));
    CHECK(rfc3339_ms_utc(j["time"].get<std::string>()));
    REQUIRE(j["level"].is_string());
    CHECK(std::set<std::string>{"debug", "info", "warn", "error"}.count(j["level"].get<std::string>()));
    levels.insert(j["level"].get<std::string>());
    REQUIRE(j["msg"].is_string());
    CHECK_FALSE(j["msg"].get<std::string>().empty());
  }
  CHECK(levels.count("info"));

  // Access lines: one per request, with request id, route, status, duration and user.
  int access = 0;
  bool saw_rid = false, saw_cookie_user = false, saw_put = false, saw_unauth = false;
  for (const auto& j : lines) {
    if (j["msg"] != "request") continue;
    ++access;
    INFO(j.dump());
    CHECK(j["request_id"].is_string());
    CHECK_FALSE(j["request_id"].get<std::string>().empty());
    CHECK(j["route"].is_string());
    CHECK(j["method"].is_string());
    CHECK(j["status"].is_number_integer());
    CHECK(j["duration_ms"].is_number());
    CHECK(j["duration_ms"].get<double>() >= 0);
    CHECK(j.contains("user_id"));
    if (j["request_id"] == rid) {
      saw_rid = true;
      CHECK(j["route"] == profile);
      CHECK(j["status"] == 200);
      CHECK(j["user_id"] == user);
    }
    if (j["route"] == profile && j["user_id"] == "user_ops_cookie") saw_cookie_user = true;
    if (j["route"] == profile && j["method"] == "PUT" && j["status"] == 200) {
      saw_put = true;
      CHECK(j["user_id"] == user);
    }
    if (j["status"] == 401) {
      saw_unauth = true;
      CHECK(j["user_id"].is_null());
    }
    if (j["route"] == "/api/webhooks/stripe" || j["route"] == "/api/webhooks/clerk") CHECK(j["user_id"].is_null());
  }
  CHECK(access >= 9);
  CHECK(saw_rid);
  CHECK(saw_cookie_user);
  CHECK(saw_put);
  CHECK(saw_unauth);

  // Nothing secret or private anywhere in the log.
  std::vector<std::pair<std::string, std::string>> forbidden = {
    {"bearer token", token},
    {"cookie token", cookie_token},
    {"forged token", forged},
    {"stripe webhook secret", stripe::webhook_secret},
    {"stripe secret key", stripe_key},
    {"stripe signature", e1_sig},
    {"clerk webhook secret", clerk_secret},
    {"svix signature", svix_sig},
    {"openai key", openai_key}};
  for (const auto& [what, secret] : forbidden)
    for (const auto& piece : pieces(secret)) {
      INFO(what << ": " << piece);
      CHECK(log.find(piece) == std::string::npos);
    }
  // The signatures' hex/base64 parts on their own.
  auto v1 = e1_sig.substr(e1_sig.find("v1=") + 3);
  CHECK(log.find(v1.substr(0, 20)) == std::string::npos);
  auto svix_b64 = svix_sig.substr(3);
  CHECK(log.find(svix_b64.substr(0, 20)) == std::string::npos);
  // Payload values of the PUT, the Clerk event and the AI prompt.
  for (const std::string& value : {full_name, pref_value, std::string("Zarbiewicz"), std::string("quillon.ops@example.org"),
                                   std::string("say the secret word")}) {
    INFO(value);
    CHECK(log.find(value) == std::string::npos);
  }
}

TEST_CASE("ops logs: LOG_LEVEL=warn keeps warnings and drops info access lines", "[integration][ops]") {
  // No Stripe secret: the webhook answers 503, which is logged as a warning.
  trainia_server s({.env = {{"LOG_LEVEL", "warn"}}});
  auto c = s.client();
  REQUIRE(c.get(profile, s.auth("user_ops_quiet")).status == 200);
  REQUIRE(c.get("/no-such-route").status == 404);
  auto r = stripe::deliver(c, stripe::fixture("customer.created"));
  REQUIRE(r.status == 503);
  wait_a_little_for([&] { return s.log().find("\"warn\"") != std::string::npos; });
  s.stop();
  auto lines = json_lines(s.log());
  int warns = 0;
  for (const auto& j : lines) {
    INFO(j.dump());
    CHECK(j["level"] != "info");
    CHECK(j["level"] != "debug");
    CHECK(j["msg"] != "request");
    if (j["level"] == "warn") {
      ++warns;
      CHECK(rfc3339_ms_utc(j["time"].get<std::string>()));
    }
  }
  CHECK(warns >= 1);
}
