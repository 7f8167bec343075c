#pragma once

#include "config/config.hpp"
#include "net/outbound_client.hpp"

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// The Stripe API as trainia speaks it (upgrade, reconcile): form encoding,
/// request builders, the retry rule and reply parsing. Pure functions; the
/// calls themselves go through the one outbound client (src/net).
namespace trainia::billing {

/// Ordered form fields; keys may carry Stripe's brackets (`items[0][id]`).
using form_fields = std::vector<std::pair<std::string, std::string>>;

/// application/x-www-form-urlencoded (WHATWG URL §5): every byte outside
/// `A-Z a-z 0-9 * - . _` is percent-encoded with upper-case hex (UTF-8 bytes
/// one by one), a space becomes `+`; keys and values alike, joined by `&`.
std::string form_encode(const form_fields& fields);

/// Percent-encodes one query-string value the same way (space → %20).
std::string query_escape(std::string_view s);

/// `POST {STRIPE_API_BASE}{path}` with the form as body,
/// `Content-Type: application/x-www-form-urlencoded`, `Authorization: Bearer
/// <STRIPE_SECRET_KEY>` and `Idempotency-Key: <idempotency_key>` — the request
/// object is resent unchanged on every retry, so the key is the same on each.
net::outbound_request stripe_post(const config& cfg, std::string_view path, const form_fields& form,
                                  const std::string& idempotency_key);

/// `GET {STRIPE_API_BASE}{path_and_query}` with the bearer key.
net::outbound_request stripe_get(const config& cfg, std::string_view path_and_query);

/// Bounded retries for Stripe calls: up to 3 attempts (back-off 250 ms, then
/// 500 ms) within 25 s. A `Stripe-Should-Retry` header decides when present
/// (`false`: never again, `true`: again); otherwise retried are: no response
/// (network error, time-out), 409 (a concurrent request holding the same
/// idempotency key), 429 and 5xx. Cancelled calls are never retried.
net::retry_options stripe_retry();

/// A fresh idempotency key for one logical call (a random UUID v4).
std::string new_idempotency_key();

/// The stable idempotency key of customer creation for a user:
/// `customer-<clerk user id>` (a SHA-256 of the id instead when the id has
/// characters outside [A-Za-z0-9_-] or is too long for Stripe's 255).
std::string customer_idempotency_key(const std::string& clerk_user_id);

/// Stripe's JSON object in a 2xx answer, or `upstream_error` with a public
/// message (never Stripe's own text, which may quote request data) and an
/// internal note for the logs: the status and Stripe's error type/code/param.
/// `what` names the call ("create a customer").
caf::expected<nlohmann::json> stripe_object(const net::outbound_response& r, std::string_view what);

/// A list object (`{"object":"list","data":[…],"has_more":…}`).
struct stripe_list {
  std::vector<nlohmann::json> data;
  bool has_more = false;
};
/// Reads a list; a malformed one is `upstream_error`.
caf::expected<stripe_list> read_list(const nlohmann::json& obj);

/// A non-empty string member `key` of `obj` (whose `id` should start with
/// `prefix` when given), or "".
std::string string_member(const nlohmann::json& obj, std::string_view key, std::string_view prefix = {});

/// The instant of Stripe's answer on Stripe's own clock (the HTTP `Date`
/// header, IMF-fixdate), so a fetched state can be ordered against events'
/// `created`; nullopt when absent or malformed.
std::optional<int64_t> response_date(const net::outbound_response& r);

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) into unix seconds.
std::optional<int64_t> parse_http_date(std::string_view s);

}  // namespace trainia::billing
