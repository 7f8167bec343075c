#pragma once

#include <caf/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trainia::billing {

/// Seconds a Stripe-Signature timestamp may differ from now, in either direction.
inline constexpr int64_t stripe_tolerance_seconds = 300;

/// Verifies a Stripe webhook delivery (api.md `POST /api/webhooks/stripe`):
/// `header` is the Stripe-Signature value `t=<unix>,v1=<hex>[,v1=…][,v0=…]`,
/// `body` the exact raw request bytes. Every `v1` is compared in constant time
/// with the lowercase hex HMAC-SHA256 of "<t>.<body>" keyed with each secret
/// of `secrets` taken whole as ASCII (`whsec_…`, not decoded); `v0` and other
/// schemes are ignored; |now_unix − t| must be ≤ 300 s. Pure: the clock is a
/// parameter; safe on any thread.
/// Returns an empty error when authentic and fresh, else `invalid_signature`
/// (the public message never says which rule failed; the internal note does).
caf::error verify_stripe_signature(std::string_view header, std::string_view body,
                                   const std::vector<std::string>& secrets, int64_t now_unix);

}  // namespace trainia::billing
