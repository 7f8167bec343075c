#pragma once

#include "actors/actor_info.hpp"
#include "actors/handle_slot.hpp"
#include "actors/session_directory.hpp"
#include "billing/plans.hpp"
#include "config/config.hpp"
#include "observability/metrics.hpp"

#include <caf/actor_system.hpp>

#include <string>

namespace trainia {

namespace net {
class outbound_client;
}
namespace ai {
struct pipeline;
}

/// What actors and HTTP handlers share: configuration, metrics, the actor
/// directory, the session map and the current handles of supervised
/// singletons. Created by `main` before the actor system, outlives it.
struct services {
  services(const config& c, obs::registry& m, std::string instance)
    : cfg(c), metrics(m), actors(m), instance_id(std::move(instance)) {}

  const config& cfg;
  obs::registry& metrics;
  actor_directory actors;
  session_directory sessions;
  std::string instance_id;   // unique per process; tags NOTIFY payloads
  caf::actor_system* system = nullptr;

  handle_slot<> request_db;  // pool on DATABASE_URL (RLS: trainia_request)
  handle_slot<> service_db;  // pool on DATABASE_SERVICE_URL (trainia_service)
  handle_slot<> session_supervisor;

  const billing::plan_catalog* plans = nullptr;  // loaded at start-up
  net::outbound_client* outbound = nullptr;      // the one outbound HTTP(S) client

  // Billing (src/billing)
  handle_slot<> billing;        // billing supervisor: routes apply and replay requests to its shards
  handle_slot<> stripe_ingest;  // group-commit writer of the Stripe webhook ledger
  // Identity (src/identity)
  // AI pipeline (src/ai)
  ai::pipeline* ai = nullptr;  // shared state of the AI pipeline (ai/pipeline.hpp); set at start-up
};

}  // namespace trainia
