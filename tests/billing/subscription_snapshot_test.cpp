#include "billing/subscription_snapshot.hpp"
#include "billing/plans.hpp"
#include "billing/stripe_fixtures.hpp"
#include "core/error.hpp"

#include <catch2/catch.hpp>

using namespace trainia::billing;
namespace stripe = trainia::test::stripe;

namespace {

const plan_catalog& catalog() {
  static plan_catalog c = [] {
    std::string err;
    auto p = plan_catalog::load("", err);
    REQUIRE(p);
    return *p;
  }();
  return c;
}

}  // namespace

TEST_CASE("subscription: periods and plan from the older shape (periods on the subscription)", "[billing][snapshot]") {
  auto obj = stripe::fixture("customer.subscription.updated.2024-06-20")["data"]["object"];
  auto s = read_subscription(obj, catalog());
  REQUIRE(s);
  CHECK(s->id == "sub_1PTqF9LkdIwHu7ixKb2zYt6N");
  CHECK(s->customer_id == "cus_QKVtbFjQZ2sJ4m");
  CHECK(s->status == "active");
  CHECK(s->period_start == 1718899000);
  CHECK(s->period_end == 1721491000);
  CHECK_FALSE(s->cancel_at_period_end);
  CHECK(s->plan_name == "pro");
  CHECK(s->item_id == "si_QKVtWq3Lm0cZpX");
}

TEST_CASE("subscription: periods from items and the plan from ALL items (2025-03-31 shape)", "[billing][snapshot]") {
  auto obj = stripe::fixture("customer.subscription.updated.2025-03-31.basil")["data"]["object"];
  REQUIRE_FALSE(obj.contains("current_period_start"));
  SECTION("the plan item is first") {
    auto s = read_subscription(obj, catalog());
    REQUIRE(s);
    CHECK(s->period_start == 1743499000);
    CHECK(s->period_end == 1746091000);
    CHECK(s->plan_name == "team");
    CHECK(s->price_ids.size() == 2);
  }
  SECTION("the plan item is not items[0]: still found") {
    std::swap(obj["items"]["data"][0], obj["items"]["data"][1]);
    auto s = read_subscription(obj, catalog());
    REQUIRE(s);
    CHECK(s->plan_name == "team");
    CHECK(s->item_id == "si_S2sV5FqPz8NwJk");
    CHECK(s->price_id == "price_team_monthly");
  }
  SECTION("items with different periods: the earliest start, the latest end") {
    obj["items"]["data"][1]["current_period_start"] = 1743400000;
    obj["items"]["data"][1]["current_period_end"] = 1746200000;
    auto s = read_subscription(obj, catalog());
    REQUIRE(s);
    CHECK(s->period_start == 1743400000);
    CHECK(s->period_end == 1746200000);
  }
  SECTION("two known plans: the best-ranked wins") {
    obj["items"]["data"][1]["price"]["id"] = "price_pro_monthly";
    auto s = read_subscription(obj, catalog());
    REQUIRE(s);
    CHECK(s->plan_name == "team");
  }
  SECTION("cancel_at_period_end is kept") {
    obj["cancel_at_period_end"] = true;
    auto s = read_subscription(obj, catalog());
    REQUIRE(s);
    CHECK(s->cancel_at_period_end);
  }
}

TEST_CASE("subscription: what cannot be applied fails with a reason", "[billing][snapshot]") {
  auto obj = stripe::fixture("customer.subscription.updated.2025-03-31.basil")["data"]["object"];
  auto refused = [](const nlohmann::json& o, const char* why) {
    auto s = read_subscription(o, catalog());
    REQUIRE_FALSE(s);
    INFO(trainia::info_of(s.error()).message);
    CHECK(trainia::info_of(s.error()).message.find(why) != std::string::npos);
  };
  SECTION("only unknown prices") {
    for (auto& item : obj["items"]["data"]) item["price"]["id"] = "price_unknown_" + item["id"].get<std::string>();
    refused(obj, "plan catalog");
  }
  SECTION("unknown status") {
    obj["status"] = "zombie";
    refused(obj, "status");
  }
  SECTION("no customer") {
    obj.erase("customer");
    refused(obj, "customer");
  }
  SECTION("not a subscription") {
    obj["object"] = "invoice";
    refused(obj, "not a subscription");
  }
}

TEST_CASE("subscription: the deterministic tie rule follows the lifecycle", "[billing][tie]") {
  CHECK(status_rank("incomplete") < status_rank("trialing"));
  CHECK(status_rank("trialing") < status_rank("active"));
  CHECK(status_rank("active") < status_rank("past_due"));
  CHECK(status_rank("past_due") < status_rank("unpaid"));
  CHECK(status_rank("unpaid") < status_rank("paused"));
  CHECK(status_rank("paused") < status_rank("canceled"));
  CHECK(status_rank("nope") == -1);
  // Later in the lifecycle wins…
  CHECK(incoming_wins_tie("active", "past_due"));
  CHECK(incoming_wins_tie("active", "canceled"));
  CHECK_FALSE(incoming_wins_tie("canceled", "active"));
  CHECK_FALSE(incoming_wins_tie("past_due", "active"));
  CHECK(incoming_wins_tie("trialing", "active"));
  // …and an equal status goes to the later arrival (the incoming event).
  CHECK(incoming_wins_tie("active", "active"));
}
