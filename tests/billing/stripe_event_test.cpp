#include "billing/stripe_event.hpp"
#include "billing/ledger.hpp"
#include "billing/stripe_fixtures.hpp"
#include "core/error.hpp"

#include <catch2/catch.hpp>

using trainia::errc;
using trainia::billing::parse_stripe_event;
namespace stripe = trainia::test::stripe;

TEST_CASE("stripe event: the envelope and routing ids of each fixture", "[billing][stripe_event]") {
  SECTION("subscription event, API 2024-06-20") {
    auto e = parse_stripe_event(stripe::fixture("customer.subscription.updated.2024-06-20").dump());
    REQUIRE(e);
    CHECK(e->id == "evt_1PTqGfLkdIwHu7ixbXh4Yq2J");
    CHECK(e->type == "customer.subscription.updated");
    CHECK(e->created == 1718900000);
    CHECK(e->subscription_id == "sub_1PTqF9LkdIwHu7ixKb2zYt6N");
    CHECK(e->customer_id == "cus_QKVtbFjQZ2sJ4m");
    CHECK(e->routing_key() == "sub_1PTqF9LkdIwHu7ixKb2zYt6N");
    REQUIRE(e->doc);
    CHECK((*e->doc)["data"]["object"]["status"] == "active");
  }
  SECTION("invoice with the subscription at the top (older API)") {
    auto e = parse_stripe_event(stripe::fixture("invoice.paid.2024-06-20").dump());
    REQUIRE(e);
    CHECK(e->subscription_id == "sub_1PTqF9LkdIwHu7ixKb2zYt6N");
    CHECK(e->customer_id == "cus_QKVtbFjQZ2sJ4m");
  }
  SECTION("invoice with parent.subscription_details (2025-03-31 and later)") {
    auto e = parse_stripe_event(stripe::fixture("invoice.payment_failed.2025-03-31.basil").dump());
    REQUIRE(e);
    CHECK(e->subscription_id == "sub_1R8mJXLkdIwHu7ixgT0nC4uE");
    CHECK(e->customer_id == "cus_S2sVnd8yQ0pXhA");
  }
  SECTION("checkout session: routed by its subscription") {
    auto e = parse_stripe_event(stripe::fixture("checkout.session.completed").dump());
    REQUIRE(e);
    CHECK(e->routing_key() == "sub_1R8mJXLkdIwHu7ixgT0nC4uE");
  }
  SECTION("an event of no subscription is routed by customer, else by its own id") {
    auto e = parse_stripe_event(stripe::fixture("customer.created").dump());
    REQUIRE(e);
    CHECK(e->subscription_id.empty());
    CHECK(e->routing_key() == e->id);  // data.object is the customer itself, not a reference
    auto j = stripe::fixture("invoice.paid.2024-06-20");
    j["data"]["object"]["subscription"] = nullptr;
    auto inv = parse_stripe_event(j.dump());
    REQUIRE(inv);
    CHECK(inv->routing_key() == "cus_QKVtbFjQZ2sJ4m");
  }
  SECTION("an expanded customer object counts by its id") {
    auto j = stripe::fixture("invoice.paid.2024-06-20");
    j["data"]["object"]["customer"] = {{"id", "cus_expanded"}, {"object", "customer"}};
    auto e = parse_stripe_event(j.dump());
    REQUIRE(e);
    CHECK(e->customer_id == "cus_expanded");
  }
}

TEST_CASE("stripe event: bodies that are not an event are invalid_event", "[billing][stripe_event]") {
  auto base = stripe::fixture("customer.created");
  auto refused = [](const std::string& body) {
    auto e = parse_stripe_event(body);
    REQUIRE_FALSE(e);
    CHECK(trainia::is(e.error(), errc::invalid_event));
  };
  refused("");
  refused("not json");
  refused("[1,2,3]");
  refused("\"evt_1\"");
  auto mutate = [&](auto f) {
    auto j = base;
    f(j);
    return j.dump();
  };
  refused(mutate([](auto& j) { j.erase("id"); }));
  refused(mutate([](auto& j) { j["id"] = 42; }));
  refused(mutate([](auto& j) { j["id"] = "ch_123"; }));
  refused(mutate([](auto& j) { j["id"] = "evt_"; }));
  refused(mutate([](auto& j) { j["id"] = "evt_a/b"; }));
  refused(mutate([](auto& j) { j["id"] = "evt_" + std::string(300, 'a'); }));
  refused(mutate([](auto& j) { j.erase("type"); }));
  refused(mutate([](auto& j) { j["type"] = ""; }));
  refused(mutate([](auto& j) { j["type"] = 7; }));
  refused(mutate([](auto& j) { j.erase("created"); }));
  refused(mutate([](auto& j) { j["created"] = "1743498800"; }));
  refused(mutate([](auto& j) { j["created"] = 1743498800.5; }));
  refused(mutate([](auto& j) { j["created"] = -5; }));
  refused(mutate([](auto& j) { j.erase("data"); }));
  refused(mutate([](auto& j) { j["data"] = nlohmann::json::array(); }));
  refused(mutate([](auto& j) { j["data"].erase("object"); }));
  refused(mutate([](auto& j) { j["data"]["object"] = "cus_1"; }));
  refused(mutate([](auto& j) { j["data"]["object"]["name"] = std::string("a\0b", 3); }));
  CHECK(parse_stripe_event(base.dump()));
}
