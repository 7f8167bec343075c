#pragma once

#include "actors/handle_slot.hpp"
#include "actors/restart_policy.hpp"
#include "actors/services.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <functional>
#include <string>
#include <vector>

namespace trainia {

/// One permanent child of the root: how to start it and where to publish its
/// current handle.
struct child_spec {
  std::string name;  // also its actor kind in metrics
  std::function<caf::actor(caf::actor_system&)> start;
  handle_slot<>* slot = nullptr;
  restart_policy policy{};
};

struct root_state {
  services* svc = nullptr;
  std::vector<child_spec> specs;
  std::vector<caf::actor> children;
  std::vector<restart_tracker> trackers;
  std::shared_ptr<actor_info> info;
  bool stopping = false;
  static inline const char* name = "root_supervisor";
};

/// The root of the supervision tree. Starts its children in order, monitors
/// them, and restarts one that fails (one-for-one) after its policy's
/// back-off, publishing the new handle; meanwhile its slot is empty, so callers
/// answer 503 instead of talking to a dead actor. A child over its restart
/// budget with `escalate` set takes the root down (main then exits non-zero).
/// On an exit message from `main` it stops every child and then itself.
caf::behavior root_supervisor(caf::stateful_actor<root_state>* self, services* svc, std::vector<child_spec> specs);

}  // namespace trainia
