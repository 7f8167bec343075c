#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>

#include <functional>

namespace trainia::http {

/// A unit of work to run inside a bridge actor.
using bridge_task = std::function<void(caf::event_based_actor*)>;

/// Spawns the bridge actor of one HTTP connection: the place where that
/// connection's requests to other actors are issued and their replies
/// received, so Asio threads never wait for an actor. The connection holds
/// the only handle; when it goes, the bridge goes (unreachable).
/// Protocol: `(run_atom, bridge_task)`.
caf::actor spawn_bridge(caf::actor_system& sys);

}  // namespace trainia::http

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(trainia::http::bridge_task)
