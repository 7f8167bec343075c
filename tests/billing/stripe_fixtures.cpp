#include "billing/stripe_fixtures.hpp"

#include "support/jwt_mint.hpp"
#include "support/test_env.hpp"

#include <stdexcept>
#include <thread>

namespace trainia::test::stripe {
namespace {

std::string fixtures_dir() {
  std::string here = __FILE__;  // …/tests/billing/stripe_fixtures.cpp
  auto tests = here.substr(0, here.rfind('/'));
  tests = tests.substr(0, tests.rfind('/'));
  return tests + "/fixtures/stripe/";
}

}  // namespace

nlohmann::json fixture(const std::string& name) {
  auto text = read_file(fixtures_dir() + name + ".json");
  return nlohmann::json::parse(text);
}

std::string openssl_hmac(const std::string& secret, int64_t t, const std::string& body) {
  auto dir = make_temp_dir();
  auto path = dir + "/payload";
  write_file(path, std::to_string(t) + "." + body);
  auto out = run_openssl({"dgst", "-sha256", "-hmac", secret, "-r", path});
  auto hex = out.substr(0, out.find_first_of(" \n"));
  if (hex.size() != 64) throw std::runtime_error("unexpected openssl output: " + out);
  return hex;
}

std::string signature_header(const std::string& secret, int64_t t, const std::string& body) {
  return "t=" + std::to_string(t) + ",v1=" + openssl_hmac(secret, t, body);
}

nlohmann::json subscription_object(const std::string& subscription_id, const std::string& customer_id,
                                   const std::string& status, const std::string& price_id, int64_t period_start,
                                   int64_t period_end) {
  auto obj = fixture("customer.subscription.updated.2025-03-31.basil")["data"]["object"];
  obj["id"] = subscription_id;
  obj["customer"] = customer_id;
  obj["status"] = status;
  auto item = obj["items"]["data"][0];
  item["price"]["id"] = price_id;
  item["plan"]["id"] = price_id;
  item["subscription"] = subscription_id;
  item["current_period_start"] = period_start;
  item["current_period_end"] = period_end;
  obj["items"]["data"] = nlohmann::json::array({item});
  obj["items"]["total_count"] = 1;
  return obj;
}

nlohmann::json subscription_event(const std::string& type, const std::string& event_id, int64_t created,
                                  const std::string& subscription_id, const std::string& customer_id,
                                  const std::string& status, const std::string& price_id, api_shape shape,
                                  int64_t period_start, int64_t period_end) {
  nlohmann::json ev;
  if (shape == api_shape::basil) {
    ev = fixture("customer.subscription.updated.2025-03-31.basil");
    ev["data"]["object"] =
        subscription_object(subscription_id, customer_id, status, price_id, period_start, period_end);
  } else {
    ev = fixture("customer.subscription.updated.2024-06-20");
    auto& obj = ev["data"]["object"];
    obj["id"] = subscription_id;
    obj["customer"] = customer_id;
    obj["status"] = status;
    obj["current_period_start"] = period_start;
    obj["current_period_end"] = period_end;
    auto& item = obj["items"]["data"][0];
    item["price"]["id"] = price_id;
    item["plan"]["id"] = price_id;
    item["subscription"] = subscription_id;
    obj["plan"]["id"] = price_id;
  }
  ev["id"] = event_id;
  ev["type"] = type;
  ev["created"] = created;
  return ev;
}

nlohmann::json checkout_event(const std::string& event_id, int64_t created, const std::string& user_id,
                              const std::string& customer_id, const std::string& subscription_id) {
  auto ev = fixture("checkout.session.completed");
  ev["id"] = event_id;
  ev["created"] = created;
  auto& obj = ev["data"]["object"];
  obj["client_reference_id"] = user_id;
  obj["customer"] = customer_id;
  obj["subscription"] = subscription_id;
  return ev;
}

http_response deliver_signed(http_client& c, const std::string& body, const std::string& signature) {
  return c.request("POST", "/api/webhooks/stripe", body,
                   {{"Content-Type", "application/json; charset=utf-8"},
                    {"Stripe-Signature", signature},
                    {"User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}});
}

http_response deliver(http_client& c, const nlohmann::json& event, const std::string& secret) {
  auto body = event.dump();
  return deliver_signed(c, body, signature_header(secret, unix_now(), body));
}

bool eventually(const std::function<bool()>& ok, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (ok()) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string unique_suffix() {
  return random_hex(6);
}

}  // namespace trainia::test::stripe
