#pragma once

#include "config/config.hpp"

#include <string>

namespace trainia::billing {

/// What one `trainia stripe reconcile` run saw and did.
struct reconcile_summary {
  int events_seen = 0;       // undelivered events Stripe listed (distinct ids)
  int events_stored = 0;     // new to the ledger, stored now
  int events_duplicate = 0;  // already in the ledger
  int events_applied = 0;    // apply runs that recorded an outcome now
  int events_failed = 0;     // unreadable, or could not be applied
  int subscriptions_checked = 0;
  int subscriptions_changed = 0;
  int subscriptions_failed = 0;

  /// "stripe reconcile: events seen=… stored=… duplicates=… applied=… failed=…;
  /// subscriptions checked=… changed=… failed=…"
  std::string line() const;
};

/// `trainia stripe reconcile`: brings the database in line with Stripe, for
/// the deliveries Stripe could not make (the server was down, the webhook
/// misconfigured). Blocking code on one service-role connection and the
/// outbound client (it is a command, not the server), running the SAME jobs
/// as the billing actors:
///  1. `GET /v1/events?delivery_success=false&limit=100`, paged with
///     `starting_after` while `has_more`; events new to the ledger are stored
///     by store_events_job (the webhook's group-commit statement), and those
///     not yet applied (new, or stored but never applied) are applied in
///     `created` order by apply_event_job, a same-second tie settled by
///     `GET /v1/subscriptions/{id}` exactly as the shards do, and a
///     checkout's pending_link follow-ups applied after it. Events already in
///     the ledger are not written again (no attempts bump).
///  2. for every customer linked to a user (user_profiles.stripe_customer_id),
///     `GET /v1/subscriptions?customer=<id>&status=all&limit=100` (paged),
///     each object applied as a fetched state by apply_fetched_job: it never
///     rolls back a newer event, a canceled subscription stays canceled, and
///     a state equal to the row writes nothing.
/// A second run therefore changes nothing. Prints the summary line; exit 0,
/// 1 if Stripe or the database failed (what was done stays done), 2 when
/// STRIPE_SECRET_KEY is not set or the plans cannot be loaded.
int reconcile_command(const config& cfg);

}  // namespace trainia::billing
