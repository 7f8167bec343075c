#pragma once

#include "actors/services.hpp"
#include "billing/billing_messages.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include <deque>
#include <memory>

namespace trainia::billing {

struct billing_shard_state {
  services* svc = nullptr;
  caf::actor router;  // the billing supervisor (follow-ups of a checkout go back through it)
  std::shared_ptr<actor_info> info;
  struct work {
    apply_request request;
    caf::response_promise promise;  // replays only
    bool has_promise = false;
    int attempt = 0;
    bool no_fetch = false;                          // Stripe could not settle a tie: use the rule
    std::shared_ptr<const nlohmann::json> fetched;  // Stripe's answer for a tie
  };
  std::deque<work> queue;
  // The queue held a backlog (more than a few hundred events): once it is
  // empty again its block map (a pointer per three events of the largest
  // backlog, which c's 100,000 webhooks left at ~0.4 MB over the shards)
  // goes back to the heap instead of staying allocated.
  bool queue_grew = false;
  bool busy = false;
  static inline const char* name = "billing_shard";
};

/// Applies stored Stripe events one at a time, in arrival order; the billing
/// supervisor sends every event of one subscription (customer, if none) to the
/// same shard, so a subscription's events are applied in one place, in order.
/// Each event is one `apply_event_job` on the service pool. A same-second tie
/// is settled by `GET {STRIPE_API_BASE}/v1/subscriptions/{id}` through the
/// outbound client when STRIPE_SECRET_KEY is set (the shard waits for it; if
/// Stripe fails, the deterministic rule decides). After a run: the metric
/// trainia_stripe_events_total{type,outcome} counts a newly recorded outcome,
/// the session actors of changed users drop their cached plan, and a
/// checkout's pending_link follow-ups go back to the router. A database outage
/// is retried with back-off (the event stays unapplied in the ledger meanwhile).
/// Protocol:
///   (stripe_apply_atom, apply_request)                     (no reply)
///   (stripe_replay_atom, apply_request) -> replay_result   (operator replay)
///   (run_atom, net::actor_task)                            (outbound call completions)
caf::behavior billing_shard(caf::stateful_actor<billing_shard_state>* self, services* svc, caf::actor router,
                            int index);

}  // namespace trainia::billing
