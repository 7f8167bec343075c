#include "billing/stripe_api.hpp"
#include "billing/form_decode.hpp"
#include "billing/upgrade_api.hpp"
#include "core/error.hpp"

#include <catch2/catch.hpp>

#include <regex>

using namespace trainia;
using namespace trainia::billing;

namespace {

config stripe_config(const std::string& base = "https://api.stripe.test/") {
  config c;
  c.stripe_api_base = base;
  c.stripe_secret_key = "sk_test_unit123";
  return c;
}

std::string header_of(const net::outbound_request& r, const std::string& name) {
  std::string out;
  int n = 0;
  for (const auto& [k, v] : r.headers)
    if (k == name) {
      out = v;
      ++n;
    }
  REQUIRE(n <= 1);
  return out;
}

net::outbound_response answer(int status, std::string body = {},
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
  net::outbound_response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.attempts = 1;
  return r;
}

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

TEST_CASE("stripe form: spaces, reserved characters and unicode are escaped", "[billing][stripe_api]") {
  CHECK(form_encode({}).empty());
  CHECK(form_encode({{"a b", "c d"}}) == "a+b=c+d");
  CHECK(form_encode({{"k", "&=+%?#/"}}) == "k=%26%3D%2B%25%3F%23%2F");
  CHECK(form_encode({{"k", "*-._~"}}) == "k=*-._%7E");
  CHECK(form_encode({{"name", "Zoë 日本"}}) == "name=Zo%C3%AB+%E6%97%A5%E6%9C%AC");
  CHECK(form_encode({{"k", std::string("a\nb\0c", 5)}}) == "k=a%0Ab%00c");
}

TEST_CASE("stripe form: brackets in keys and braces in values, fields in order", "[billing][stripe_api]") {
  auto body = form_encode({{"items[0][id]", "si_1"},
                           {"items[0][price]", "price_team_monthly"},
                           {"success_url", "https://app.test/billing/success?session_id={CHECKOUT_SESSION_ID}"}});
  CHECK(body ==
        "items%5B0%5D%5Bid%5D=si_1&items%5B0%5D%5Bprice%5D=price_team_monthly"
        "&success_url=https%3A%2F%2Fapp.test%2Fbilling%2Fsuccess%3Fsession_id%3D%7BCHECKOUT_SESSION_ID%7D");
  // An independent decoder gets the fields back, in order.
  auto fields = test::decode_form(body);
  REQUIRE(fields.size() == 3);
  CHECK(fields[0] == std::pair<std::string, std::string>{"items[0][id]", "si_1"});
  CHECK(fields[2].second == "https://app.test/billing/success?session_id={CHECKOUT_SESSION_ID}");
  CHECK(query_escape("cus 1/&x") == "cus%201%2F%26x");
}

TEST_CASE("stripe requests: POST is form-encoded with the bearer key and one Idempotency-Key",
          "[billing][stripe_api]") {
  auto cfg = stripe_config("https://api.stripe.test//");
  auto r = stripe_post(cfg, "/v1/customers", {{"metadata[user_id]", "user_1"}, {"email", "a+b@x.test"}}, "key-1");
  CHECK(r.method == "POST");
  CHECK(r.url == "https://api.stripe.test/v1/customers");
  CHECK(header_of(r, "Authorization") == "Bearer sk_test_unit123");
  CHECK(header_of(r, "Content-Type") == "application/x-www-form-urlencoded");
  CHECK(header_of(r, "Idempotency-Key") == "key-1");
  CHECK(r.body == "metadata%5Buser_id%5D=user_1&email=a%2Bb%40x.test");
  auto g = stripe_get(cfg, "/v1/subscriptions/sub_1");
  CHECK(g.method == "GET");
  CHECK(g.url == "https://api.stripe.test/v1/subscriptions/sub_1");
  CHECK(header_of(g, "Authorization") == "Bearer sk_test_unit123");
  CHECK(header_of(g, "Idempotency-Key").empty());
  CHECK(g.body.empty());
}

TEST_CASE("stripe retry: network errors, 409, 429 and 5xx are retried, Stripe-Should-Retry decides",
          "[billing][stripe_api]") {
  auto r = stripe_retry();
  CHECK(r.max_attempts == 3);
  REQUIRE(r.deadline);
  auto retried = [&](net::outbound_response resp) { return r.decide(resp, 1).has_value(); };
  CHECK(retried(answer(0)));
  CHECK(retried(answer(500)));
  CHECK(retried(answer(503)));
  CHECK(retried(answer(429)));
  CHECK(retried(answer(409)));
  CHECK_FALSE(retried(answer(200)));
  CHECK_FALSE(retried(answer(400)));
  CHECK_FALSE(retried(answer(402)));
  CHECK_FALSE(retried(answer(404)));
  CHECK_FALSE(retried(answer(500, "", {{"stripe-should-retry", "false"}})));
  CHECK_FALSE(retried(answer(0, "", {{"stripe-should-retry", "False"}})));
  CHECK(retried(answer(400, "", {{"stripe-should-retry", "true"}})));
  auto cancelled = answer(0);
  cancelled.cancelled = true;
  CHECK_FALSE(retried(cancelled));
  CHECK(r.decide(answer(500), 2) > r.decide(answer(500), 1));
}

TEST_CASE("stripe idempotency keys: a fresh UUID per call, a stable key per user for customers",
          "[billing][stripe_api]") {
  std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  auto a = new_idempotency_key(), b = new_idempotency_key();
  CHECK(std::regex_match(a, uuid4));
  CHECK(std::regex_match(b, uuid4));
  CHECK(a != b);
  CHECK(customer_idempotency_key("user_2NNEqL2nrIRdJ194ndJqAHwEfxC") == "customer-user_2NNEqL2nrIRdJ194ndJqAHwEfxC");
  auto odd = customer_idempotency_key("user with\nnewline");
  CHECK(odd == customer_idempotency_key("user with\nnewline"));
  CHECK(std::regex_match(odd, std::regex("customer-[0-9a-f]{64}")));
  CHECK(customer_idempotency_key(std::string(300, 'u')).size() == 9 + 64);
}

TEST_CASE("stripe replies: objects, lists and errors without leaking Stripe's text", "[billing][stripe_api]") {
  auto ok = stripe_object(answer(200, R"({"id":"cus_1","object":"customer"})"), "create a customer");
  REQUIRE(ok);
  CHECK(string_member(*ok, "id", "cus_") == "cus_1");
  CHECK(string_member(*ok, "id", "sub_").empty());
  CHECK(string_member(*ok, "missing").empty());

  auto down = stripe_object(answer(0), "create a customer");
  REQUIRE_FALSE(down);
  CHECK(is(down.error(), errc::upstream_error));

  auto failing = stripe_object(answer(500, R"({"error":{"type":"api_error"}})"), "x");
  REQUIRE_FALSE(failing);
  CHECK(is(failing.error(), errc::upstream_error));
  CHECK(info_of(failing.error()).internal.find("api_error") != std::string::npos);

  auto refused =
      stripe_object(answer(400, R"({"error":{"type":"invalid_request_error","code":"resource_missing","param":"price",
                    "message":"No such price: 'price_x'; key sk_test_unit123"}})"),
                    "create a Checkout Session");
  REQUIRE_FALSE(refused);
  CHECK(is(refused.error(), errc::upstream_error));
  auto info = info_of(refused.error());
  CHECK(info.internal.find("resource_missing") != std::string::npos);
  CHECK(info.internal.find("param=price") != std::string::npos);
  CHECK(info.message.find("sk_test") == std::string::npos);
  CHECK(info.internal.find("sk_test") == std::string::npos);

  auto garbage = stripe_object(answer(200, "<html>"), "x");
  REQUIRE_FALSE(garbage);
  CHECK(is(garbage.error(), errc::upstream_error));

  auto list = read_list(nlohmann::json::parse(R"({"object":"list","data":[{"id":"a"},7,{"id":"b"}],"has_more":true})"));
  REQUIRE(list);
  REQUIRE(list->data.size() == 2);
  CHECK(list->data[1]["id"] == "b");
  CHECK(list->has_more);
  CHECK_FALSE(read_list(nlohmann::json::parse(R"({"object":"list"})")));
}

TEST_CASE("stripe replies: the Date header orders a fetched state", "[billing][stripe_api]") {
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
  CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
  CHECK_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
  CHECK_FALSE(parse_http_date("Sun, 06 Xyz 1994 08:49:37 GMT"));
  CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"));
  CHECK_FALSE(parse_http_date(""));
  CHECK(response_date(answer(200, "{}", {{"date", "Wed, 21 Oct 2015 07:28:00 GMT"}})) == 1445412480);
  CHECK_FALSE(response_date(answer(200, "{}")));
}

TEST_CASE("upgrade body: a paid catalog plan, nothing else", "[billing][stripe_api]") {
  auto pro = read_upgrade_body(R"({"plan":"pro"})", catalog());
  REQUIRE(pro);
  CHECK((*pro)->name == "pro");
  CHECK((*pro)->price_id == "price_pro_monthly");
  auto detail_path = [](const caf::expected<const plan*>& r) {
    REQUIRE_FALSE(r);
    REQUIRE(is(r.error(), errc::validation_failed));
    auto i = info_of(r.error());
    REQUIRE_FALSE(i.fields.empty());
    return i.fields[0].path;
  };
  CHECK(detail_path(read_upgrade_body(R"({"plan":"free"})", catalog())) == "plan");
  CHECK(detail_path(read_upgrade_body(R"({"plan":"platinum"})", catalog())) == "plan");
  CHECK(detail_path(read_upgrade_body(R"({"plan":7})", catalog())) == "plan");
  CHECK(detail_path(read_upgrade_body(R"({})", catalog())) == "plan");
  CHECK(detail_path(read_upgrade_body(R"(["pro"])", catalog())) == "plan");
  auto extra = read_upgrade_body(R"({"plan":"pro","coupon":"FREE"})", catalog());
  CHECK(detail_path(extra) == "coupon");
  auto bad = read_upgrade_body("{plan:pro", catalog());
  REQUIRE_FALSE(bad);
  CHECK(is(bad.error(), errc::invalid_json));
}
