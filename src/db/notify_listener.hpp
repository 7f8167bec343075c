#pragma once

#include "actors/actor_info.hpp"
#include "db/connection.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <functional>
#include <map>
#include <string>

namespace trainia::db {

/// What to do with a notification on a channel: called on the listener's own
/// thread with the payload; must not block.
using notify_handler = std::function<void(const std::string& payload)>;

struct notify_options {
  connect_options connect;
  std::map<std::string, notify_handler> channels;
  /// Called after every (re)connection: notifications sent while we were not
  /// listening are lost, so caches must be dropped.
  std::function<void()> on_reconnect;
};

/// Spawns a detached actor holding one libpq connection that LISTENs on the
/// given channels and dispatches each notification to its handler. It waits
/// on the socket in short slices so that it stays responsive to exit
/// messages, and reconnects with back-off when the connection is lost.
caf::actor spawn_notify_listener(caf::actor_system& sys, notify_options opts, actor_directory& dir,
                                 const std::string& parent);

}  // namespace trainia::db
