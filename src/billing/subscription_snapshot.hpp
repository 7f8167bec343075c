#pragma once

#include "billing/plans.hpp"

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainia::billing {

/// What trainia keeps of a Stripe subscription object (from an event's
/// `data.object`, or from `GET /v1/subscriptions/{id}`).
struct subscription_snapshot {
  std::string id;                                   // "sub_…"
  std::string customer_id;                          // "cus_…"
  std::string status;                               // one of the statuses subscriptions.status admits
  std::optional<int64_t> period_start, period_end;  // unix seconds
  bool cancel_at_period_end = false;
  std::vector<std::string> price_ids;  // of every item, in order
  std::string plan_name;               // the best-ranked known plan among them
  std::string price_id, item_id;       // the item that decided the plan
};

/// Reads a subscription object. Periods come from `items.data[].current_period_*`
/// (Stripe API 2025-03-31 and later: the earliest start and the latest end of
/// the items) or, when no item has them, from the subscription's own
/// `current_period_*` (earlier versions). The plan is derived from the price
/// ids of ALL items (`price.id`, or the legacy `plan.id`) through
/// `plan_catalog::from_prices`. Fails with `invalid_event` and a public reason
/// when the object is not a subscription, its status is unknown, or none of
/// its prices is in the catalog (the event is then recorded `failed`; replay
/// it once plans.json knows the price). Pure.
caf::expected<subscription_snapshot> read_subscription(const nlohmann::json& obj, const plan_catalog& plans);

/// Position of a status in the lifecycle used to settle ties without Stripe:
/// incomplete < trialing < active < past_due < unpaid < paused <
/// incomplete_expired < canceled; -1 for an unknown status.
int status_rank(std::string_view status);

/// The deterministic tie rule (two events of one subscription with the same
/// `created` second, and no Stripe API to ask): the incoming state wins when
/// its status is at least as late in the lifecycle as the stored one — equal
/// ranks go to the later arrival, which is the incoming event.
bool incoming_wins_tie(std::string_view stored_status, std::string_view incoming_status);

}  // namespace trainia::billing
