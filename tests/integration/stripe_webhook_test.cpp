// POST /api/webhooks/stripe, GET /api/subscriptions and the operator replay,
// against the real server and PostgreSQL. Signatures come from the openssl CLI.
#include "billing/stripe_fixtures.hpp"
#include "integration/server_fixture.hpp"
#include "support/prometheus.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace trainia::test;
namespace stripe = trainia::test::stripe;

namespace {

server_options with_stripe(std::map<std::string, std::string> extra = {}) {
  server_options o;
  o.env = {{"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret}};
  for (auto& [k, v] : extra) o.env[k] = v;
  return o;
}

std::optional<std::string> outcome_of(pg& p, const std::string& event_id) {
  return p.scalar("SELECT outcome FROM stripe_events WHERE event_id = $1", {event_id});
}

bool outcome_becomes(pg& p, const std::string& event_id, const std::string& outcome) {
  return stripe::eventually([&] { return outcome_of(p, event_id) == outcome; });
}

double stripe_metric(trainia_server& s, const std::string& type, const std::string& outcome) {
  auto doc = parse_prometheus(s.admin().get("/metrics").body);
  return doc.value_or_zero("trainia_stripe_events_total", {{"type", type}, {"outcome", outcome}});
}

/// A user linked to a Stripe customer, as checkout or the upgrade endpoint leaves them.
void link(pg& p, const std::string& user, const std::string& customer) {
  p.exec("INSERT INTO user_profiles (clerk_user_id, stripe_customer_id) VALUES ($1, $2)", {user, customer});
}

}  // namespace

TEST_CASE("stripe webhook: no secret configured → 503, nothing stored", "[integration][stripe]") {
  trainia_server s;
  auto c = s.client();
  auto r = stripe::deliver(c, stripe::fixture("customer.created"));
  CHECK(r.status == 503);
  CHECK(r.json()["error"]["code"] == "service_unavailable");
  pg p(s.database_url());
  CHECK(p.count("SELECT count(*) FROM stripe_events") == 0);
}

TEST_CASE("stripe webhook: bad signatures → 400 invalid_signature, a non-event → 400 invalid_event, nothing stored",
          "[integration][stripe]") {
  trainia_server s(with_stripe());
  auto c = s.client();
  auto body = stripe::fixture("customer.created").dump();
  auto now = unix_now();
  auto bad = [&](const std::string& b, const std::string& sig) {
    auto r = stripe::deliver_signed(c, b, sig);
    CHECK(r.status == 400);
    CHECK(r.json()["error"]["code"] == "invalid_signature");
    CHECK(r.body.find("whsec_") == std::string::npos);
  };
  bad(body, stripe::signature_header("whsec_d3Jvbmctc2VjcmV0LWZvci10ZXN0cw", now, body));  // wrong secret
  bad(body + " ", stripe::signature_header(stripe::webhook_secret, now, body));            // tampered
  bad(body, stripe::signature_header(stripe::webhook_secret, now - 400, body));            // stale
  bad(body, "t=" + std::to_string(now));                                                   // no v1
  bad(body, "");                                                                           // no header
  // Signed correctly, but not an event.
  for (std::string not_event : {std::string(R"({"hello":"world"})"), std::string("[]"), std::string("")}) {
    auto r = stripe::deliver_signed(c, not_event, stripe::signature_header(stripe::webhook_secret, now, not_event));
    CHECK(r.status == 400);
    CHECK(r.json()["error"]["code"] == "invalid_event");
  }
  // Wrong media type is refused before anything else.
  auto r = c.request("POST", "/api/webhooks/stripe", body,
                     {{"Content-Type", "text/plain"},
                      {"Stripe-Signature", stripe::signature_header(stripe::webhook_secret, now, body)}});
  CHECK(r.status == 415);
  pg p(s.database_url());
  CHECK(p.count("SELECT count(*) FROM stripe_events") == 0);
}

TEST_CASE("stripe webhook: rotated secrets — an event signed with either verifies", "[integration][stripe]") {
  const std::string old_secret = "whsec_b2xkLXNlY3JldC1iZWluZy1yb3RhdGVkLW91dA";
  trainia_server s(with_stripe({{"STRIPE_WEBHOOK_SECRET", old_secret + "," + stripe::webhook_secret}}));
  auto c = s.client();
  auto a = stripe::fixture("customer.created");
  a["id"] = "evt_rot_a";
  auto b = a;
  b["id"] = "evt_rot_b";
  CHECK(stripe::deliver(c, a, old_secret).status == 200);
  CHECK(stripe::deliver(c, b, stripe::webhook_secret).status == 200);
  pg p(s.database_url());
  CHECK(p.count("SELECT count(*) FROM stripe_events") == 2);
}

TEST_CASE("stripe webhook: unknown types are stored as ignored and answered 200", "[integration][stripe]") {
  trainia_server s(with_stripe());
  auto c = s.client();
  auto ev = stripe::fixture("customer.created");
  auto r = stripe::deliver(c, ev);
  REQUIRE(r.status == 200);
  CHECK(r.json() == nlohmann::json{{"received", true}});
  pg p(s.database_url());
  // Durable before the 200: the row is there at once.
  CHECK(p.count("SELECT count(*) FROM stripe_events WHERE event_id = $1", {ev["id"].get<std::string>()}) == 1);
  CHECK(outcome_becomes(p, ev["id"], "ignored"));
  CHECK(p.scalar("SELECT type FROM stripe_events WHERE event_id = $1", {ev["id"].get<std::string>()}) ==
        "customer.created");
  CHECK(stripe_metric(s, "customer.created", "ignored") == 1);
}

TEST_CASE("stripe webhook: a repeated event id is a duplicate with no second effect", "[integration][stripe]") {
  trainia_server s(with_stripe());
  pg p(s.database_url());
  link(p, "user_dup", "cus_dup");
  auto c = s.client();
  auto ev = stripe::subscription_event("customer.subscription.created", "evt_dup_1", unix_now() - 5, "sub_dup",
                                       "cus_dup", "active");
  auto first = stripe::deliver(c, ev);
  REQUIRE(first.status == 200);
  CHECK(first.json() == nlohmann::json{{"received", true}});
  CHECK(outcome_becomes(p, "evt_dup_1", "applied"));
  auto second = stripe::deliver(c, ev);
  REQUIRE(second.status == 200);
  CHECK(second.json() == nlohmann::json{{"received", true}, {"duplicate", true}});
  CHECK(p.scalar("SELECT attempts FROM stripe_events WHERE event_id = 'evt_dup_1'") == "2");
  CHECK(p.count("SELECT count(*) FROM stripe_events") == 1);
  CHECK(p.count("SELECT count(*) FROM subscriptions") == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a second effect would have landed by now
  CHECK(p.count("SELECT count(*) FROM audit_log WHERE subject = 'sub_dup'") == 1);
  CHECK(stripe_metric(s, "customer.subscription.created", "duplicate") == 1);
  CHECK(stripe_metric(s, "customer.subscription.created", "applied") == 1);
}

TEST_CASE("stripe webhook: 20 copies at the same instant → one row, attempts 20, one effect", "[integration][stripe]") {
  trainia_server s(with_stripe());
  pg p(s.database_url());
  link(p, "user_burst", "cus_burst");
  auto ev = stripe::subscription_event("customer.subscription.created", "evt_burst_1", unix_now() - 5, "sub_burst",
                                       "cus_burst", "active");
  auto body = ev.dump();
  auto sig = stripe::signature_header(stripe::webhook_secret, unix_now(), body);
  std::atomic<int> fresh{0}, duplicates{0}, others{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i)
    threads.emplace_back([&] {
      auto c = s.client();
      c.get("/healthz-warmup");  // open the connection before the start line
      while (!go.load()) std::this_thread::yield();
      auto r = stripe::deliver_signed(c, body, sig);
      if (r.status != 200)
        ++others;
      else if (r.json().value("duplicate", false))
        ++duplicates;
      else
        ++fresh;
    });
  go = true;
  for (auto& t : threads) t.join();
  CHECK(fresh == 1);
  CHECK(duplicates == 19);
  CHECK(others == 0);
  CHECK(p.count("SELECT count(*) FROM stripe_events") == 1);
  CHECK(p.scalar("SELECT attempts FROM stripe_events WHERE event_id = 'evt_burst_1'") == "20");
  CHECK(outcome_becomes(p, "evt_burst_1", "applied"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(p.count("SELECT count(*) FROM subscriptions WHERE stripe_subscription_id = 'sub_burst'") == 1);
  CHECK(p.count("SELECT count(*) FROM audit_log WHERE subject = 'sub_burst'") == 1);
  CHECK(stripe_metric(s, "customer.subscription.created", "duplicate") == 19);
}

TEST_CASE("GET /api/subscriptions: free before, the paid plan right after the webhook, usage of the period",
          "[integration][stripe]") {
  trainia_server s(with_stripe());
  pg p(s.database_url());
  auto c = s.client();
  const std::string user = "user_subs_" + stripe::unique_suffix();
  link(p, user, "cus_subs");
  // Runs used this calendar month count while the user is on free.
  p.exec(
      "INSERT INTO usage_counters (user_id, period_start, period_end, ai_runs_used) "
      "SELECT id, date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', "
      "(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC', 7 "
      "FROM user_profiles WHERE clerk_user_id = $1",
      {user});
  auto before = c.get("/api/subscriptions", s.auth(user));
  REQUIRE(before.status == 200);
  CHECK(before.header("Cache-Control") == "private, no-cache");
  CHECK(before.json() == nlohmann::json::parse(R"({"plan":"free","subscription":null,
        "entitlements":{"ai_runs_per_month":50,"ai_runs_used":7,"ai_max_concurrent":1}})"));
  // Another user's subscription is never visible.
  CHECK(c.get("/api/subscriptions", s.auth("user_nobody")).json()["subscription"].is_null());

  const int64_t start = 1764547200, end = 1767225600;  // 2025-12-01 … 2026-01-01
  p.exec(
      "INSERT INTO usage_counters (user_id, period_start, period_end, ai_runs_used) "
      "SELECT id, to_timestamp($2), to_timestamp($3), 123 FROM user_profiles WHERE clerk_user_id = $1",
      {user, std::to_string(start), std::to_string(end)});
  auto ev =
      stripe::subscription_event("customer.subscription.created", "evt_subs_1", unix_now() - 5, "sub_subs", "cus_subs",
                                 "active", "price_team_monthly", stripe::api_shape::legacy, start, end);
  REQUIRE(stripe::deliver(c, ev).status == 200);
  nlohmann::json after;
  CHECK(stripe::eventually(
      [&] {
        after = c.get("/api/subscriptions", s.auth(user)).json();
        return after["plan"] == "team";
      },
      std::chrono::seconds(5)));
  INFO(after.dump());
  CHECK(after["entitlements"] ==
        nlohmann::json{{"ai_runs_per_month", 20000}, {"ai_runs_used", 123}, {"ai_max_concurrent", 16}});
  auto sub = after["subscription"];
  CHECK(sub["stripe_subscription_id"] == "sub_subs");
  CHECK(sub["plan_name"] == "team");
  CHECK(sub["status"] == "active");
  CHECK(sub["current_period_start"] == "2025-12-01T00:00:00.000Z");
  CHECK(sub["current_period_end"] == "2026-01-01T00:00:00.000Z");
  CHECK(sub["cancel_at_period_end"] == false);
  CHECK(sub["id"] == p.scalar("SELECT id::text FROM subscriptions WHERE stripe_subscription_id = 'sub_subs'"));

  // Past due: the subscription stays visible, the plan falls back to free.
  auto due =
      stripe::subscription_event("customer.subscription.updated", "evt_subs_2", unix_now() - 1, "sub_subs", "cus_subs",
                                 "past_due", "price_team_monthly", stripe::api_shape::basil, start, end);
  due["data"]["object"]["cancel_at_period_end"] = true;
  REQUIRE(stripe::deliver(c, due).status == 200);
  CHECK(stripe::eventually(
      [&] {
        after = c.get("/api/subscriptions", s.auth(user)).json();
        return after["plan"] == "free";
      },
      std::chrono::seconds(5)));
  CHECK(after["subscription"]["status"] == "past_due");
  CHECK(after["subscription"]["cancel_at_period_end"] == true);
  CHECK(after["entitlements"]["ai_runs_used"] == 7);
  // Audit: one row per change, small details, no payload.
  auto rows = p.query(
      "SELECT action, clerk_user_id, subject, details::text FROM audit_log WHERE actor = 'stripe' "
      "ORDER BY id");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["action"] == "customer.subscription.created");
  CHECK(rows[0]["clerk_user_id"] == user);
  CHECK(rows[0]["subject"] == "sub_subs");
  CHECK(rows[1]["action"] == "customer.subscription.updated");
  CHECK(rows[1]["details"]->size() < 400);
}

TEST_CASE("GET /api/subscriptions needs a session token", "[integration][stripe]") {
  trainia_server s(with_stripe());
  CHECK(s.client().get("/api/subscriptions").status == 401);
}

TEST_CASE("stripe webhook: invoices are recorded in both API shapes", "[integration][stripe]") {
  trainia_server s(with_stripe());
  pg p(s.database_url());
  link(p, "user_inv_old", "cus_QKVtbFjQZ2sJ4m");
  link(p, "user_inv_new", "cus_S2sVnd8yQ0pXhA");
  auto c = s.client();
  auto paid = stripe::fixture("invoice.paid.2024-06-20");
  auto failed = stripe::fixture("invoice.payment_failed.2025-03-31.basil");
  REQUIRE(stripe::deliver(c, paid).status == 200);
  REQUIRE(stripe::deliver(c, failed).status == 200);
  CHECK(outcome_becomes(p, paid["id"], "applied"));
  CHECK(outcome_becomes(p, failed["id"], "applied"));
  CHECK(p.scalar("SELECT subject FROM audit_log WHERE action = 'invoice.paid'") == "sub_1PTqF9LkdIwHu7ixKb2zYt6N");
  CHECK(p.scalar("SELECT clerk_user_id FROM audit_log WHERE action = 'invoice.paid'") == "user_inv_old");
  CHECK(p.scalar("SELECT subject FROM audit_log WHERE action = 'invoice.payment_failed'") ==
        "sub_1R8mJXLkdIwHu7ixgT0nC4uE");
  CHECK(p.scalar("SELECT details->>'amount_due' FROM audit_log WHERE action = 'invoice.payment_failed'") == "9900");
  CHECK(p.count("SELECT count(*) FROM subscriptions") == 0);  // status follows the subscription events
}

TEST_CASE("operator replay: applies a stored event again idempotently, unknown id → 404", "[integration][stripe]") {
  trainia_server s(with_stripe());
  pg p(s.database_url());
  link(p, "user_replay", "cus_replay");
  auto c = s.client();
  auto ev = stripe::subscription_event("customer.subscription.created", "evt_replay_1", unix_now() - 5, "sub_replay",
                                       "cus_replay", "trialing");
  REQUIRE(stripe::deliver(c, ev).status == 200);
  REQUIRE(outcome_becomes(p, "evt_replay_1", "applied"));
  auto state = [&] {
    return p.scalar(
        "SELECT status || '/' || plan_name || '/' || last_event_id FROM subscriptions "
        "WHERE stripe_subscription_id = 'sub_replay'");
  };
  auto before = state();
  for (int i = 0; i < 2; ++i) {
    auto r = s.admin().request("POST", "/admin/stripe/events/evt_replay_1/replay");
    REQUIRE(r.status == 200);
    CHECK(r.json() == nlohmann::json{{"event_id", "evt_replay_1"}, {"outcome", "applied"}});
  }
  CHECK(state() == before);
  CHECK(p.count("SELECT count(*) FROM audit_log") == 1);
  auto missing = s.admin().request("POST", "/admin/stripe/events/evt_nope/replay");
  CHECK(missing.status == 404);
  CHECK(missing.json()["error"]["code"] == "not_found");
  // The public listener has no such route.
  CHECK(c.request("POST", "/admin/stripe/events/evt_replay_1/replay").status == 404);

  // A failed event (unknown price) is applied by a replay once the price is known…
  // here: an event recorded failed stays failed on replay while nothing changed.
  auto unknown = stripe::subscription_event("customer.subscription.created", "evt_replay_2", unix_now() - 5,
                                            "sub_replay_2", "cus_replay", "active", "price_not_in_catalog");
  REQUIRE(stripe::deliver(c, unknown).status == 200);
  REQUIRE(outcome_becomes(p, "evt_replay_2", "failed"));
  CHECK(p.scalar("SELECT error FROM stripe_events WHERE event_id = 'evt_replay_2'")->find("plan catalog") !=
        std::string::npos);
  auto r = s.admin().request("POST", "/admin/stripe/events/evt_replay_2/replay");
  CHECK(r.json()["outcome"] == "failed");
  CHECK(p.count("SELECT count(*) FROM subscriptions WHERE stripe_subscription_id = 'sub_replay_2'") == 0);
}

TEST_CASE("stripe webhook: concurrent deliveries are group-committed (several events per transaction)",
          "[integration][stripe]") {
  trainia_server s(with_stripe());
  pg p(s.database_url());
  const int threads = 16, per_thread = 12;
  std::vector<std::vector<std::pair<std::string, std::string>>> work(threads);  // (body, signature)
  auto now = unix_now();
  for (int k = 0; k < threads; ++k)
    for (int i = 0; i < per_thread; ++i) {
      auto ev = stripe::fixture("customer.created");
      ev["id"] = "evt_group_" + std::to_string(k) + "_" + std::to_string(i);
      auto body = ev.dump();
      work[k].emplace_back(body, stripe::signature_header(stripe::webhook_secret, now, body));
    }
  std::atomic<int> ok{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int k = 0; k < threads; ++k)
    pool.emplace_back([&, k] {
      auto c = s.client();
      c.get("/healthz-warmup");
      while (!go.load()) std::this_thread::yield();
      for (const auto& [body, sig] : work[k])
        if (stripe::deliver_signed(c, body, sig).status == 200) ++ok;
    });
  go = true;
  for (auto& t : pool) t.join();
  const int n = threads * per_thread;
  CHECK(ok == n);
  CHECK(p.count("SELECT count(*) FROM stripe_events") == n);
  // received_at defaults to now(), the start of the writing transaction: rows
  // stored by one transaction share it (xmin would not do: applying updates rows).
  auto transactions = p.count("SELECT count(DISTINCT received_at) FROM stripe_events");
  INFO("transactions for " << n << " events: " << transactions);
  CHECK(transactions < n);
  CHECK(
      stripe::eventually([&] { return p.count("SELECT count(*) FROM stripe_events WHERE outcome = 'ignored'") == n; }));
}
