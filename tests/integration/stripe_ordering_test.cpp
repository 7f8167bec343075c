// Ordered application of subscription events: out-of-order pairs, same-second
// ties (settled by a fake Stripe API, or by the lifecycle rule), deletion,
// and events waiting for the customer ↔ user link.
#include "billing/stripe_fixtures.hpp"
#include "integration/server_fixture.hpp"
#include "support/fake_http_server.hpp"

#include <catch2/catch.hpp>

using namespace trainia::test;
namespace stripe = trainia::test::stripe;

namespace {

server_options with_stripe(std::map<std::string, std::string> extra = {}) {
  server_options o;
  o.env = {{"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret}};
  for (auto& [k, v] : extra) o.env[k] = v;
  return o;
}

bool settled(pg& p, const std::vector<std::string>& ids) {
  return stripe::eventually([&] {
    for (const auto& id : ids)
      if (!p.scalar("SELECT outcome FROM stripe_events WHERE event_id = $1", {id})) return false;
    return true;
  });
}

std::string status_of(pg& p, const std::string& sub) {
  return p.scalar("SELECT status FROM subscriptions WHERE stripe_subscription_id = $1", {sub}).value_or("<none>");
}

void link(pg& p, const std::string& user, const std::string& customer) {
  p.exec("INSERT INTO user_profiles (clerk_user_id, stripe_customer_id) VALUES ($1, $2)", {user, customer});
}

nlohmann::json sub_event(const std::string& type, const std::string& id, int64_t created, const std::string& sub,
                         const std::string& cus, const std::string& status) {
  return stripe::subscription_event(type, id, created, sub, cus, status);
}

}  // namespace

TEST_CASE("stripe ordering: an older event never rolls state back, in either arrival order", "[integration][stripe]") {
  trainia_server s(with_stripe());
  pg p(s.database_url());
  link(p, "user_order", "cus_order");
  auto c = s.client();
  auto t = unix_now() - 100;
  SECTION("newer first, then the older one") {
    REQUIRE(stripe::deliver(
                c, sub_event("customer.subscription.updated", "evt_o_new", t + 10, "sub_o1", "cus_order", "past_due"))
                .status == 200);
    REQUIRE(settled(p, {"evt_o_new"}));
    REQUIRE(
        stripe::deliver(c, sub_event("customer.subscription.updated", "evt_o_old", t, "sub_o1", "cus_order", "active"))
            .status == 200);
    REQUIRE(settled(p, {"evt_o_old"}));
    CHECK(status_of(p, "sub_o1") == "past_due");
    CHECK(p.scalar("SELECT last_event_id FROM subscriptions WHERE stripe_subscription_id = 'sub_o1'") == "evt_o_new");
    // The stale event is recorded: applied, with the reason, and no audit row.
    CHECK(p.scalar("SELECT outcome FROM stripe_events WHERE event_id = 'evt_o_old'") == "applied");
    CHECK(p.scalar("SELECT note FROM stripe_events WHERE event_id = 'evt_o_old'")->find("stale") != std::string::npos);
    CHECK(p.count("SELECT count(*) FROM audit_log WHERE subject = 'sub_o1'") == 1);
  }
  SECTION("older first, then the newer one") {
    REQUIRE(
        stripe::deliver(c, sub_event("customer.subscription.updated", "evt_o_old2", t, "sub_o2", "cus_order", "active"))
            .status == 200);
    REQUIRE(settled(p, {"evt_o_old2"}));
    REQUIRE(stripe::deliver(
                c, sub_event("customer.subscription.updated", "evt_o_new2", t + 10, "sub_o2", "cus_order", "past_due"))
                .status == 200);
    REQUIRE(settled(p, {"evt_o_new2"}));
    CHECK(status_of(p, "sub_o2") == "past_due");
    CHECK(p.count("SELECT count(*) FROM audit_log WHERE subject = 'sub_o2'") == 2);
  }
}

TEST_CASE("stripe ordering: a same-second tie is settled by asking Stripe", "[integration][stripe]") {
  fake_http_server fake;
  fake.on("GET", "/v1/subscriptions/sub_tie", [](const recorded_request&) {
    return json_reply(200, stripe::subscription_object("sub_tie", "cus_tie", "unpaid", "price_pro_monthly").dump());
  });
  trainia_server s(with_stripe({{"STRIPE_API_BASE", fake.base_url()}, {"STRIPE_SECRET_KEY", "sk_test_tie123"}}));
  pg p(s.database_url());
  link(p, "user_tie", "cus_tie");
  auto c = s.client();
  auto t = unix_now() - 50;
  REQUIRE(stripe::deliver(c, sub_event("customer.subscription.created", "evt_tie_1", t, "sub_tie", "cus_tie", "active"))
              .status == 200);
  REQUIRE(settled(p, {"evt_tie_1"}));
  CHECK(fake.count("GET", "/v1/subscriptions/") == 0);  // no tie yet: nothing asked
  REQUIRE(
      stripe::deliver(c, sub_event("customer.subscription.updated", "evt_tie_2", t, "sub_tie", "cus_tie", "past_due"))
          .status == 200);
  REQUIRE(settled(p, {"evt_tie_2"}));
  // Stripe's answer wins, whatever the two events said.
  CHECK(status_of(p, "sub_tie") == "unpaid");
  REQUIRE(fake.count("GET", "/v1/subscriptions/sub_tie") == 1);
  auto req = fake.requests().back();
  CHECK(req.header("Authorization") == "Bearer sk_test_tie123");
  CHECK(p.scalar("SELECT details->>'settled_by' FROM audit_log WHERE subject = 'sub_tie' ORDER BY id DESC LIMIT 1") ==
        "stripe");
}

TEST_CASE("stripe ordering: Stripe failing to answer a tie falls back to the lifecycle rule", "[integration][stripe]") {
  fake_http_server fake;
  fake.on("GET", "/v1/subscriptions/", [](const recorded_request&) {
    return json_reply(500, R"({"error":{"type":"api_error","message":"boom"}})");
  });
  trainia_server s(with_stripe({{"STRIPE_API_BASE", fake.base_url()}, {"STRIPE_SECRET_KEY", "sk_test_tie456"}}));
  pg p(s.database_url());
  link(p, "user_tie2", "cus_tie2");
  auto c = s.client();
  auto t = unix_now() - 50;
  REQUIRE(
      stripe::deliver(c, sub_event("customer.subscription.created", "evt_tf_1", t, "sub_tf", "cus_tie2", "past_due"))
          .status == 200);
  REQUIRE(settled(p, {"evt_tf_1"}));
  REQUIRE(stripe::deliver(c, sub_event("customer.subscription.updated", "evt_tf_2", t, "sub_tf", "cus_tie2", "active"))
              .status == 200);
  REQUIRE(settled(p, {"evt_tf_2"}));
  CHECK(fake.count("GET", "/v1/subscriptions/sub_tf") >= 1);
  CHECK(status_of(p, "sub_tf") == "past_due");  // past_due is later in the lifecycle than active
}

TEST_CASE("stripe ordering: without a Stripe key a tie follows the documented lifecycle rule",
          "[integration][stripe]") {
  trainia_server s(with_stripe());
  pg p(s.database_url());
  link(p, "user_rule", "cus_rule");
  auto c = s.client();
  auto t = unix_now() - 50;
  SECTION("the later lifecycle status wins when it arrives second") {
    REQUIRE(stripe::deliver(c, sub_event("customer.subscription.created", "evt_r1", t, "sub_r1", "cus_rule", "active"))
                .status == 200);
    REQUIRE(settled(p, {"evt_r1"}));
    REQUIRE(
        stripe::deliver(c, sub_event("customer.subscription.updated", "evt_r2", t, "sub_r1", "cus_rule", "past_due"))
            .status == 200);
    REQUIRE(settled(p, {"evt_r2"}));
    CHECK(status_of(p, "sub_r1") == "past_due");
  }
  SECTION("…and keeps its place when the earlier status arrives second") {
    REQUIRE(
        stripe::deliver(c, sub_event("customer.subscription.created", "evt_r3", t, "sub_r2", "cus_rule", "past_due"))
            .status == 200);
    REQUIRE(settled(p, {"evt_r3"}));
    REQUIRE(stripe::deliver(c, sub_event("customer.subscription.updated", "evt_r4", t, "sub_r2", "cus_rule", "active"))
                .status == 200);
    REQUIRE(settled(p, {"evt_r4"}));
    CHECK(status_of(p, "sub_r2") == "past_due");
    CHECK(p.scalar("SELECT note FROM stripe_events WHERE event_id = 'evt_r4'")->find("tie") != std::string::npos);
  }
}

TEST_CASE("stripe ordering: a deleted subscription is never revived by a late event", "[integration][stripe]") {
  trainia_server s(with_stripe());
  pg p(s.database_url());
  link(p, "user_del", "cus_del");
  auto c = s.client();
  auto t = unix_now() - 100;
  REQUIRE(stripe::deliver(c, sub_event("customer.subscription.created", "evt_d1", t, "sub_del", "cus_del", "active"))
              .status == 200);
  REQUIRE(
      stripe::deliver(c, sub_event("customer.subscription.deleted", "evt_d2", t + 20, "sub_del", "cus_del", "canceled"))
          .status == 200);
  REQUIRE(settled(p, {"evt_d1", "evt_d2"}));
  CHECK(status_of(p, "sub_del") == "canceled");
  // A late update, older than the deletion…
  REQUIRE(
      stripe::deliver(c, sub_event("customer.subscription.updated", "evt_d3", t + 10, "sub_del", "cus_del", "active"))
          .status == 200);
  // …and even one stamped later (a buggy or replayed sender) do not revive it.
  REQUIRE(
      stripe::deliver(c, sub_event("customer.subscription.updated", "evt_d4", t + 30, "sub_del", "cus_del", "active"))
          .status == 200);
  REQUIRE(settled(p, {"evt_d3", "evt_d4"}));
  CHECK(status_of(p, "sub_del") == "canceled");
  CHECK(p.scalar("SELECT deleted_at IS NOT NULL FROM subscriptions WHERE stripe_subscription_id = 'sub_del'") == "t");
  CHECK(s.client().get("/api/subscriptions", s.auth("user_del")).json()["plan"] == "free");
}

TEST_CASE("stripe ordering: events of an unlinked customer wait (pending_link) until checkout links it",
          "[integration][stripe]") {
  trainia_server s(with_stripe());
  pg p(s.database_url());
  auto c = s.client();
  const std::string user = "user_link_" + stripe::unique_suffix();
  auto t = unix_now() - 100;
  REQUIRE(
      stripe::deliver(c, sub_event("customer.subscription.created", "evt_l1", t, "sub_link", "cus_link", "incomplete"))
          .status == 200);
  REQUIRE(
      stripe::deliver(c, sub_event("customer.subscription.updated", "evt_l2", t + 5, "sub_link", "cus_link", "active"))
          .status == 200);
  REQUIRE(settled(p, {"evt_l1", "evt_l2"}));
  CHECK(p.scalar("SELECT outcome FROM stripe_events WHERE event_id = 'evt_l1'") == "pending_link");
  CHECK(p.scalar("SELECT outcome FROM stripe_events WHERE event_id = 'evt_l2'") == "pending_link");
  CHECK(p.count("SELECT count(*) FROM subscriptions") == 0);
  CHECK(c.get("/api/subscriptions", s.auth(user)).json()["plan"] == "free");

  // The profile does not exist yet: checkout creates it and links the customer.
  REQUIRE(stripe::deliver(c, stripe::checkout_event("evt_l3", t + 6, user, "cus_link", "sub_link")).status == 200);
  CHECK(
      stripe::eventually([&] { return p.count("SELECT count(*) FROM stripe_events WHERE outcome = 'applied'") == 3; }));
  CHECK(p.scalar("SELECT stripe_customer_id FROM user_profiles WHERE clerk_user_id = $1", {user}) == "cus_link");
  // Applied in created order: the final state is the newer event's.
  CHECK(status_of(p, "sub_link") == "active");
  CHECK(p.scalar("SELECT last_event_id FROM subscriptions WHERE stripe_subscription_id = 'sub_link'") == "evt_l2");
  CHECK(c.get("/api/subscriptions", s.auth(user)).json()["plan"] == "pro");
  CHECK(p.count("SELECT count(*) FROM audit_log WHERE action = 'checkout.session.completed' AND clerk_user_id = $1",
                {user}) == 1);
  // A later event of the linked customer applies at once.
  REQUIRE(stripe::deliver(
              c, sub_event("customer.subscription.updated", "evt_l4", t + 9, "sub_link", "cus_link", "past_due"))
              .status == 200);
  REQUIRE(settled(p, {"evt_l4"}));
  CHECK(p.scalar("SELECT outcome FROM stripe_events WHERE event_id = 'evt_l4'") == "applied");
  CHECK(status_of(p, "sub_link") == "past_due");
}
