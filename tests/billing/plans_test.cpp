#include "billing/plans.hpp"

#include <catch2/catch.hpp>

using trainia::billing::plan_catalog;

TEST_CASE("the built-in plans load, lookups by name and price", "[billing]") {
  std::string err;
  auto c = plan_catalog::load("", err);
  INFO(err);
  REQUIRE(c);
  CHECK(c->free().price_id.empty());
  REQUIRE(c->by_name("pro"));
  CHECK(c->by_price(c->by_name("pro")->price_id)->name == "pro");
  CHECK_FALSE(c->by_price("price_unknown"));
  CHECK_FALSE(c->by_price(""));
}

TEST_CASE("the plan of several subscribed prices is the best-ranked known one", "[billing]") {
  std::string err;
  auto c = plan_catalog::parse(R"({"free":{"rank":0,"price_id":null,"ai_runs_per_month":1,"ai_max_concurrent":1},
    "pro":{"rank":1,"price_id":"price_p","ai_runs_per_month":10,"ai_max_concurrent":2},
    "team":{"rank":2,"price_id":"price_t","ai_runs_per_month":100,"ai_max_concurrent":4}})",
                               err);
  REQUIRE(c);
  CHECK(c->from_prices({"price_addon", "price_p"})->name == "pro");
  CHECK(c->from_prices({"price_p", "price_t", "price_addon"})->name == "team");
  CHECK_FALSE(c->from_prices({"price_addon"}));
  CHECK_FALSE(c->from_prices({}));
}

TEST_CASE("malformed plan files are refused with a reason", "[billing]") {
  auto refused = [](const char* text, const char* why) {
    std::string err;
    CHECK_FALSE(plan_catalog::parse(text, err));
    INFO(err);
    CHECK(err.find(why) != std::string::npos);
  };
  refused("[]", "JSON object");
  refused(R"({"pro":{"rank":1,"price_id":"p","ai_runs_per_month":1,"ai_max_concurrent":1}})", "\"free\" is required");
  refused(R"({"free":{"rank":0,"price_id":"p","ai_runs_per_month":1,"ai_max_concurrent":1}})", "no price");
  refused(R"({"free":{"rank":0,"ai_runs_per_month":1,"ai_max_concurrent":1},
              "pro":{"rank":1,"ai_runs_per_month":1,"ai_max_concurrent":1}})", "needs a price_id");
  refused(R"({"free":{"rank":0,"ai_runs_per_month":1,"ai_max_concurrent":0}})", "ai_max_concurrent");
  refused(R"({"free":{"rank":0,"ai_runs_per_month":-1,"ai_max_concurrent":1}})", "ai_runs_per_month");
  refused(R"({"free":{"rank":0,"ai_runs_per_month":1,"ai_max_concurrent":1,"colour":"red"}})", "unknown field");
  refused(R"({"free":{"rank":0,"ai_runs_per_month":1,"ai_max_concurrent":1},
              "a":{"rank":1,"price_id":"p","ai_runs_per_month":1,"ai_max_concurrent":1},
              "b":{"rank":2,"price_id":"p","ai_runs_per_month":1,"ai_max_concurrent":1}})", "price_id used twice");
}
