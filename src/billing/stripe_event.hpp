#pragma once

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace trainia::billing {

/// A verified Stripe webhook body: the envelope fields trainia routes and
/// orders by, and the parsed document (shared, immutable) for the apply step.
struct stripe_event {
  std::string id;               // "evt_…"
  std::string type;             // "customer.subscription.updated"
  int64_t created = 0;          // unix seconds (one-second resolution)
  std::string subscription_id;  // the subscription it concerns ("" if none)
  std::string customer_id;      // the customer it concerns ("" if none)
  std::shared_ptr<const nlohmann::json> doc;

  /// Which billing shard applies it: the subscription, else the customer, else the event.
  const std::string& routing_key() const {
    return !subscription_id.empty() ? subscription_id : !customer_id.empty() ? customer_id : id;
  }
};

/// Parses a body whose signature verified. `invalid_event` unless it is a JSON
/// object with a string `id` starting "evt_" (at most 255 characters of
/// [A-Za-z0-9_]), a non-empty string `type`, a positive integer `created` and
/// an object `data.object`; text containing U+0000 is refused too (PostgreSQL
/// cannot store it in jsonb). Pure.
caf::expected<stripe_event> parse_stripe_event(std::string_view body);

/// The id of a reference that Stripe sends either as a string or, when
/// expanded, as an object with an `id`; "" when absent or null.
std::string stripe_ref(const nlohmann::json& v);

/// The subscription an invoice belongs to: `subscription` (API versions before
/// 2025-03-31) or `parent.subscription_details.subscription` (later); "" if none.
std::string invoice_subscription(const nlohmann::json& invoice);

}  // namespace trainia::billing
