#pragma once
// Stripe test material: the fixtures in tests/fixtures/stripe/ (shaped like
// Stripe's real event objects, in both API shapes) and webhook signatures
// computed with the openssl CLI, independently of the server's code.

#include "support/http_client.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace trainia::test::stripe {

/// tests/fixtures/stripe/<name>.json, parsed. Throws if missing.
nlohmann::json fixture(const std::string& name);

/// Lowercase hex HMAC-SHA256 of "<t>.<body>" keyed with `secret` as ASCII,
/// by `openssl dgst -sha256 -hmac <secret>`.
std::string openssl_hmac(const std::string& secret, int64_t t, const std::string& body);

/// A Stripe-Signature header "t=<t>,v1=<hex>" for `body` signed with `secret`.
std::string signature_header(const std::string& secret, int64_t t, const std::string& body);

/// Which shape a subscription object takes.
enum class api_shape {
  legacy,  // before 2025-03-31: current_period_* on the subscription
  basil,   // 2025-03-31 and later: current_period_* on each item
};

/// A customer.subscription.* event built from the fixtures: `type` (e.g.
/// "customer.subscription.updated"), ids, `created`, status, the plan's price
/// and the period, in the given shape (one item).
nlohmann::json subscription_event(const std::string& type, const std::string& event_id, int64_t created,
                                  const std::string& subscription_id, const std::string& customer_id,
                                  const std::string& status, const std::string& price_id = "price_pro_monthly",
                                  api_shape shape = api_shape::basil, int64_t period_start = 1764547200,
                                  int64_t period_end = 1767225600);

/// The subscription object inside such an event (what GET /v1/subscriptions/{id} returns).
nlohmann::json subscription_object(const std::string& subscription_id, const std::string& customer_id,
                                   const std::string& status, const std::string& price_id = "price_pro_monthly",
                                   int64_t period_start = 1764547200, int64_t period_end = 1767225600);

/// checkout.session.completed linking `customer_id` to `user_id`.
nlohmann::json checkout_event(const std::string& event_id, int64_t created, const std::string& user_id,
                              const std::string& customer_id, const std::string& subscription_id);

/// The webhook secret the integration tests configure.
inline const std::string webhook_secret = "whsec_dGVzdC1zdHJpcGUtd2ViaG9vay1zZWNyZXQ";

/// POSTs `event` to /api/webhooks/stripe, signed now with `secret`.
http_response deliver(http_client& c, const nlohmann::json& event, const std::string& secret = webhook_secret);
/// POSTs an already serialised, already signed body.
http_response deliver_signed(http_client& c, const std::string& body, const std::string& signature);

/// Polls `ok` every 50 ms until it returns true (true) or `timeout` passes (false).
bool eventually(const std::function<bool()>& ok, std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// A unique-enough suffix for ids in one test run ([A-Za-z0-9]).
std::string unique_suffix();

}  // namespace trainia::test::stripe
