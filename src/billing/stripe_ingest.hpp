#pragma once

#include "actors/services.hpp"
#include "billing/billing_messages.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <memory>
#include <vector>

namespace trainia::billing {

/// Batches in flight at once; while they are, new deliveries wait and form the next batch.
inline constexpr int ingest_batches_in_flight = 2;
/// Upper bounds of one batch (events, payload bytes).
inline constexpr size_t ingest_batch_events = 512;
inline constexpr size_t ingest_batch_bytes = 8u << 20;

struct stripe_ingest_state {
  services* svc = nullptr;
  caf::actor router;  // the billing supervisor: stored events go there to be applied
  std::shared_ptr<actor_info> info;
  struct waiting {
    stripe_delivery delivery;
    caf::response_promise promise;
  };
  std::vector<waiting> queue;  // arrived while the batches in flight were being written
  int in_flight = 0;
  static inline const char* name = "stripe_ingest";
};

/// The group-commit writer of the Stripe ledger (a child of the billing
/// supervisor). Protocol: `(stripe_ingest_atom, stripe_delivery) -> ingest_ack`,
/// answered only after the delivery's batch COMMITTED (a database error is
/// the reply instead, and then nothing of that batch was stored).
/// A delivery is written at once when fewer than `ingest_batches_in_flight`
/// batches are in flight (no timer, no added latency); otherwise it joins
/// every other delivery that arrives meanwhile in the next batch — one
/// statement, one commit. Each newly stored event (and a duplicate of one
/// still unapplied) is then sent to `router` as `(stripe_apply_atom,
/// apply_request)`; a duplicate delivery counts
/// trainia_stripe_events_total{type,outcome="duplicate"}.
caf::behavior stripe_ingest(caf::stateful_actor<stripe_ingest_state>* self, services* svc, caf::actor router);

}  // namespace trainia::billing
