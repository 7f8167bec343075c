// Durability of the Stripe ledger: a process killed mid-burst loses no
// acknowledged event and applies each exactly once after restart; a database
// that is down gets 503 and nothing recorded, and re-delivery applies.
#include "billing/stripe_fixtures.hpp"
#include "integration/server_fixture.hpp"
#include "support/private_cluster.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace trainia::test;
namespace stripe = trainia::test::stripe;

namespace {

struct signed_event {
  std::string id, body, signature;
};

std::vector<signed_event> sign_all(const std::vector<nlohmann::json>& events) {
  std::vector<signed_event> out;
  auto now = unix_now();
  for (const auto& e : events) {
    auto body = e.dump();
    out.push_back({e["id"], body, stripe::signature_header(stripe::webhook_secret, now, body)});
  }
  return out;
}

}  // namespace

TEST_CASE(
    "stripe durability: SIGKILL mid-burst loses no acknowledged event, after restart and re-delivery each "
    "event is applied exactly once",
    "[integration][stripe][fault]") {
  server_options opts;
  opts.env = {{"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret}};
  trainia_server s(opts);
  pg p(s.database_url());
  p.exec("INSERT INTO user_profiles (clerk_user_id, stripe_customer_id) VALUES ('user_burst', 'cus_burst')");
  const int n = 200;
  auto t = unix_now() - 60;
  std::vector<nlohmann::json> events;
  for (int i = 0; i < n; ++i)
    events.push_back(stripe::subscription_event("customer.subscription.created", "evt_kill_" + std::to_string(i), t,
                                                "sub_kill_" + std::to_string(i), "cus_burst", "active"));
  auto first = sign_all(events);

  std::mutex mx;
  std::set<std::string> acked;
  std::atomic<int> acks{0};
  std::atomic<size_t> next{0};
  std::vector<std::thread> senders;
  for (int k = 0; k < 4; ++k)
    senders.emplace_back([&] {
      auto c = s.client();
      while (true) {
        auto i = next.fetch_add(1);
        if (i >= first.size()) return;
        try {
          auto r = stripe::deliver_signed(c, first[i].body, first[i].signature);
          if (r.status == 200) {
            std::lock_guard<std::mutex> g(mx);
            acked.insert(first[i].id);
            ++acks;
          }
        } catch (const std::exception&) {
          return;  // the server died under us
        }
      }
    });
  stripe::eventually([&] { return acks.load() >= n / 3; }, std::chrono::seconds(30));
  s.process().kill_hard();
  for (auto& th : senders) th.join();
  INFO("acknowledged before the kill: " << acked.size());
  REQUIRE(acked.size() >= static_cast<size_t>(n / 3));
  REQUIRE(acked.size() < static_cast<size_t>(n));  // the kill did land mid-burst

  // Every event answered 200 is in the ledger.
  std::set<std::string> stored;
  for (const auto& row : p.query("SELECT event_id FROM stripe_events")) stored.insert(*row["event_id"]);
  for (const auto& id : acked) CHECK(stored.count(id) == 1);

  // Restart: the events stored but not applied are applied by the start-up sweep.
  s.start();
  auto c = s.client();
  // Stripe re-delivers everything (it never saw a 200 for some, and retries the rest anyway).
  auto again = sign_all(events);
  int fresh = 0, duplicate = 0;
  for (const auto& e : again) {
    auto r = stripe::deliver_signed(c, e.body, e.signature);
    REQUIRE(r.status == 200);
    if (r.json().value("duplicate", false))
      ++duplicate;
    else
      ++fresh;
  }
  CHECK(duplicate >= static_cast<int>(acked.size()));
  CHECK(fresh + duplicate == n);
  CHECK(stripe::eventually([&] { return p.count("SELECT count(*) FROM stripe_events WHERE outcome = 'applied'") == n; },
                           std::chrono::seconds(30)));
  CHECK(p.count("SELECT count(*) FROM stripe_events") == n);
  CHECK(p.count("SELECT count(*) FROM subscriptions") == n);
  // Exactly one effect per event: one audit row each, none twice.
  CHECK(p.count("SELECT count(*) FROM audit_log WHERE action = 'customer.subscription.created'") == n);
  CHECK(p.count("SELECT count(DISTINCT subject) FROM audit_log WHERE action = 'customer.subscription.created'") == n);
  CHECK(p.count("SELECT count(*) FROM subscriptions WHERE last_event_id <> 'evt_kill_' || "
                "substr(stripe_subscription_id, 10)") == 0);
}

TEST_CASE("stripe durability: database down → 503 and nothing recorded, back up → re-delivery applies",
          "[integration][stripe][fault]") {
  private_cluster cluster;
  auto url = cluster.create_database("trainia");
  migrate(url);
  trainia_server s(
      {.env = {{"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret}, {"TRAINIA_DB_CONNECT_TIMEOUT_MS", "1000"}},
       .database_url = url});
  {
    pg p(url);
    p.exec("INSERT INTO user_profiles (clerk_user_id, stripe_customer_id) VALUES ('user_down', 'cus_down')");
  }
  auto c = s.client();
  auto ev = stripe::subscription_event("customer.subscription.created", "evt_down_1", unix_now() - 10, "sub_down",
                                       "cus_down", "active");
  cluster.stop();
  auto r = stripe::deliver(c, ev);
  CHECK(r.status == 503);
  CHECK(r.json()["error"]["code"] == "service_unavailable");
  CHECK_FALSE(r.header("Retry-After").empty());
  cluster.start();
  {
    pg p(url);
    CHECK(p.count("SELECT count(*) FROM stripe_events") == 0);
  }
  // Stripe retries: once the pool has reconnected, the delivery is stored and applied.
  bool stored = stripe::eventually([&] { return stripe::deliver(c, ev).status == 200; }, std::chrono::seconds(20));
  REQUIRE(stored);
  pg p(url);
  CHECK(stripe::eventually(
      [&] { return p.scalar("SELECT outcome FROM stripe_events WHERE event_id = 'evt_down_1'") == "applied"; }));
  CHECK(p.scalar("SELECT status FROM subscriptions WHERE stripe_subscription_id = 'sub_down'") == "active");
  CHECK(p.scalar("SELECT attempts FROM stripe_events WHERE event_id = 'evt_down_1'") == "1");
}

TEST_CASE(
    "stripe durability: at start, events stored but never applied are applied in created order, and "
    "pending_link events of a customer linked meanwhile too",
    "[integration][stripe][fault]") {
  server_options opts;
  opts.env = {{"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret}};
  trainia_server s(opts);
  s.process().kill_hard();  // a process that died before applying what it stored
  pg p(s.database_url());
  p.exec("INSERT INTO user_profiles (clerk_user_id, stripe_customer_id) VALUES ('user_sweep', 'cus_sweep')");
  auto t = unix_now() - 100;
  auto store = [&](const nlohmann::json& ev, const char* outcome) {
    p.exec(
        "INSERT INTO stripe_events (event_id, type, raw_payload, event_created, subscription_id, customer_id, "
        "outcome) VALUES ($1, $2, $3::jsonb, to_timestamp($4), $5, $6, $7)",
        {ev["id"].get<std::string>(), ev["type"].get<std::string>(), ev.dump(),
         std::to_string(ev["created"].get<int64_t>()), ev["data"]["object"]["id"].get<std::string>(),
         ev["data"]["object"]["customer"].get<std::string>(),
         outcome ? std::optional<std::string>(outcome) : std::nullopt});
  };
  // Stored in the "wrong" arrival order: the sweep applies by created.
  store(stripe::subscription_event("customer.subscription.updated", "evt_sw_2", t + 10, "sub_sweep", "cus_sweep",
                                   "past_due"),
        nullptr);
  store(stripe::subscription_event("customer.subscription.created", "evt_sw_1", t, "sub_sweep", "cus_sweep", "active"),
        nullptr);
  // Waited for a link that another path (not checkout) has made since.
  store(stripe::subscription_event("customer.subscription.created", "evt_sw_3", t, "sub_sweep_b", "cus_sweep",
                                   "trialing"),
        "pending_link");
  s.start();
  CHECK(
      stripe::eventually([&] { return p.count("SELECT count(*) FROM stripe_events WHERE outcome = 'applied'") == 3; }));
  CHECK(p.scalar("SELECT status FROM subscriptions WHERE stripe_subscription_id = 'sub_sweep'") == "past_due");
  CHECK(p.scalar("SELECT last_event_id FROM subscriptions WHERE stripe_subscription_id = 'sub_sweep'") == "evt_sw_2");
  CHECK(p.scalar("SELECT status FROM subscriptions WHERE stripe_subscription_id = 'sub_sweep_b'") == "trialing");
  CHECK(p.count("SELECT count(*) FROM audit_log") == 3);
  auto doc = s.client().get("/api/subscriptions", s.auth("user_sweep")).json();
  CHECK(doc["plan"] == "pro");
  CHECK(doc["subscription"]["stripe_subscription_id"] == "sub_sweep_b");
}
