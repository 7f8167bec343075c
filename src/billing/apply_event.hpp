#pragma once

#include "billing/billing_messages.hpp"
#include "billing/plans.hpp"
#include "db/job.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace trainia::billing {

/// One run of the apply step for a stored event.
struct apply_input {
  std::string event_id;
  std::shared_ptr<const nlohmann::json> doc;  // the payload if at hand; null: read from the ledger
  bool replay = false;                        // run even if an outcome is recorded (operator replay)
  bool can_fetch = false;                     // a same-second tie may be settled by asking Stripe
  /// Stripe's current subscription object (GET /v1/subscriptions/{id}) for a
  /// tie found by the previous run: applied instead of the event's copy.
  std::shared_ptr<const nlohmann::json> fetched;
  /// No event at all: `fetched` is Stripe's current object, read at `created`
  /// (upgrade, reconcile; see apply_fetched.hpp). Status `canceled` then counts
  /// as a deletion, and a state equal to the stored one writes nothing.
  bool fetched_state = false;
};

/// What one run did.
struct apply_result {
  std::string type;
  std::string outcome;                    // the event's outcome after this run
  bool outcome_changed = false;           // this run recorded a different outcome than before
  bool already_done = false;              // an outcome was recorded before and this is no replay: nothing ran
  std::string note;                       // why an applied event changed nothing
  std::string error;                      // why it failed (public text; no payload)
  std::vector<std::string> users;         // Clerk users whose billing state changed
  std::string fetch_subscription;         // tie: ask Stripe for this subscription, then run again
  std::vector<apply_request> follow_ups;  // pending_link events of a customer just linked, in created order
};

/// Job (service role): applies one stored event in ONE transaction that first
/// locks its ledger row (`FOR UPDATE`, so two processes never apply it twice)
/// and records the outcome with the effect:
///  - customer.subscription.created|updated|deleted|paused|resumed: upsert the
///    subscription under the customer's advisory lock and the subscription
///    row's lock. An event older (by `created`) than the last applied one
///    changes nothing (applied, noted); a same-second tie asks Stripe when
///    `can_fetch` (the run ends with `fetch_subscription` set, writing
///    nothing), else follows `incoming_wins_tie`; a deleted subscription is
///    never revived. Unknown customer → pending_link.
///  - checkout.session.completed: links `customer` to the user named by
///    `client_reference_id` (creating the profile if absent) and returns that
///    customer's pending_link events as follow-ups.
///  - invoice.paid|payment_failed: an audit row (pending_link if unlinked).
///  - anything else: ignored.
/// Every change writes audit_log. Replies `apply_result`, or a classified
/// database error (nothing written). Runs on a pool worker's thread.
std::function<caf::message(db::tx&)> apply_event_job(apply_input in, const plan_catalog& plans);

}  // namespace trainia::billing

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(trainia::billing::apply_result)
