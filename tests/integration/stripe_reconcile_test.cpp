// `trainia stripe reconcile` (the real binary as a child process) against a
// fake Stripe API on 127.0.0.1 and the database of a running server.
#include "billing/stripe_fixtures.hpp"
#include "integration/server_fixture.hpp"
#include "support/fake_http_server.hpp"

#include <catch2/catch.hpp>

#include <mutex>

using namespace trainia::test;
namespace stripe = trainia::test::stripe;

namespace {

const std::string stripe_key = "sk_test_reconcileKey7";

/// Everything reconcile may write, row by row, for before/after comparisons.
std::vector<std::vector<std::optional<std::string>>> snapshot(pg& p) {
  std::vector<std::vector<std::optional<std::string>>> out;
  for (const char* q :
       {"SELECT * FROM subscriptions ORDER BY stripe_subscription_id", "SELECT * FROM stripe_events ORDER BY event_id",
        "SELECT * FROM audit_log ORDER BY id", "SELECT * FROM user_profiles ORDER BY clerk_user_id"})
    for (const auto& row : p.query(q).rows) out.push_back(row.values());
  return out;
}

nlohmann::json list_of(const std::vector<nlohmann::json>& items, bool has_more) {
  return {{"object", "list"}, {"data", items}, {"has_more", has_more}, {"url", "/v1/x"}};
}

}  // namespace

TEST_CASE("stripe reconcile: undelivered events and customers' subscriptions are brought in, once",
          "[integration][stripe][reconcile]") {
  auto t = unix_now() - 600;
  auto old_event =
      stripe::subscription_event("customer.subscription.created", "evt_rec_old", t, "sub_rec1", "cus_rec", "active");
  auto new_event = stripe::subscription_event("customer.subscription.updated", "evt_rec_new", t + 100, "sub_rec1",
                                              "cus_rec", "past_due");
  auto second = stripe::subscription_event("customer.subscription.created", "evt_rec_two", t, "sub_rec2", "cus_rec",
                                           "active", "price_pro_monthly");
  // Stripe's view now: sub_rec1 past_due (as the undelivered event says), sub_rec2 moved to team.
  auto sub1_now = stripe::subscription_object("sub_rec1", "cus_rec", "past_due");
  auto sub2_now = stripe::subscription_object("sub_rec2", "cus_rec", "active", "price_team_monthly");

  fake_http_server fake;
  fake.on("GET", "/v1/events", [&](const recorded_request& r) {
    // Newest first, one per page, as Stripe pages with starting_after.
    if (r.target.find("starting_after=evt_rec_new") != std::string::npos)
      return json_reply(200, list_of({old_event}, false).dump());
    return json_reply(200, list_of({new_event}, true).dump());
  });
  fake.on("GET", "/v1/subscriptions", [&](const recorded_request& r) {
    if (r.target.find("customer=cus_rec&") == std::string::npos) return json_reply(200, list_of({}, false).dump());
    return json_reply(200, list_of({sub1_now, sub2_now}, false).dump());
  });

  server_options o;
  o.env = {{"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret}};
  trainia_server s(o);
  pg p(s.database_url());
  p.exec("INSERT INTO user_profiles (clerk_user_id, stripe_customer_id) VALUES ('user_rec', 'cus_rec')");
  p.exec("INSERT INTO user_profiles (clerk_user_id) VALUES ('user_rec_nocustomer')");
  auto c = s.client();
  REQUIRE(stripe::deliver(c, old_event).status == 200);
  REQUIRE(stripe::deliver(c, second).status == 200);
  REQUIRE(stripe::eventually([&] {
    return p.count(
               "SELECT count(*) FROM stripe_events WHERE event_id IN ('evt_rec_old', 'evt_rec_two') "
               "AND outcome = 'applied'") == 2;
  }));
  REQUIRE(p.scalar("SELECT status FROM subscriptions WHERE stripe_subscription_id = 'sub_rec1'") == "active");
  auto audits_before = p.count("SELECT count(*) FROM audit_log");

  std::map<std::string, std::string> env{
      {"DATABASE_URL", s.database_url()}, {"STRIPE_SECRET_KEY", stripe_key}, {"STRIPE_API_BASE", fake.base_url()}};
  auto first = run_trainia({"stripe", "reconcile"}, env);
  INFO(first.output);
  CHECK(first.exit_code == 0);
  CHECK(first.output.find("events seen=2 stored=1 duplicates=1 applied=1 failed=0") != std::string::npos);
  CHECK(first.output.find("subscriptions checked=2 changed=1 failed=0") != std::string::npos);
  CHECK(first.output.find(stripe_key) == std::string::npos);

  // What Stripe was asked, with the bearer key.
  auto reqs = fake.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].target == "/v1/events?delivery_success=false&limit=100");
  CHECK(reqs[1].target == "/v1/events?delivery_success=false&limit=100&starting_after=evt_rec_new");
  CHECK(reqs[2].target == "/v1/subscriptions?customer=cus_rec&status=all&limit=100");
  for (const auto& r : reqs) CHECK(r.header("Authorization") == "Bearer " + stripe_key);

  // The new event is in the ledger and applied; the old one was not written again.
  CHECK(p.scalar("SELECT outcome FROM stripe_events WHERE event_id = 'evt_rec_new'") == "applied");
  CHECK(p.scalar("SELECT attempts FROM stripe_events WHERE event_id = 'evt_rec_old'") == "1");
  CHECK(p.scalar("SELECT status FROM subscriptions WHERE stripe_subscription_id = 'sub_rec1'") == "past_due");
  CHECK(p.scalar("SELECT last_event_id FROM subscriptions WHERE stripe_subscription_id = 'sub_rec1'") == "evt_rec_new");
  // The subscription that differed now matches Stripe, and says why in audit_log.
  CHECK(p.scalar("SELECT plan_name FROM subscriptions WHERE stripe_subscription_id = 'sub_rec2'") == "team");
  CHECK(p.count("SELECT count(*) FROM audit_log WHERE subject = 'sub_rec2' AND action = 'subscription.fetched' "
                "AND details->>'previous_plan' = 'pro'") == 1);
  CHECK(p.count("SELECT count(*) FROM audit_log") == audits_before + 2);
  CHECK(s.client().get("/api/subscriptions", s.auth("user_rec")).json()["entitlements"]["ai_runs_per_month"] == 20000);

  // A second run finds everything in line and writes nothing at all.
  auto before = snapshot(p);
  auto again = run_trainia({"stripe", "reconcile"}, env);
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(again.output.find("events seen=2 stored=0 duplicates=2 applied=0 failed=0") != std::string::npos);
  CHECK(again.output.find("subscriptions checked=2 changed=0 failed=0") != std::string::npos);
  CHECK(snapshot(p) == before);
}

TEST_CASE("stripe reconcile: a canceled subscription is applied as deleted and stays so",
          "[integration][stripe][reconcile]") {
  fake_http_server fake;
  auto canceled = stripe::subscription_object("sub_rec_c", "cus_rec_c", "canceled");
  fake.on("GET", "/v1/events", [](const recorded_request&) { return json_reply(200, list_of({}, false).dump()); });
  fake.on("GET", "/v1/subscriptions",
          [&](const recorded_request&) { return json_reply(200, list_of({canceled}, false).dump()); });
  server_options o;
  o.env = {{"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret}};
  trainia_server s(o);
  pg p(s.database_url());
  p.exec("INSERT INTO user_profiles (clerk_user_id, stripe_customer_id) VALUES ('user_rec_c', 'cus_rec_c')");
  auto c = s.client();
  REQUIRE(stripe::deliver(c, stripe::subscription_event("customer.subscription.created", "evt_rec_c1", unix_now() - 300,
                                                        "sub_rec_c", "cus_rec_c", "active"))
              .status == 200);
  REQUIRE(stripe::eventually(
      [&] { return p.scalar("SELECT outcome FROM stripe_events WHERE event_id = 'evt_rec_c1'") == "applied"; }));
  std::map<std::string, std::string> env{
      {"DATABASE_URL", s.database_url()}, {"STRIPE_SECRET_KEY", stripe_key}, {"STRIPE_API_BASE", fake.base_url()}};
  auto r = run_trainia({"stripe", "reconcile"}, env);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(p.scalar("SELECT status FROM subscriptions WHERE stripe_subscription_id = 'sub_rec_c'") == "canceled");
  CHECK(p.scalar("SELECT deleted_at IS NOT NULL FROM subscriptions WHERE stripe_subscription_id = 'sub_rec_c'") == "t");
  // A late event (newer even) does not revive it.
  REQUIRE(stripe::deliver(c, stripe::subscription_event("customer.subscription.updated", "evt_rec_c2", unix_now() + 5,
                                                        "sub_rec_c", "cus_rec_c", "active"))
              .status == 200);
  REQUIRE(stripe::eventually(
      [&] { return p.scalar("SELECT outcome FROM stripe_events WHERE event_id = 'evt_rec_c2'") == "applied"; }));
  CHECK(p.scalar("SELECT status FROM subscriptions WHERE stripe_subscription_id = 'sub_rec_c'") == "canceled");
  CHECK(s.client().get("/api/subscriptions", s.auth("user_rec_c")).json()["plan"] == "free");
}

TEST_CASE("stripe reconcile: without STRIPE_SECRET_KEY it stops with one line, exit 2",
          "[integration][stripe][reconcile]") {
  scratch_database db;
  migrate(db.url());
  auto r = run_trainia({"stripe", "reconcile"}, {{"DATABASE_URL", db.url()}});
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("STRIPE_SECRET_KEY is not set") != std::string::npos);
  auto bad = run_trainia({"stripe", "frobnicate"}, {{"DATABASE_URL", db.url()}});
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("usage: trainia stripe reconcile") != std::string::npos);
}
