#pragma once

#include "billing/billing_messages.hpp"
#include "db/job.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace trainia::billing {

/// What happened to one distinct event id of a stored batch.
struct stored_event {
  std::string event_id;
  bool inserted = false;   // this batch stored it (first delivery)
  bool unapplied = false;  // its outcome is still NULL (stored, not yet applied)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_event& x) {
  return f(x.event_id, x.inserted, x.unapplied);
}

/// The reply of `store_events_job`: one entry per distinct event id.
struct stored_batch {
  std::vector<stored_event> events;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_batch& x) {
  return f(x.events);
}

/// Job (service role): writes every delivery of a group-commit batch to the
/// ledger with ONE multi-row statement and its COMMIT in one round trip.
/// Copies of one id inside the batch are folded first (ON CONFLICT cannot
/// touch a row twice): the first copy inserts with attempts = copies, a known
/// id gets attempts += copies. Rows are written in event-id order, so two
/// processes' batches lock in the same order. Replies `stored_batch`, or the
/// classified error (then nothing of the batch was stored). Runs on a pool
/// worker's thread; the payload arrays are built there too.
std::function<caf::message(db::tx&)> store_events_job(std::vector<stripe_delivery> batch);

/// Job (service role): the routing key of a stored event (its subscription,
/// else customer, else its own id); `not_found` for an unknown id. Replies
/// `std::string`.
std::function<caf::message(db::tx&)> event_route_job(std::string event_id);

/// Job (service role): records `failed` with `error` for an event still
/// unapplied (an apply that failed for a reason other than the database being
/// unavailable), so sweeps do not retry it forever. Replies `true`.
std::function<caf::message(db::tx&)> fail_event_job(std::string event_id, std::string error);

}  // namespace trainia::billing
