// POST /api/subscriptions/upgrade against the real server and a fake Stripe
// API (a real HTTP server on 127.0.0.1 speaking Stripe's wire format: form
// bodies in, JSON objects out, Idempotency-Key honoured like Stripe does).
#include "billing/form_decode.hpp"
#include "billing/stripe_fixtures.hpp"
#include "integration/server_fixture.hpp"
#include "support/fake_http_server.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <regex>
#include <thread>

using namespace trainia::test;
namespace stripe = trainia::test::stripe;

namespace {

const std::string stripe_key = "sk_test_upgradeKey42";
const std::string app_base = "https://app.example.test";

/// Stripe's customers, Checkout Sessions and subscriptions, as far as the upgrade uses them.
class fake_stripe {
 public:
  fake_stripe() {
    server.on("POST", "/v1/customers", [this](const recorded_request& r) {
      std::lock_guard<std::mutex> g(mx_);
      // Stripe replays the first answer for a key it has seen.
      auto key = r.header("Idempotency-Key");
      auto it = customers_by_key_.find(key);
      if (it == customers_by_key_.end())
        it = customers_by_key_.emplace(key, "cus_fake" + std::to_string(customers_by_key_.size() + 1)).first;
      return json_reply(200, nlohmann::json{{"id", it->second}, {"object", "customer"}}.dump());
    });
    server.on("POST", "/v1/checkout/sessions", [this](const recorded_request&) {
      std::lock_guard<std::mutex> g(mx_);
      auto id = "cs_test_" + std::to_string(++sessions_);
      return json_reply(200, nlohmann::json{{"id", id},
                                            {"object", "checkout.session"},
                                            {"url", "https://checkout.stripe.test/c/pay/" + id}}
                                 .dump());
    });
    server.on("GET", "/v1/subscriptions/", [this](const recorded_request& r) {
      std::lock_guard<std::mutex> g(mx_);
      auto id = r.path().substr(std::string("/v1/subscriptions/").size());
      auto it = subscriptions_.find(id);
      if (it == subscriptions_.end()) return json_reply(404, R"({"error":{"type":"invalid_request_error"}})");
      return json_reply(200, it->second.dump());
    });
    server.on("POST", "/v1/subscriptions/", [this](const recorded_request& r) {
      std::lock_guard<std::mutex> g(mx_);
      auto id = r.path().substr(std::string("/v1/subscriptions/").size());
      auto it = subscriptions_.find(id);
      if (it == subscriptions_.end()) return json_reply(404, R"({"error":{"type":"invalid_request_error"}})");
      auto form = form_map(r.body);
      auto& item = it->second["items"]["data"][0];
      if (form["items[0][id]"] != item["id"].get<std::string>())
        return json_reply(400, R"({"error":{"type":"invalid_request_error","param":"items[0][id]"}})");
      item["price"]["id"] = form["items[0][price]"];
      item["plan"]["id"] = form["items[0][price]"];
      return json_reply(200, it->second.dump());
    });
  }
  void add_subscription(const nlohmann::json& obj) {
    std::lock_guard<std::mutex> g(mx_);
    subscriptions_[obj["id"].get<std::string>()] = obj;
  }
  std::vector<recorded_request> calls(const std::string& method, const std::string& prefix) const {
    std::vector<recorded_request> out;
    for (auto& r : server.requests())
      if (r.method == method && r.path().rfind(prefix, 0) == 0) out.push_back(r);
    return out;
  }

  fake_http_server server;

 private:
  std::mutex mx_;
  std::map<std::string, std::string> customers_by_key_;
  std::map<std::string, nlohmann::json> subscriptions_;
  int sessions_ = 0;
};

server_options with_stripe_api(const std::string& base, std::map<std::string, std::string> extra = {}) {
  server_options o;
  o.env = {{"STRIPE_SECRET_KEY", stripe_key},
           {"STRIPE_API_BASE", base},
           {"APP_BASE_URL", app_base},
           {"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret}};
  for (auto& [k, v] : extra) o.env[k] = v;
  return o;
}

http_response upgrade(trainia_server& s, const std::string& user, const nlohmann::json& body) {
  return s.client().post_json("/api/subscriptions/upgrade", body, s.auth(user));
}

bool is_uuid(const std::string& s) {
  return std::regex_match(s, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
}

/// A user with an active subscription on `price`, put in place through a signed webhook.
void subscribe(trainia_server& s, fake_stripe& fake, const std::string& user, const std::string& customer,
               const std::string& sub, const std::string& price) {
  pg p(s.database_url());
  p.exec("INSERT INTO user_profiles (clerk_user_id, stripe_customer_id) VALUES ($1, $2)", {user, customer});
  auto c = s.client();
  auto ev = stripe::subscription_event("customer.subscription.created", "evt_" + sub, unix_now() - 3600, sub, customer,
                                       "active", price);
  REQUIRE(stripe::deliver(c, ev).status == 200);
  REQUIRE(stripe::eventually(
      [&] { return p.scalar("SELECT outcome FROM stripe_events WHERE event_id = $1", {"evt_" + sub}) == "applied"; }));
  fake.add_subscription(ev["data"]["object"]);
}

}  // namespace

TEST_CASE("stripe upgrade: without a subscription a customer is made once, then a Checkout Session",
          "[integration][stripe][upgrade]") {
  fake_stripe fake;
  trainia_server s(with_stripe_api(fake.server.base_url()));
  pg p(s.database_url());
  const std::string user = "user_up_checkout";

  auto r = upgrade(s, user, {{"plan", "pro"}});
  REQUIRE(r.status == 200);
  CHECK(r.json() == nlohmann::json{{"action", "checkout"}, {"url", "https://checkout.stripe.test/c/pay/cs_test_1"}});

  auto customers = fake.calls("POST", "/v1/customers");
  REQUIRE(customers.size() == 1);
  CHECK(customers[0].header("Authorization") == "Bearer " + stripe_key);
  CHECK(customers[0].header("Content-Type") == "application/x-www-form-urlencoded");
  CHECK(customers[0].header("Idempotency-Key") == "customer-" + user);
  CHECK(form_map(customers[0].body) == std::map<std::string, std::string>{{"metadata[user_id]", user}});

  auto sessions = fake.calls("POST", "/v1/checkout/sessions");
  REQUIRE(sessions.size() == 1);
  const auto& cs = sessions[0];
  CHECK(cs.header("Authorization") == "Bearer " + stripe_key);
  CHECK(cs.header("Content-Type") == "application/x-www-form-urlencoded");
  CHECK(is_uuid(cs.header("Idempotency-Key")));
  CHECK(form_map(cs.body) == std::map<std::string, std::string>{
                                 {"mode", "subscription"},
                                 {"customer", "cus_fake1"},
                                 {"line_items[0][price]", "price_pro_monthly"},
                                 {"line_items[0][quantity]", "1"},
                                 {"client_reference_id", user},
                                 {"success_url", app_base + "/billing/success?session_id={CHECKOUT_SESSION_ID}"},
                                 {"cancel_url", app_base + "/billing/cancel"},
                             });
  // Braces and brackets travel escaped.
  CHECK(cs.body.find("%7BCHECKOUT_SESSION_ID%7D") != std::string::npos);
  CHECK(cs.body.find("line_items%5B0%5D%5Bprice%5D=") != std::string::npos);

  CHECK(p.scalar("SELECT stripe_customer_id FROM user_profiles WHERE clerk_user_id = $1", {user}) == "cus_fake1");
  CHECK(p.count("SELECT count(*) FROM audit_log WHERE actor = 'user' AND action = 'subscription.upgrade' "
                "AND clerk_user_id = $1 AND details->>'action' = 'checkout' AND details->>'plan' = 'pro'",
                {user}) == 1);

  // Again (another plan): the stored customer is used, a new session gets its own key.
  auto again = upgrade(s, user, {{"plan", "team"}});
  REQUIRE(again.status == 200);
  CHECK(again.json()["url"] == "https://checkout.stripe.test/c/pay/cs_test_2");
  CHECK(fake.calls("POST", "/v1/customers").size() == 1);
  sessions = fake.calls("POST", "/v1/checkout/sessions");
  REQUIRE(sessions.size() == 2);
  CHECK(form_map(sessions[1].body)["customer"] == "cus_fake1");
  CHECK(form_map(sessions[1].body)["line_items[0][price]"] == "price_team_monthly");
  CHECK(sessions[1].header("Idempotency-Key") != sessions[0].header("Idempotency-Key"));
  // The secret key never reaches the log.
  CHECK(s.log().find(stripe_key) == std::string::npos);
}

TEST_CASE("stripe upgrade: a 500 is retried with the same Idempotency-Key", "[integration][stripe][upgrade]") {
  std::atomic<int> calls{0};
  fake_http_server flaky;
  flaky.on("POST", "/v1/checkout/sessions", [&calls](const recorded_request&) {
    if (calls.fetch_add(1) == 0) return json_reply(500, R"({"error":{"type":"api_error"}})");
    return json_reply(200, R"({"id":"cs_test_retry","url":"https://checkout.stripe.test/c/pay/cs_test_retry"})");
  });
  flaky.on("POST", "/v1/customers",
           [](const recorded_request&) { return json_reply(200, R"({"id":"cus_retry","object":"customer"})"); });
  trainia_server s(with_stripe_api(flaky.base_url()));
  auto r = upgrade(s, "user_up_retry", {{"plan", "pro"}});
  REQUIRE(r.status == 200);
  CHECK(r.json()["url"] == "https://checkout.stripe.test/c/pay/cs_test_retry");
  std::vector<recorded_request> attempts;
  for (auto& q : flaky.requests())
    if (q.path() == "/v1/checkout/sessions") attempts.push_back(q);
  REQUIRE(attempts.size() == 2);
  CHECK(is_uuid(attempts[0].header("Idempotency-Key")));
  CHECK(attempts[0].header("Idempotency-Key") == attempts[1].header("Idempotency-Key"));
  CHECK(attempts[0].body == attempts[1].body);
}

TEST_CASE("stripe upgrade: Stripe-Should-Retry false stops retries → 502", "[integration][stripe][upgrade]") {
  fake_http_server fake;
  fake.on("POST", "/v1/customers", [](const recorded_request&) {
    return json_reply(500, R"({"error":{"type":"api_error","message":"do not retry sk_test_upgradeKey42"}})",
                      {{"Stripe-Should-Retry", "false"}});
  });
  trainia_server s(with_stripe_api(fake.base_url()));
  pg p(s.database_url());
  auto r = upgrade(s, "user_up_noretry", {{"plan", "pro"}});
  CHECK(r.status == 502);
  CHECK(r.json()["error"]["code"] == "upstream_error");
  CHECK(r.body.find("sk_test") == std::string::npos);
  CHECK(fake.count("POST", "/v1/customers") == 1);
  CHECK(fake.count("POST", "/v1/checkout/sessions") == 0);
  CHECK_FALSE(p.scalar("SELECT stripe_customer_id FROM user_profiles WHERE clerk_user_id = 'user_up_noretry'"));
  CHECK(p.count("SELECT count(*) FROM audit_log WHERE action = 'subscription.upgrade'") == 0);
  CHECK(s.log().find(stripe_key) == std::string::npos);
}

TEST_CASE("stripe upgrade: two concurrent upgrades of one user make one customer", "[integration][stripe][upgrade]") {
  fake_http_server slow;  // answers customer creation slowly
  std::atomic<int> customers{0};
  slow.on("POST", "/v1/customers", [&customers](const recorded_request&) {
    auto n = customers.fetch_add(1) + 1;
    auto reply = json_reply(200, nlohmann::json{{"id", "cus_conc" + std::to_string(n)}}.dump());
    reply.delay = std::chrono::milliseconds(400);
    return reply;
  });
  slow.on("POST", "/v1/checkout/sessions", [](const recorded_request&) {
    return json_reply(200, R"({"id":"cs_conc","url":"https://checkout.stripe.test/c/pay/cs_conc"})");
  });
  trainia_server s(with_stripe_api(slow.base_url()));
  pg p(s.database_url());
  const std::string user = "user_up_concurrent";
  std::vector<int> statuses(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([&, i] { statuses[i] = upgrade(s, user, {{"plan", i == 0 ? "pro" : "team"}}).status; });
  for (auto& t : threads) t.join();
  CHECK(statuses == std::vector<int>{200, 200});
  CHECK(slow.count("POST", "/v1/customers") == 1);
  CHECK(slow.count("POST", "/v1/checkout/sessions") == 2);
  CHECK(p.scalar("SELECT stripe_customer_id FROM user_profiles WHERE clerk_user_id = $1", {user}) == "cus_conc1");
  for (auto& q : slow.requests())
    if (q.path() == "/v1/checkout/sessions") CHECK(form_map(q.body)["customer"] == "cus_conc1");
}

TEST_CASE("stripe upgrade: an active subscription changes its price with proration", "[integration][stripe][upgrade]") {
  fake_stripe fake;
  trainia_server s(with_stripe_api(fake.server.base_url()));
  const std::string user = "user_up_active";
  subscribe(s, fake, user, "cus_active", "sub_active", "price_pro_monthly");
  auto before = s.client().get("/api/subscriptions", s.auth(user));
  REQUIRE(before.json()["plan"] == "pro");
  fake.server.clear();

  auto r = upgrade(s, user, {{"plan", "team"}});
  REQUIRE(r.status == 200);
  auto body = r.json();
  CHECK(body["action"] == "updated");
  CHECK(body["subscription"]["stripe_subscription_id"] == "sub_active");
  CHECK(body["subscription"]["plan_name"] == "team");
  CHECK(body["subscription"]["status"] == "active");
  CHECK(body["subscription"]["id"] == before.json()["subscription"]["id"]);
  CHECK(body["subscription"]["current_period_end"] == before.json()["subscription"]["current_period_end"]);

  auto reqs = fake.server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].method == "GET");
  CHECK(reqs[0].target == "/v1/subscriptions/sub_active");
  CHECK(reqs[1].method == "POST");
  CHECK(reqs[1].target == "/v1/subscriptions/sub_active");
  CHECK(reqs[1].header("Authorization") == "Bearer " + stripe_key);
  CHECK(reqs[1].header("Content-Type") == "application/x-www-form-urlencoded");
  CHECK(is_uuid(reqs[1].header("Idempotency-Key")));
  CHECK(form_map(reqs[1].body) == std::map<std::string, std::string>{{"items[0][id]", "si_S2sV5FqPz8NwJk"},
                                                                     {"items[0][price]", "price_team_monthly"},
                                                                     {"proration_behavior", "create_prorations"}});
  // The database agrees at once, before any webhook.
  auto after = s.client().get("/api/subscriptions", s.auth(user)).json();
  CHECK(after["plan"] == "team");
  CHECK(after["subscription"]["plan_name"] == "team");
  CHECK(after["entitlements"]["ai_runs_per_month"] == 20000);
  pg p(s.database_url());
  CHECK(p.count("SELECT count(*) FROM audit_log WHERE actor = 'user' AND action = 'subscription.upgrade' "
                "AND subject = 'sub_active' AND details->>'previous_plan' = 'pro'") == 1);

  // The webhook Stripe sends for the change (older than our read) changes nothing.
  auto c = s.client();
  auto late = stripe::subscription_event("customer.subscription.updated", "evt_up_late", unix_now() - 5, "sub_active",
                                         "cus_active", "active", "price_pro_monthly");
  REQUIRE(stripe::deliver(c, late).status == 200);
  REQUIRE(stripe::eventually(
      [&] { return p.scalar("SELECT outcome FROM stripe_events WHERE event_id = 'evt_up_late'") == "applied"; }));
  CHECK(s.client().get("/api/subscriptions", s.auth(user)).json()["plan"] == "team");

  // Now on team: asking for it again is a conflict, answered without Stripe.
  fake.server.clear();
  auto same = upgrade(s, user, {{"plan", "team"}});
  CHECK(same.status == 409);
  CHECK(same.json()["error"]["code"] == "conflict");
  CHECK(fake.server.requests().empty());
}

TEST_CASE("stripe upgrade: already on the plan → 409, unknown plan → 400, neither calls Stripe",
          "[integration][stripe][upgrade]") {
  fake_stripe fake;
  trainia_server s(with_stripe_api(fake.server.base_url()));
  const std::string user = "user_up_same";
  subscribe(s, fake, user, "cus_same", "sub_same", "price_pro_monthly");
  fake.server.clear();
  auto same = upgrade(s, user, {{"plan", "pro"}});
  CHECK(same.status == 409);
  CHECK(same.json()["error"]["code"] == "conflict");
  for (const auto& bad : {nlohmann::json{{"plan", "platinum"}}, nlohmann::json{{"plan", "free"}},
                          nlohmann::json::object(), nlohmann::json{{"plan", "team"}, {"coupon", "x"}}}) {
    auto r = upgrade(s, user, bad);
    CHECK(r.status == 400);
    CHECK(r.json()["error"]["code"] == "validation_failed");
    CHECK(r.json()["error"]["details"].is_array());
  }
  CHECK(upgrade(s, user, {{"plan", "platinum"}}).json()["error"]["details"][0]["path"] == "plan");
  CHECK(fake.server.requests().empty());
  pg p(s.database_url());
  CHECK(p.count("SELECT count(*) FROM audit_log WHERE action = 'subscription.upgrade'") == 0);
}

TEST_CASE("stripe upgrade: Stripe unreachable → 502, no key → 503", "[integration][stripe][upgrade]") {
  SECTION("nothing listens at STRIPE_API_BASE") {
    auto closed = "http://127.0.0.1:" + std::to_string(free_port());
    trainia_server s(with_stripe_api(closed));
    auto r = upgrade(s, "user_up_down", {{"plan", "pro"}});
    CHECK(r.status == 502);
    CHECK(r.json()["error"]["code"] == "upstream_error");
    pg p(s.database_url());
    CHECK_FALSE(p.scalar("SELECT stripe_customer_id FROM user_profiles WHERE clerk_user_id = 'user_up_down'"));
  }
  SECTION("STRIPE_SECRET_KEY unset") {
    fake_stripe fake;
    trainia_server s(with_stripe_api(fake.server.base_url(), {{"STRIPE_SECRET_KEY", ""}}));
    auto r = upgrade(s, "user_up_nokey", {{"plan", "pro"}});
    CHECK(r.status == 503);
    CHECK(r.json()["error"]["code"] == "service_unavailable");
    // Validation still comes first.
    CHECK(upgrade(s, "user_up_nokey", {{"plan", "gold"}}).status == 400);
    CHECK(fake.server.requests().empty());
  }
}
