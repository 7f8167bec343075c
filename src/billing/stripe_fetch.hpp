#pragma once

#include "actors/services.hpp"
#include "net/outbound_client.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace trainia::billing {

/// True when a same-second tie can be settled by asking Stripe: a secret key
/// is configured and the outbound client exists.
bool can_fetch_subscriptions(const services& svc);

/// A Stripe object id safe to put in a URL path ([A-Za-z0-9_], 1..255).
bool valid_subscription_id(const std::string& id);

/// `GET {STRIPE_API_BASE}/v1/subscriptions/{id}` with `Authorization: Bearer
/// <STRIPE_SECRET_KEY>` (10 s per attempt).
net::outbound_request subscription_request(const config& cfg, const std::string& id);

/// Up to 3 attempts; retried: no response, 429, 5xx.
net::retry_options fetch_retry();

/// The subscription object of a 200 answer whose `id` is `id`; null otherwise.
std::shared_ptr<const nlohmann::json> read_fetched_subscription(const net::outbound_response& r, const std::string& id);

}  // namespace trainia::billing
