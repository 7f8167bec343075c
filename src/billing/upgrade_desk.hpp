#pragma once

#include "actors/services.hpp"
#include "billing/billing_messages.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

namespace trainia::billing {

struct upgrade_flow;  // one upgrade in progress (upgrade_flow.hpp)

struct upgrade_desk_state {
  services* svc = nullptr;
  std::shared_ptr<actor_info> info;
  /// Per user: the upgrade running (front) and those waiting behind it.
  std::unordered_map<std::string, std::deque<std::shared_ptr<upgrade_flow>>> queues;
  size_t pending = 0;  // all queued upgrades, running included
  static inline const char* name = "upgrade_desk";
};

using upgrade_desk_pointer = caf::stateful_actor<upgrade_desk_state>*;

/// Runs POST /api/subscriptions/upgrade (a child of the billing supervisor,
/// which forwards the requests to it). One user's upgrades run one at a time,
/// in arrival order, so two concurrent upgrades of a user never create two
/// Stripe customers or two Checkout Sessions at once; different users' run
/// side by side. Every step is asynchronous (database jobs on the service
/// pool, Stripe calls through the outbound client), so the desk never blocks.
/// Protocol:
///   (stripe_upgrade_atom, upgrade_request) -> upgrade_reply | error
///   (run_atom, net::actor_task)               (outbound call completions)
/// Errors: conflict (already on the plan), upstream_error (Stripe unreachable,
/// failing or refusing), service_unavailable (no key, no database),
/// validation_failed (a plan without a price: the handler checks it first).
caf::behavior upgrade_desk(upgrade_desk_pointer self, services* svc);

}  // namespace trainia::billing
