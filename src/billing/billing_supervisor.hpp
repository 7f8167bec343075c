#pragma once

#include "actors/restart_policy.hpp"
#include "actors/services.hpp"
#include "billing/billing_messages.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <memory>
#include <vector>

namespace trainia::billing {

/// Shards applying Stripe events (a subscription's events always go to the same one).
inline constexpr int billing_shards = 4;

struct billing_supervisor_state {
  services* svc = nullptr;
  std::shared_ptr<actor_info> info;
  // children: [0] stripe_ingest, [1..billing_shards] billing_shard/0.., [billing_shards + 1] upgrade_desk
  std::vector<caf::actor> children;
  std::vector<restart_tracker> trackers;
  std::vector<std::vector<apply_request>> held;  // per shard, while it restarts
  bool stopping = false;
  // The sweep of stored-but-unapplied events (start-up, then periodically).
  bool sweeping = false;
  bool first_sweep_done = false;
  int64_t cursor_created = 0, cursor_id = 0;
  int sweep_failures = 0;
  static inline const char* name = "billing_supervisor";
};

/// The billing subtree (a child of the root): the `stripe_ingest` writer,
/// `billing_shards` `billing_shard`s and the `upgrade_desk`, each monitored and restarted one-for-one
/// with back-off (restart_policy; counted in trainia_actor_restarts_total and
/// /admin/actors). Publishes the ingest handle in `svc.stripe_ingest`.
/// It routes every apply request to the shard chosen by hashing its routing
/// key (held while that shard restarts), and at start-up sweeps the ledger for
/// events stored but never applied (a process died in between) and routes
/// them in (created, arrival) order; the sweep repeats every minute for events
/// left unapplied over 30 s (other processes, long outages) and for
/// pending_link events whose customer got linked by a path other than checkout.
/// Protocol:
///   (stripe_apply_atom, apply_request)                 (no reply)
///   (stripe_replay_atom, std::string event_id) -> replay_result | not_found
///   (stripe_upgrade_atom, upgrade_request) -> upgrade_reply   (delegated to the upgrade desk)
caf::behavior billing_supervisor(caf::stateful_actor<billing_supervisor_state>* self, services* svc);

/// Spawns the supervisor (for serve's child_spec).
caf::actor spawn_billing_supervisor(caf::actor_system& sys, services& svc);

}  // namespace trainia::billing
