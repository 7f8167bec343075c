#pragma once

#include "billing/apply_event.hpp"
#include "billing/plans.hpp"
#include "db/job.hpp"
#include "db/statement.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace trainia::billing {

/// A subscription object Stripe's API returned (no event carries it): the
/// answer to `POST /v1/subscriptions/{id}` (upgrade), a page of
/// `GET /v1/subscriptions?customer=…` (reconcile).
struct fetched_subscription {
  std::shared_ptr<const nlohmann::json> object;
  /// When Stripe answered, on Stripe's clock (its `Date` header, else ours):
  /// orders this state against events' `created`.
  int64_t read_at = 0;
  std::string source;  // "upgrade" | "reconcile": names the state in last_event_id and audit_log
  /// Statements committed with the state (the upgrade's own audit row).
  std::vector<std::pair<const db::statement*, db::params>> also;
};

/// What applying it did, and the stored row in the contract's subscription
/// shape (`id`, `stripe_subscription_id`, `plan_name`, `status`,
/// `current_period_start`, `current_period_end`, `cancel_at_period_end`), or
/// null when there is none (customer not linked, unreadable object).
struct fetched_result {
  apply_result result;
  nlohmann::json subscription;
};

/// Job (service role): applies a fetched subscription through the SAME step
/// as events (apply_subscription, as a same-second tie settled by Stripe
/// does): under the customer's advisory lock and the row's lock; a state read
/// before the last applied event (by `read_at`) changes nothing; a deleted
/// subscription stays deleted; `canceled` deletes; a state equal to the row
/// writes nothing. A change moves last_event_* to `<source>:<sub id>@<read_at>`
/// and writes audit_log (actor 'stripe', action 'subscription.fetched').
/// One transaction, committed with `also`. Replies `fetched_result`.
std::function<caf::message(db::tx&)> apply_fetched_job(fetched_subscription in, const plan_catalog& plans);

}  // namespace trainia::billing

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(trainia::billing::fetched_result)
