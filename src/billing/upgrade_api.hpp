#pragma once

#include "billing/plans.hpp"
#include "http/router.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>

namespace trainia::billing {

/// The plan named by an upgrade body `{"plan":"<name>"}`: a JSON object with
/// exactly that member, naming a catalog plan that has a Stripe price (so not
/// `free`). Otherwise `invalid_json` (not JSON) or `validation_failed` with a
/// detail at `plan` (missing, not a string, unknown, free or priceless) or at
/// each unexpected member. Pure.
caf::expected<const plan*> read_upgrade_body(std::string_view body, const plan_catalog& plans);

/// POST /api/subscriptions/upgrade (auth). Checked in this order: the body
/// (400), STRIPE_SECRET_KEY configured (else 503), the caller's session actor
/// (per-user rate limit; its cached plan already the target → 409 at once),
/// then the upgrade desk, through the billing supervisor (upgrade_desk.hpp),
/// which answers 200 {"action":"checkout","url"} or {"action":"updated",
/// "subscription"}, 409, 502 or 503.
void post_upgrade(const http::context_ptr& ctx);

}  // namespace trainia::billing
